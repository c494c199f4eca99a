"""Account writers: sign-up, token issue and revocation, expired-token pruning."""

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts.exceptions import AccountError
from games import events


def user_register(*, username: str, password: str, email: str = ""):
    """Create a user; Django's password validators apply. Raises AccountError."""
    user = get_user_model()(username=username, email=email)
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise AccountError(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise AccountError("That username is taken.", field="username") from None
    return user


def token_issue(*, user) -> tuple[AuthToken, str]:
    """A new Knox token for one device.

    At TOKEN_LIMIT_PER_USER, the oldest token is revoked rather than refusing
    the sign-in: a player on a new phone should not be locked out by an old one.
    """
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    with transaction.atomic():
        # Sign-in is where the user's expired tokens go (a request checks only
        # its own token, see accounts.auth), so a dead token on a lost phone
        # never takes a live device's place under the limit.
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        if limit is not None:
            tokens = AuthToken.objects.filter(user=user).order_by("-created")
            stale = list(tokens.values_list("pk", flat=True)[limit - 1 :])
            if stale:
                AuthToken.objects.filter(pk__in=stale).delete()
        return AuthToken.objects.create(user=user)


def token_revoke(*, token: AuthToken) -> None:
    """Revoke one token (sign this device out); the sockets opened with it close at once. Raises nothing."""
    user_id, key = token.user_id, token.token_key
    with transaction.atomic():
        token.delete()
        # After commit: a socket rechecking its token then finds it gone.
        events.tokens_revoked(user_id=user_id, token_keys=[key])


def token_revoke_all(*, user) -> None:
    """Revoke every token of `user` (sign every device out); their sockets close at once. Raises nothing."""
    with transaction.atomic():
        AuthToken.objects.filter(user=user).delete()
        events.tokens_revoked(user_id=user.id, token_keys=None)


def token_prune_expired() -> int:
    """Delete every expired token, of every user; returns how many.

    For users who never sign in again, whose expired tokens token_issue
    never meets. An expired token is refused anyway; this is housekeeping.
    """
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
