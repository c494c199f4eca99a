"""Account writers: sign-up and token issue."""

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from knox.models import AuthToken
from knox.settings import knox_settings

from games.exceptions import InvalidMove


def user_register(*, username: str, password: str, email: str = ""):
    """Create a user; Django's password validators apply. Raises InvalidMove."""
    user = get_user_model()(username=username, email=email)
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidMove(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvalidMove("That username is taken.", field="username") from None
    return user


def token_issue(*, user) -> tuple[AuthToken, str]:
    """A new Knox token for one device.

    At TOKEN_LIMIT_PER_USER, the oldest token is revoked rather than refusing
    the sign-in: a player on a new phone should not be locked out by an old one.
    """
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    with transaction.atomic():
        if limit is not None:
            tokens = AuthToken.objects.filter(user=user).order_by("-created")
            stale = list(tokens.values_list("pk", flat=True)[limit - 1 :])
            if stale:
                AuthToken.objects.filter(pk__in=stale).delete()
        return AuthToken.objects.create(user=user)
