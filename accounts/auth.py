"""Knox token authentication that reads one row per request.

Knox's own `TokenAuthentication` also loads every token of the user on every
request, to delete the expired ones of the user's other devices: one more
query on each authenticated request (REST and the socket handshake) for
housekeeping that no request needs. Here a request checks only its own
token's expiry (and deletes it if it has expired, as Knox does). The expired
tokens of other devices are deleted where it costs nothing per request:
when the user signs in (accounts.services.token_issue, which then counts
only live tokens against TOKEN_LIMIT_PER_USER), and by
`python manage.py prune_tokens` for users who never come back.
"""

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        """True (and the token deleted) if this token has expired; other tokens are left alone."""
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of Knox's class, for this one (drf-spectacular matches exact classes)."""

    target_class = "accounts.auth.TokenAuthentication"
