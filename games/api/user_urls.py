"""Profiles under /api/v1/users/."""

from django.urls import path

from games.api import users as views

urlpatterns = [
    path("<str:username>/", views.ProfileView.as_view(), name="user-profile"),
    path("<str:username>/games/", views.ProfileGamesView.as_view(), name="user-games"),
]
