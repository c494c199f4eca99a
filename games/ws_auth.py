"""WebSocket handshake policy: who is connecting, and from where.

- A Knox token travels as the subprotocol `token.<TOKEN>` beside
  `mastermind.v1`, never in the URL (URLs reach access logs); the server
  answers `mastermind.v1` and never echoes the token.
- Otherwise the Django session cookie authenticates (browser pages).
- A browser's `Origin` must match ALLOWED_HOSTS, or the handshake is refused
  (cross-site WebSocket hijacking would otherwise ride the session cookie).
  A client that sends no `Origin` (a native app) must bring a token.
"""

import asyncio
import logging
import weakref
from importlib import import_module
from typing import cast

from asgiref.typing import ASGI3Application
from channels.auth import AuthMiddlewareStack
from channels.layers import get_channel_layer
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.exceptions import AuthenticationFailed

from accounts.auth import TokenAuthentication
from config import outages
from games.events import AUTH_GROUP
from games.hub import hub
from games.threads import database_sync_to_async

logger = logging.getLogger(__name__)

PROTOCOL = "mastermind.v1"
TOKEN_PREFIX = "token."


def offered_token(scope) -> str | None:
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(TOKEN_PREFIX) and len(protocol) > len(TOKEN_PREFIX):
            return protocol[len(TOKEN_PREFIX) :]
    return None


def has_origin(scope) -> bool:
    return any(name == b"origin" for name, _ in scope.get("headers", []))


@database_sync_to_async
def authenticate_token(token: str):
    """(user, AuthToken) for a live token, else (AnonymousUser, None). An expired token is deleted."""
    try:
        user, auth_token = TokenAuthentication().authenticate_credentials(token.encode())
    except (AuthenticationFailed, UnicodeError):
        return AnonymousUser(), None
    return user, auth_token


class TokenAuthMiddleware:
    """A token offered as a subprotocol wins over the session cookie."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        token = offered_token(scope)
        scope = dict(scope)
        scope["auth_token_key"] = None
        if token is not None:
            user, auth_token = await authenticate_token(token)
            # A bad token is a 4401 from the consumer, even if a session
            # cookie came along: the client asked to be this token's user.
            scope["user"] = user
            scope["auth_method"] = "token"
            if auth_token is not None:
                scope["auth_token_key"] = auth_token.token_key
        else:
            scope["auth_method"] = "session"
        return await self.app(scope, receive, send)


class OriginPolicy:
    """Browsers (with Origin) must come from ALLOWED_HOSTS; native clients (no Origin) need a token."""

    def __init__(self, app):
        self.app = app
        self.with_origin = AllowedHostsOriginValidator(app)

    async def __call__(self, scope, receive, send):
        if has_origin(scope):
            return await self.with_origin(scope, receive, send)
        if offered_token(scope) is None:
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


class TokenOrSession:
    """A socket that offers a token skips the session stack.

    Channels' session and auth middleware parse the cookies, load the session
    and look its user up, on Channels' one sync thread, for every handshake;
    a token's user is looked up anyway, so for native clients that was work
    thrown away, and the thread they queued on capped how fast sockets opened.
    """

    def __init__(self, app):
        self.token = TokenAuthMiddleware(app)
        # An ASGI 3 app (types-channels also allows ASGI 2 for any middleware's result).
        self.session = cast(ASGI3Application, AuthMiddlewareStack(self.token))

    async def __call__(self, scope, receive, send):
        if offered_token(scope) is not None:
            return await self.token(scope, receive, send)
        return await self.session(scope, receive, send)


class HandshakeOutageGuard:
    """A handshake whose token or session lookup meets an outage is closed 4503, not a 500 with a traceback.

    Only the handshake is guarded (until `_Entered` hands over to the
    consumer, whose own dispatch closes 4503 on an outage); a socket costs
    nothing more per frame.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        state = {"entered": False}
        try:
            return await self.app({**scope, "outage_guard": state}, receive, send)
        except outages.BACKEND_DOWN as exc:
            if state["entered"]:
                raise
            outages.warn(outages.service_of(exc), "socket handshakes are closed 4503", exc)
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": outages.CLOSE_UNAVAILABLE})


class _Entered:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if "outage_guard" in scope:
            scope["outage_guard"]["entered"] = True
        return await self.app(scope, receive, send)


def websocket_stack(app):
    """Origin policy, then the token offered as a subprotocol, or else the session cookie."""
    return HandshakeOutageGuard(OriginPolicy(TokenOrSession(_Entered(app))))


# --- is each open socket still signed in? -------------------------------------------------

CLOSE_UNAUTHENTICATED = 4401
# Keys per query: well under SQLite's limit on bound parameters.
CHUNK = 500


def credential_of(scope) -> tuple[int, str, str | None]:
    """(user id, "token" or "session", the token's key or the session's key) for a signed-in socket."""
    if scope.get("auth_method") == "token":
        return scope["user"].pk, "token", scope.get("auth_token_key")
    session = scope.get("session")
    return scope["user"].pk, "session", session.session_key if session is not None else None


def _chunks(items: list) -> list[list]:
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def signed_out(credentials: set[tuple[int, str, str | None]]) -> set[tuple[int, str, str | None]]:
    """Those of `credentials` that no longer hold: user gone or inactive, token or session gone or expired.

    A few queries for every socket of the process together, however many
    there are, where a check per socket cost a query (and a thread hop) each.
    """
    now = timezone.now()
    user_ids = sorted({user_id for user_id, _, _ in credentials})
    active: set[int] = set()
    for ids in _chunks(user_ids):
        active.update(
            get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)
        )
    token_keys = sorted({key for _, method, key in credentials if method == "token" and key})
    live_tokens = set()
    for keys in _chunks(token_keys):
        live_tokens.update(
            AuthToken.objects.filter(token_key__in=keys)
            .filter(Q(expiry__isnull=True) | Q(expiry__gt=now))
            .values_list("user_id", "token_key")
        )
    session_keys = sorted({key for _, method, key in credentials if method == "session" and key})
    live_sessions = _live_sessions(session_keys, now)

    def holds(credential) -> bool:
        user_id, method, key = credential
        if user_id not in active or not key:
            return False
        if method == "token":
            return (user_id, key) in live_tokens
        return key in live_sessions

    return {credential for credential in credentials if not holds(credential)}


def _live_sessions(keys: list[str], now) -> set[str]:
    """Session keys still in the store and unexpired (a signed-out session is flushed from it)."""
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        live: set[str] = set()
        for chunk in _chunks(keys):
            live.update(
                Session.objects.filter(session_key__in=chunk, expire_date__gt=now).values_list(
                    "session_key", flat=True
                )
            )
        return live
    store = import_module(settings.SESSION_ENGINE).SessionStore  # pragma: no cover - other session engines
    return {key for key in keys if store().exists(key)}  # pragma: no cover


class CredentialWatch:
    """The process's watch over its sockets' credentials: one listener and one timer per server process.

    Signing out through the API closes a token's sockets at once: the
    revocation is sent to the channel layer's AUTH_GROUP
    (events.tokens_revoked), which one listener per process receives and
    hands to that user's sockets here; a socket joins no group of its own
    for it (one Redis subscription fewer per socket to open and to close,
    issue #9). The timer catches every other end of a credential — expiry,
    a token deleted in the admin, a flushed session, a deactivated user —
    within WS_AUTH_RECHECK_SECONDS, in a few queries for all sockets.
    """

    def __init__(self):
        self.sockets: weakref.WeakSet = weakref.WeakSet()
        self.task: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None
        self.listening: asyncio.Future | None = None

    async def add(self, consumer) -> None:
        """Watch this socket; returns once revocations sent from now on will reach it."""
        self.sockets.add(consumer)
        loop = asyncio.get_running_loop()
        # One of each per event loop: a server has one loop; each test has its own.
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self.run())
        if self.listener is None or self.listener.done() or self.listener.get_loop() is not loop:
            self.listening = listening = loop.create_future()
            self.listener = loop.create_task(self.listen(get_channel_layer(), listening))
        if self.listening is not None:
            await asyncio.shield(self.listening)

    def discard(self, consumer) -> None:
        self.sockets.discard(consumer)

    async def listen(self, layer, listening: asyncio.Future) -> None:
        try:
            channel = await layer.new_channel()
            await layer.group_add(AUTH_GROUP, channel)
            hub.renew(AUTH_GROUP, channel)  # a membership for the process's lifetime
        except Exception as exc:  # noqa: BLE001 - the sockets waiting on it are told; the next add retries
            listening.set_exception(exc)
            raise
        listening.set_result(None)
        while True:
            message = await layer.receive(channel)
            if message.get("type") == "auth.revoked":
                await self.revoked(message)

    async def revoked(self, message: dict) -> None:
        loop = asyncio.get_running_loop()
        for consumer in list(self.sockets):
            if consumer.loop is loop and consumer.user.id == message.get("user_id"):
                await consumer.auth_revoked(message)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(settings.WS_AUTH_RECHECK_SECONDS)
            try:
                await self.check()
            except outages.BACKEND_DOWN as exc:
                outages.warn(outages.service_of(exc), "socket credentials are rechecked when it returns", exc)
            except Exception:  # noqa: BLE001 - the watch must outlive one failed check (database down); logged
                logger.exception("socket credential check failed")

    async def check(self) -> None:
        loop = asyncio.get_running_loop()
        sockets = [consumer for consumer in list(self.sockets) if consumer.loop is loop]
        if not sockets:
            return
        gone = await database_sync_to_async(signed_out)({consumer.credential for consumer in sockets})
        for consumer in sockets:
            if consumer.credential in gone:
                self.discard(consumer)
                await consumer.close(code=CLOSE_UNAUTHENTICATED)


credential_watch = CredentialWatch()
