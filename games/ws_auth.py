"""WebSocket handshake policy: who is connecting, and from where.

- A Knox token travels as the subprotocol `token.<TOKEN>` beside
  `mastermind.v1`, never in the URL (URLs reach access logs); the server
  answers `mastermind.v1` and never echoes the token.
- Otherwise the Django session cookie authenticates (browser pages).
- A browser's `Origin` must match ALLOWED_HOSTS, or the handshake is refused
  (cross-site WebSocket hijacking would otherwise ride the session cookie).
  A client that sends no `Origin` (a native app) must bring a token.
"""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed

from accounts.auth import TokenAuthentication

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


def websocket_stack(app):
    """Origin policy, then session auth, then token auth (which may override the session user)."""
    return OriginPolicy(AuthMiddlewareStack(TokenAuthMiddleware(app)))
