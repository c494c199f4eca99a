from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User


@admin.register(User)
class PlayerAdmin(UserAdmin):
    """Django's user admin, with guests (SPEC §7) and computer players told apart."""

    list_display = ("username", "email", "is_guest", "bot_difficulty", "is_staff", "is_active", "date_joined")
    list_filter = ("is_guest", "is_staff", "is_superuser", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Player", {"fields": ("is_guest", "bot_difficulty")}))
