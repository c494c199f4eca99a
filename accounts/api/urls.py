from django.urls import path

from accounts.api import views

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="auth-register"),
    path("login/", views.LoginView.as_view(), name="auth-login"),
    path("guest/", views.GuestView.as_view(), name="auth-guest"),
    path("claim/", views.ClaimView.as_view(), name="auth-claim"),
    path("logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("logoutall/", views.LogoutAllView.as_view(), name="auth-logoutall"),
    path("me/", views.MeView.as_view(), name="auth-me"),
    path("password/", views.PasswordChangeView.as_view(), name="auth-password"),
    path("password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
]
