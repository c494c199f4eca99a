from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from games.api.docs import redoc_bundle
from games.views import healthz, metrics

# JSON errors in SPEC §3's shape under /api/, the site's pages elsewhere (config/api/errors.py).
handler400 = "config.api.errors.bad_request_view"
handler403 = "config.api.errors.permission_denied_view"
handler404 = "config.api.errors.page_not_found_view"
handler500 = "config.api.errors.server_error_view"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, not inline (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        # ReDoc styles itself with injected <style> elements and searches in a
        # worker it builds from a blob: URL; other scripts stay 'self' only.
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
    # ReDoc's bundle without its CDN logo (SPECTACULAR_SETTINGS["REDOC_DIST"], games/api/docs.py).
    path("api/redoc/dist/bundles/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("accounts/", include("accounts.urls")),
    path("", include("games.urls")),
]
