from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A player account. Custom from the first migration so it can grow fields."""

    class Meta:
        db_table = "accounts_user"
