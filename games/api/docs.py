"""The ReDoc bundle, served from here with its one CDN request pointed at our own static file.

drf-spectacular-sidecar ships ReDoc's standalone bundle, which draws the
"API docs by Redocly" footer with an image from https://cdn.redoc.ly/ (no
option turns it off). SPEC §3 serves the docs without any CDN, so the
bundle is read once, that URL replaced by a local logo, and kept in memory.
SPECTACULAR_SETTINGS["REDOC_DIST"] points the ReDoc page here.
"""

from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

SIDECAR_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def _bundle() -> bytes:
    found = finders.find(SIDECAR_BUNDLE)
    if not isinstance(found, str):
        raise ImproperlyConfigured(
            f"{SIDECAR_BUNDLE} is not among the static files (drf-spectacular-sidecar)"
        )
    source = Path(found).read_text(encoding="utf-8")
    return source.replace(CDN_LOGO, static("api/redoc-logo.svg")).encode()


@require_GET
def redoc_bundle(request):
    response = HttpResponse(_bundle(), content_type="text/javascript; charset=utf-8")
    patch_cache_control(response, public=True, max_age=86400)
    return response
