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
