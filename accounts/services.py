"""Account writers: sign-up, tokens, password change and account deletion."""

import secrets
import string

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from games import events
from games import services as game_services
from games.exceptions import InvalidMove
from games.models import Player, Room


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


def token_prune_expired() -> int:
    """Delete every expired token, of every user; returns how many.

    For users who never sign in again, whose expired tokens token_issue
    never meets. An expired token is refused anyway; this is housekeeping.
    """
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


def _tokens_revoke(*, user, keep_token_key: str | None = None) -> None:
    """Delete the user's tokens (all but `keep_token_key`) and close their sockets after commit."""
    tokens = AuthToken.objects.filter(user=user)
    if keep_token_key is not None:
        tokens = tokens.exclude(token_key=keep_token_key)
    keys = list(tokens.values_list("token_key", flat=True))
    tokens.delete()
    if keys:
        events.tokens_revoked(user_id=user.pk, token_keys=keys)


def password_set(*, user, password: str, keep_token_key: str | None = None) -> None:
    """Store a new password (already validated) and revoke every token but `keep_token_key`.

    Every way of changing a password (the API, the change page, a reset
    link) ends here, so a password that leaked stops working on every
    device at once, not only in the browser whose session Django rotates.
    """
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _tokens_revoke(user=user, keep_token_key=keep_token_key)


def _password_check(user, password: str, *, field: str) -> None:
    if not user.has_usable_password() or not user.check_password(password):
        raise InvalidMove("That is not your current password.", field=field)


def password_change(*, user, old_password: str, new_password: str, keep_token_key: str | None = None) -> None:
    """Change the password after checking the old one; other tokens are revoked. Raises InvalidMove."""
    _password_check(user, old_password, field="old_password")
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise InvalidMove(" ".join(exc.messages), field="new_password") from None
    password_set(user=user, password=new_password, keep_token_key=keep_token_key)


def _deleted_username() -> str:
    alphabet = string.ascii_lowercase + string.digits
    for _ in range(20):
        name = "deleted-" + "".join(secrets.choice(alphabet) for _ in range(6))
        if not get_user_model().objects.filter(username=name).exists():
            return name
    raise RuntimeError("Could not draw a free deleted-user name.")  # pragma: no cover - 36**6 names


def account_delete(*, user, password: str) -> None:
    """Anonymise the account after checking its password. Raises InvalidMove.

    The row stays (rooms, guesses and chat point at it, and other players'
    finished games keep their rival and their result): the username becomes
    `deleted-` + 6 characters, the password unusable, the email and names
    empty, and the account inactive, which signs out every session and
    socket and makes the profile a 404. Games still waiting or playing are
    left first (a forfeit while playing), so nobody waits for a player who
    is gone. Every token is revoked and its sockets closed.
    """
    _password_check(user, password, field="password")
    with transaction.atomic():
        current = (
            Player.objects.filter(user=user, room__status__in=[Room.Status.WAITING, Room.Status.PLAYING])
            .values_list("room__code", flat=True)
            .order_by("room__created_at")
        )
        for room_code in list(current):
            game_services.room_leave(room_code=room_code, user=user)
        user.username = _deleted_username()
        user.set_unusable_password()
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.save(update_fields=["username", "password", "email", "first_name", "last_name", "is_active"])
        _tokens_revoke(user=user)


def password_reset_send(*, email: str, domain: str, use_https: bool) -> None:
    """Email a reset link to each active account with this address (none: nothing is sent, nothing said).

    Django's own form and templates (registration/password_reset_*), as the
    reset pages use, so the link and its token are Django's.
    """
    form = PasswordResetForm(data={"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
