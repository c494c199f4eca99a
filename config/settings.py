"""Settings for every environment, read from the environment (see README "Configuration").

Embedded defaults (no DATABASE_URL, no REDIS_URL): a SQLite file in ./var, the
in-memory channel layer and a local-memory cache, so one command runs the game.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import csp.constants
import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only for local development; `make run` sets DEBUG=1.
    SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
# The API authenticates with a header token, never a cookie, so cross-origin
# SPAs need no credentials.
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/api/.*$"
# A SPA may send a guess's Idempotency-Key and read when to retry a 429/503.
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Retry-After"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "channels",
    "accounts",
    "games",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database outage is a fast 503 with Retry-After, not a 500 (config/outages.py).
    "config.outages.DatabaseUnavailableMiddleware",
    # WhiteNoise, creating STATIC_ROOT (before collectstatic) where it first looks.
    "config.static.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The flash messages storage, built only by the pages that use it (config/messages.py).
    "config.messages.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.policy.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# /metrics for operators (Prometheus text), off unless METRICS_ENABLED=1:
# request counts and latency by route (django-prometheus), guesses, sockets,
# events, load shed and the database pool (games/metrics.py).
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
if METRICS_ENABLED:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# Every SQLite database gets these, the embedded default and a
# DATABASE_URL=sqlite:///… alike. IMMEDIATE takes the write lock at BEGIN,
# so two writers queue on the busy timeout instead of failing with
# "database is locked" when a read transaction tries to upgrade to a write;
# WAL lets readers go on while one writes.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def sqlite_database(path: Path) -> dict:
    return {
        # Django's SQLite, creating the file's folder at the first connection.
        "ENGINE": "config.sqlite",
        "NAME": path,
        "OPTIONS": dict(SQLITE_OPTIONS),
        # A file, not :memory:, so the concurrency tests' threads share it;
        # one per process, so two test runs in one checkout never collide.
        "TEST": {"NAME": str(path.with_name(f"test-{os.getpid()}.sqlite3"))},
    }


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    default_db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL))
    if default_db["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI every request may run in a different thread; a bounded
        # psycopg pool reuses connections instead of opening one per request.
        # Django requires CONN_MAX_AGE = 0 with the pool.
        default_db["CONN_MAX_AGE"] = 0
        default_db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2),
            "max_size": env_int("DB_POOL_MAX_SIZE", 20),
            # How long a request waits for a connection. Admission control
            # keeps the requests running at once under the pool's size, so a
            # wait this long means PostgreSQL is not answering: the request
            # gets a 503 with Retry-After within two seconds (config/outages.py)
            # instead of hanging. The pool keeps reconnecting in the background.
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT") or 1.5),
            # The pool retries a failed connection with a doubling backoff
            # for this long, then gives up until a request asks again: a
            # short bound keeps its next try near when PostgreSQL returns
            # (psycopg_pool's default, 5 min, let the backoff grow past 30 s).
            "reconnect_timeout": 5.0,
        }
    elif default_db["ENGINE"] == "django.db.backends.sqlite3" and default_db["NAME"] != ":memory:":
        url_db = sqlite_database(Path(default_db["NAME"]))
        url_db["OPTIONS"].update(default_db.get("OPTIONS") or {})
        default_db = {**default_db, **url_db}
else:
    default_db = sqlite_database(Path(os.environ.get("SQLITE_PATH", BASE_DIR / "var" / "db.sqlite3")))
DATABASES = {"default": default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Load: work in flight per server process --------------------------------
# At most HTTP_MAX_CONCURRENCY requests run at once, HTTP_MAX_QUEUE more wait
# up to HTTP_QUEUE_TIMEOUT seconds; past that a request gets a fast 503 with
# Retry-After instead of a 500 after the pool's timeout (config/overload.py).
# Each running request and each socket database thread (WS_DB_THREADS) may
# hold a pooled connection: keep their sum within DB_POOL_MAX_SIZE.
HTTP_MAX_CONCURRENCY = env_int("HTTP_MAX_CONCURRENCY", 8)
HTTP_MAX_QUEUE = env_int("HTTP_MAX_QUEUE", 64)
HTTP_QUEUE_TIMEOUT = float(os.environ.get("HTTP_QUEUE_TIMEOUT") or 0.5)
# HTTP runs on HTTP_MAX_CONCURRENCY threads: "wsgi", Django's WSGI handler
# inside the ASGI app (a2wsgi), or "asgi", Django's ASGI handler
# (config/serving.py; docs/performance.md compares them).
HTTP_HANDLER = os.environ.get("HTTP_HANDLER", "wsgi")
# Threads that run the sockets' database work (games/threads.py).
WS_DB_THREADS = env_int("WS_DB_THREADS", 4)

# --- Redis: channel layer and cache ----------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # The pub/sub layer: a group message is published once and each server
    # process delivers it to its own sockets, where the list-based layer
    # pushes one copy per socket through Redis (4x slower to reach 1000
    # sockets here, docs/performance.md). Group membership lives in each
    # process, so sockets closing en masse leave nothing stale in Redis, and
    # need no pool connection each (the list layer's group_discard failed
    # with MaxConnectionsError past 100 at once). Both layers deliver at most
    # once; the room's event log fills any gap (games/consumers.py).
    # socket_timeout above redis-py 8's 5 s default, which equals the list
    # layer's blocking pop and closed idle sockets with 1011
    # (django/channels_redis#422): harmless here, kept for the day the
    # layer changes.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": os.environ.get("CHANNELS_PREFIX", "asgi"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "mm"),
            # One pool per process, not one per request (config/cache.py).
            # Short timeouts: with Redis gone the throttles fail open at once
            # (config/api/throttling.py) instead of holding the request.
            "OPTIONS": {
                "pool_class": "config.cache.SharedConnectionPool",
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password reset mail: printed to the console (the server's log) unless
# EMAIL_HOST names an SMTP server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "Mastermind Online <noreply@localhost>"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

token_ttl = timedelta(hours=env_int("TOKEN_TTL_HOURS", 24 * 14))
REST_KNOX = {
    "TOKEN_TTL": token_ttl,
    "TOKEN_LIMIT_PER_USER": env_int("TOKEN_LIMIT_PER_USER", 10),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=env_int("TOKEN_MAX_TTL_DAYS", 90)),
}
# Knox saves a renewed expiry only when it would move by more than this many
# seconds: a token in steady use costs one UPDATE an hour, not one a minute
# (Knox's default), and expires at most an hour short of TOKEN_TTL after its
# last use. A tenth of the TTL at most, so a short TOKEN_TTL_HOURS still
# renews long before the token runs out.
REST_KNOX["MIN_REFRESH_INTERVAL"] = min(3600, int(token_ttl.total_seconds()) // 10)

# A socket whose token or session is revoked or expires is closed within this
# many seconds (at once when signing out through the API: see events.tokens_revoked).
WS_AUTH_RECHECK_SECONDS = env_int("WS_AUTH_RECHECK_SECONDS", 30)

# Computer players (games.bots) wait this long after their last move, a human pace.
BOT_PACE_SECONDS = float(os.environ.get("BOT_PACE_SECONDS") or 5)
# Each daphne process moves the bots (games.bots.BotRunnerMiddleware), so
# their moves reach that process's sockets even on the in-memory layer.
BOTS_IN_SERVER = env_bool("BOTS_IN_SERVER", True)

# --- REST framework --------------------------------------------------------
THROTTLE_DEFAULTS = {
    "anon": "60/min",
    "user": "600/min",
    "register": "5/hour",
    "login": "10/min",
    "guest": "20/hour",
    "guess": "60/min",
    "chat": "20/min",
}
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.AnonRateThrottle",
        "config.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        scope: os.environ.get(f"THROTTLE_{scope.upper()}", rate) for scope, rate in THROTTLE_DEFAULTS.items()
    },
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# The client address (every per-address throttle, REST and HTML forms alike)
# is the socket peer: no proxy is trusted unless NUM_PROXIES says how many
# stand in front, and then the address the outermost trusted one appended to
# X-Forwarded-For. DRF's own default (None) would take the whole header, which
# any client can forge to reset its limits.
REST_FRAMEWORK["NUM_PROXIES"] = env_int("NUM_PROXIES", 0)

SPECTACULAR_SETTINGS = {
    "TITLE": "Mastermind Online API",
    "DESCRIPTION": "Real-time multiplayer Mastermind. Authenticate with `Authorization: Token <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The sidecar's bundle, served by games/api/docs.py without its one CDN request.
    "REDOC_DIST": "/api/redoc/dist",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids from the path after /api/v1 ("rooms", "auth"),
    # so a generated client gets RoomsApi.roomsGuessesCreate, not V1Api.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Relative: the server that serves the schema (a generated client takes its base URL at run time).
    "SERVERS": [{"url": "/", "description": "The server this schema was fetched from."}],
    # Error responses every operation shares, all as the one Error component (games/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "games.api.schema.declare_errors",
        "games.api.schema.refuse_unknown_fields",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoomStatusEnum": "games.models.Room.Status",
        "PlayerStatusEnum": "games.models.Player.Status",
        "ModeEnum": "games.models.Room.Mode",
    },
}

# --- I18N, static ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Serve from the apps' static folders too, so the embedded run and the tests
# need no collectstatic; production images collect at build time anyway.
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Not the Manifest variant: it would make every page fail until
        # collectstatic has run, and the embedded run and tests do without it.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}

# --- Content-Security-Policy (django-csp) -----------------------------------------
# Everything from the site itself: no inline script, no eval, no other host.
# Peg colours are classes in app.css (no style attributes); htmx's own
# indicator <style> is off (base.html's htmx-config). Only ReDoc's page adds
# 'unsafe-inline' styles (its styled-components inject <style> elements):
# config/urls.py. Sockets are same-origin ('self' covers ws: and wss:).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF],
        "style-src": [csp.constants.SELF],
        "img-src": [csp.constants.SELF, "data:"],
        "font-src": [csp.constants.SELF],
        "connect-src": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.SELF],
        "form-action": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
    }
}

# --- Security behind TLS (opt-in) ------------------------------------------------
# BEHIND_TLS_PROXY=1: the proxy terminates TLS and says so in
# X-Forwarded-Proto; plain http is redirected to https (except the health
# probe, which load balancers and compose call over plain http inside the
# network), HSTS is sent, and cookies are secure. `check --deploy` is clean.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if env_bool("SECURE_COOKIES", BEHIND_TLS_PROXY):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
if BEHIND_TLS_PROXY:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)

# One console handler, on the root. Django's default config gives its
# "django" logger a console handler of its own (when DEBUG is on) that also
# propagates to the root: every 4xx warning came out twice, so that logger
# keeps no handler here. daphne's start-up note that HTTP/2 is off (it needs
# TLS extras this server does not use) is dropped as noise.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_http2_notice": {
            "()": "django.utils.log.CallbackFilter",
            "callback": lambda record: not record.getMessage().startswith("HTTP/2 support not enabled"),
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "daphne.server": {"filters": ["no_http2_notice"]},
    },
}
