from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A player account. Custom from the first migration so it can grow fields."""

    # "" for people; "easy" or "hard" for a computer player (games.bots), which
    # has an unusable password and so can never sign in.
    bot_difficulty = models.CharField(max_length=8, blank=True, default="")
    # A guest plays without signing up (SPEC §7): a generated `guest-` name,
    # no password, until claimed with a username and password of their own.
    is_guest = models.BooleanField(default=False, db_index=True)

    class Meta:
        db_table = "accounts_user"
