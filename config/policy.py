"""django-csp's middleware with the site-wide policy built once, not per response (issue #9).

django-csp builds the header on every response: `dataclasses.asdict` deep-
copies the policy parts and `build_policy` re-reads and joins the settings,
7.7 % of the CPU of the bench's smallest DRF view (py-spy on daphne). Almost
every response carries the site's own policy unchanged: no nonce asked for,
no per-view `csp_update`/`csp_replace`/`csp_exempt`, no report-only policy.
Those get the policy built once per settings; anything else goes through
django-csp as before, so the header is the same either way
(games/tests/test_csp.py).
"""

import http.client
from functools import cache

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view or decorator sets on a response to change its policy (django-csp's names).
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_DEBUG_PAGES = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)


@cache
def _site_policy() -> tuple[str, tuple[str, ...]]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    return build_policy(), tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())


@receiver(setting_changed)
def _forget_policy(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _site_policy.cache_clear()


class CSPMiddleware(_CSPMiddleware):
    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or (settings.DEBUG and response.status_code in _DEBUG_PAGES)
        ):
            return super().process_response(request, response)
        header, excluded = _site_policy()
        if header and HEADER not in response and not request.path_info.startswith(excluded):
            response[HEADER] = header
        # As django-csp: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
