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

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from config import rows


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        """Knox's check, with its token-and-user query compiled once (config.rows).

        The same steps as `knox.auth.TokenAuthentication.authenticate_credentials`
        (knox 5.1): the rows whose key prefix matches, expired ones deleted
        and skipped, the digest compared in constant time, the expiry renewed
        past MIN_REFRESH_INTERVAL, the user checked. Building that query with
        `select_related` was a fifth of an authenticated request's CPU
        (issue #9's profile of `GET /api/v1/auth/me/`).
        """
        message = _("Invalid token.")
        text = token.decode("utf-8")
        candidates = rows.select_joined(
            get_token_model(), "user", "token_key", text[: CONSTANTS.TOKEN_KEY_LENGTH]
        )
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(message) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

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
