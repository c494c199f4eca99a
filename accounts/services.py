"""Account writers: sign-up, guests, tokens, password change and account deletion."""

import secrets
import string
from datetime import timedelta

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts.exceptions import AccountError, AccountNotAllowed
from accounts.models import User
from games import events
from games import services as game_services
from games.models import Player, Room

# Generated names (SPEC §7): a guest is `guest-` + 6 characters, an erased
# account `deleted-` + 6. Nobody may pick a name with these prefixes, so a
# generated name never collides with a chosen one and cannot be imitated.
GUEST_PREFIX = "guest-"
DELETED_PREFIX = "deleted-"
_NAME_ALPHABET = string.ascii_lowercase + string.digits


def _generated_name(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(6))


def _check_chosen_username(username: str) -> None:
    if username.lower().startswith((GUEST_PREFIX, DELETED_PREFIX)):
        raise AccountError(
            f"Usernames starting with {GUEST_PREFIX!r} or {DELETED_PREFIX!r} are kept for generated names.",
            field="username",
        )


def _check_new_password(password: str, user: User, *, field: str = "password") -> None:
    """Django's password validators for a password about to be set (AccountError on `field`)."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise AccountError(" ".join(exc.messages), field=field) from None


def user_register(*, username: str, password: str, email: str = "") -> User:
    """Create a user; Django's password validators apply. Raises AccountError."""
    _check_chosen_username(username)
    user = get_user_model()(username=username, email=email)
    _check_new_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise AccountError("That username is taken.", field="username") from None
    return user


def guest_create() -> User:
    """A new guest: a generated `guest-` name and no password (it signs in by token or session only)."""
    while True:
        user = get_user_model()(
            username=_generated_name(GUEST_PREFIX), is_guest=True, last_login=timezone.now()
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            continue  # one name in 2 billion is taken: draw another
        return user


def guest_claim(*, user: User, username: str, password: str, email: str = "") -> User:
    """Turn a guest into an account in place: same id, games and stats. Raises AccountNotAllowed, AccountError.

    The sign-up rules apply (free username, Django's password validators).
    The guest's tokens and session stay valid: the device that claimed stays signed in.
    """
    _check_chosen_username(username)
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        if not locked.is_guest:
            raise AccountNotAllowed(
                "Only a guest account can be claimed; this one already has a name and password."
            )
        if get_user_model().objects.filter(username__iexact=username).exclude(pk=locked.pk).exists():
            raise AccountError("That username is taken.", field="username")
        locked.username, locked.email, locked.is_guest = username, email, False
        _check_new_password(password, locked)
        locked.set_password(password)
        try:
            with transaction.atomic():
                locked.save(update_fields=["username", "email", "is_guest", "password"])
        except IntegrityError:
            raise AccountError("That username is taken.", field="username") from None
    return locked


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


def _last_activity():
    """A guest's latest sign-in, room joined or guess made (the sign-up time if none)."""
    return Greatest(
        "date_joined",
        Coalesce("last_login", "date_joined"),
        Coalesce(Max("players__joined_at"), "date_joined"),
        Coalesce(Max("players__guesses__created_at"), "date_joined"),
    )


def guests_prune(*, days: int) -> tuple[int, int]:
    """Remove guests idle for `days`: (deleted, anonymised).

    A guest's rooms that nobody else played in (solo, quick play, rooms with
    only computer players) go with it. A guest who shared a room with another
    person is not deleted, so that person's game stays whole: the account is
    anonymised instead (a `deleted-` name, no password, no tokens, inactive).
    """
    cutoff = timezone.now() - timedelta(days=days)
    idle = (
        get_user_model().objects.filter(is_guest=True).annotate(seen=_last_activity()).filter(seen__lt=cutoff)
    )
    deleted = anonymised = 0
    for guest in idle.iterator():
        with transaction.atomic():
            others = (
                Player.objects.filter(room=OuterRef("pk")).exclude(user=guest).filter(user__bot_difficulty="")
            )
            shared = Q(players__user=guest) | Q(owner=guest)
            rooms = Room.objects.filter(shared).distinct()
            rooms.filter(~Exists(others)).delete()
            if rooms.exists():
                user_anonymise(user=guest)
                anonymised += 1
            else:
                guest.delete()
                deleted += 1
    return deleted, anonymised


def user_anonymise(*, user: User) -> User:
    """Erase what names a person: a `deleted-` name, no password, no email or names, inactive, no tokens.

    The user row stays, so the rooms and guesses other players share with it
    stay whole; being inactive signs out every session, and revoking the
    tokens closes their sockets. Account deletion and guest pruning both end here.
    """
    user.set_unusable_password()
    user.email, user.is_active, user.first_name, user.last_name = "", False, "", ""
    while True:
        user.username = _generated_name(DELETED_PREFIX)
        try:
            with transaction.atomic():
                user.save(
                    update_fields=["username", "password", "email", "first_name", "last_name", "is_active"]
                )
        except IntegrityError:
            continue  # that name is taken: draw another
        _tokens_revoke(user=user)
        return user


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


def _check_current_password(user, password: str, *, field: str) -> None:
    if not user.has_usable_password() or not user.check_password(password):
        raise AccountError("That is not your current password.", field=field)


def password_change(*, user, old_password: str, new_password: str, keep_token_key: str | None = None) -> None:
    """Change the password after checking the old one; other tokens are revoked. Raises AccountError."""
    _check_current_password(user, old_password, field="old_password")
    _check_new_password(new_password, user, field="new_password")
    password_set(user=user, password=new_password, keep_token_key=keep_token_key)


def account_delete(*, user, password: str) -> None:
    """Anonymise the account after checking its password. Raises AccountError.

    The row stays (rooms, guesses and chat point at it, and other players'
    finished games keep their rival and their result): the username becomes
    `deleted-` + 6 characters, the password unusable, the email and names
    empty, and the account inactive, which signs out every session and
    socket and makes the profile a 404. Games still waiting or playing are
    left first (a forfeit while playing), so nobody waits for a player who
    is gone. Every token is revoked and its sockets closed.
    """
    _check_current_password(user, password, field="password")
    with transaction.atomic():
        current = (
            Player.objects.filter(user=user, room__status__in=[Room.Status.WAITING, Room.Status.PLAYING])
            .values_list("room__code", flat=True)
            .order_by("room__created_at")
        )
        for room_code in list(current):
            game_services.room_leave(room_code=room_code, user=user)
        user_anonymise(user=user)


def password_reset_send(*, email: str, domain: str, use_https: bool) -> None:
    """Email a reset link to each active account with this address (none: nothing is sent, nothing said).

    Django's own form and templates (registration/password_reset_*), as the
    reset pages use, so the link and its token are Django's.
    """
    form = PasswordResetForm(data={"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
