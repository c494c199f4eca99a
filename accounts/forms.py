from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User


class RegisterForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class ClaimForm(RegisterForm):
    """Sign-up's fields and an optional email, for a guest keeping its account."""

    email = forms.EmailField(required=False, help_text="Optional: for resetting a forgotten password.")


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand: my account goes for good; my finished games stay, under a placeholder name."
    )
