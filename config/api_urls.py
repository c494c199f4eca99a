"""Everything under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("auth/", include("accounts.api.urls")),
    path("users/", include("games.api.user_urls")),
    path("", include("games.api.urls")),
]
