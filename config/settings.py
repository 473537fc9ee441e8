"""Settings for microgrants: one module, every knob read from an environment variable.

The defaults are the embedded shape (SQLite in the project folder, local media, tasks run
in-process, mails on the console). Production sets DJANGO_DEBUG=0, a secret key, allowed hosts
and DATABASE_URL=postgres://...
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Seconds a Redis server (task queue, cache) may take to accept a connection or to answer: one
# that hangs makes the request or the enqueue fail fast (the sweeper runs the row later).
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "5"))


def redis_url_with_timeouts(url: str) -> str:
    """`url` with connect and read timeouts, which redis-py reads from the query (django-rq
    passes only the URL on); timeouts the URL sets itself stay."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("socket_connect_timeout", f"{REDIS_SOCKET_TIMEOUT:g}")
    query.setdefault("socket_timeout", f"{REDIS_SOCKET_TIMEOUT:g}")
    return urlunsplit(parts._replace(query=urlencode(query)))


DEBUG = env_bool("DJANGO_DEBUG", True)
# The fallback key only ever serves the embedded development shape; check --deploy flags it.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-development-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# A refused form in the site's layout and the visitor's language, with what to do next.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

INSTALLED_APPS = [
    # Before the admin: the per-language fields of translated models (public.Page).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "axes",
    "workflows",
    "accounts",
    "organisations",
    "grants",
    "applications",
    "conversations",
    "amendments",
    "interim",
    "reviews",
    "dashboards",
    "partners",
    "public",
    "calendars",
    "webhooks",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files (an SVG opened on its own, too) carry both policies.
    "csp.middleware.CSPMiddleware",
    "workflows.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # ?lang=fr: the public pages' address per language (hreflang, sitemap, shared links).
    "public.language.LanguageFromAddressMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and refuses further attempts for a while (rate limiting).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "applications.context_processors.portal",
                "conversations.context_processors.unread",
            ],
        },
    },
    {
        # Plain text (e-mail subjects and bodies): nothing is HTML-escaped, so "d'artistes & Co"
        # stays as typed. Asked for by name (`using=TEXT_TEMPLATES`); pages never come here.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A persistent connection the server dropped (restart, failover, idle kill) is replaced
        # at the start of the next request instead of failing it; free without persistence.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
    # concurrent requests queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # The API's statistics are aggregates of a few 100 ms at most: JIT compilation costs more
    # than it saves there (tens of ms per query). DATABASE_OPTIONS adds libpq options.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ.get(
        "DATABASE_OPTIONS", "-c jit=off"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# The API's per-token rate limits count here. In memory is right for one process (development,
# `make run`, tests); several gunicorn workers or machines must share the counts, or each
# worker grants the full rate: CACHE_URL=redis://host:6379/1, or CACHE_URL=database (a table,
# made once by `manage.py createcachetable`). `check --deploy` warns about the in-memory cache.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
elif CACHE_URL == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "microgrants_cache",
        }
    }
elif CACHE_URL in ("", "memory"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"CACHE_URL={CACHE_URL!r}: use redis://host:port/db, database, or leave it empty."
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time ---------------------------------------------------------------------
# How long a public page stays cached for visitors at most; changes invalidate it at once
# (workflows/visitor_cache.py), so this only bounds the memory of pages nobody asks for again.
PUBLIC_PAGES_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGES_CACHE_SECONDS", "3600"))

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Translated texts (django-modeltranslation): a text missing in the reader's language is shown
# in the first of these that has it.
MODELTRANSLATION_DEFAULT_LANGUAGE = "de"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("de", "fr", "en")
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
# With DJANGO_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (a staging server,
# the worker tests): the folder the messages are written to, one file per sending.
if os.environ.get("DJANGO_EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["DJANGO_EMAIL_FILE_PATH"]
# Seconds per network operation with the mail server: a server that accepts and then stays
# silent fails the attempt (retried later) instead of holding a worker, which then also stops
# within about twice this time (workflows.outbox).
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "20"))
# The address every e-mail is sent from; its display name is the fund's name in the recipient's
# language, and replies go to the fund's contact e-mail (workflows.senders, grants.identity).
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "noreply@localhost")

# --- Background tasks (Django's Tasks API through the django-tasks backport) ----------------
# immediate: run in the request (development, tests); database: a table that `manage.py db_worker`
# drains (one server; enqueued in the same transaction as the change); rq: Redis queues that
# `manage.py rqworker --job-class django_tasks_rq.Job default` drains (many workers).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
TASKS = {
    "default": {
        "BACKEND": _TASK_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND),
        "QUEUES": ["default"],
    }
}
RQ_QUEUES = {
    "default": {
        # RQ workers raise the read timeout for their blocking wait on the queue themselves.
        "URL": redis_url_with_timeouts(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")),
        "DEFAULT_TIMEOUT": int(os.environ.get("RQ_JOB_TIMEOUT", "600")),
    }
}
# A side effect running for longer than this lost its worker (killed, machine gone): the sweeper
# of run_deadlines runs it again. Longer than any handler takes (RQ_JOB_TIMEOUT included).
MICROGRANTS_SIDE_EFFECT_TIMEOUT_MINUTES = int(
    os.environ.get("MICROGRANTS_SIDE_EFFECT_TIMEOUT_MINUTES", "15")
)

# --- Webhooks (webhooks/) -----------------------------------------------------------------------
# Receivers must be https and resolve to public addresses; development (DEBUG) allows http and
# private addresses, these settings allow them outside it (tests, a receiver on purpose on the
# same private network).
MICROGRANTS_WEBHOOK_ALLOW_HTTP = env_bool("MICROGRANTS_WEBHOOK_ALLOW_HTTP", False)
MICROGRANTS_WEBHOOK_ALLOW_PRIVATE = env_bool("MICROGRANTS_WEBHOOK_ALLOW_PRIVATE", False)
# Seconds per network operation of a delivery.
MICROGRANTS_WEBHOOK_TIMEOUT = float(os.environ.get("MICROGRANTS_WEBHOOK_TIMEOUT", "10"))
# Failed attempts in a row after which a subscription is disabled (and its owner told).
MICROGRANTS_WEBHOOK_DISABLE_AFTER = int(os.environ.get("MICROGRANTS_WEBHOOK_DISABLE_AFTER", "20"))
# A delivery `sending` for longer lost its sender (killed): the sweeper sends it again.
MICROGRANTS_WEBHOOK_CLAIM_SECONDS = int(os.environ.get("MICROGRANTS_WEBHOOK_CLAIM_SECONDS", "300"))

# --- REST API -------------------------------------------------------------------------------
# Read-only funder API under /api/v1/: API tokens (grants.ApiToken, sent as "Authorization:
# Bearer ...") or a staff session; errors as RFC 7807 problems; keyset cursors; ETags.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "grants.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["grants.api.auth.HasApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["grants.api.auth.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "workflows.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "workflows.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "workflows.api.problems.problem_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per token (or staff user) and period: second, minute, hour or day. The counts live
# in Django's cache: give several web processes a shared one (e.g. Redis) to count together.
MICROGRANTS_API_RATE = os.environ.get("MICROGRANTS_API_RATE", "600/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "microgrants API",
    "DESCRIPTION": (
        "The fund's data for funders and staff: programmes, calls, applications, grants, "
        "payments, statistics and the 360Giving export, read-only for funders. Staff "
        "integrations perform transitions with POST .../transitions/{name}/; an "
        "`Idempotency-Key` header makes retries safe. Authenticate with an API token from "
        "an administrator (`Authorization: Bearer mgt_...`). Lists are paged with cursors "
        "(`next`/`previous` links, `page_size` up to 100); every error is an RFC 7807 problem "
        "(`application/problem+json`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI from the sidecar package's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No "valid" badge: it is an image from validator.swagger.io, which the CSP refuses.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "applications.models.ApplicationStatus",
        "AmendmentStatusEnum": "amendments.models.AmendmentStatus",
        "GrantStatusEnum": "grants.models.GrantStatus",
        "PaymentStatusEnum": "grants.models.PaymentStatus",
        "ThemeEnum": "applications.models.Theme",
        "RegionEnum": "organisations.choices.Region",
    },
}

# --- Security (check --deploy is clean when DEBUG is off) -----------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Content-Security-Policy and Permissions-Policy -----------------------------------------
# Pages run only scripts and styles served from static/ (no inline code, no eval): an injected
# <script>, onclick= or style= does nothing. Enforced with DEBUG on too, so a developer sees a
# violation in the browser console while writing the template, not after deploying it
# (django-csp leaves the debug pages of 404 and 500 alone when DEBUG is on). A response that
# sets its own policy keeps it: downloads of generated documents and uploads send "sandbox".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        # data: for the icons that Django's admin and Swagger UI inline in their CSS.
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "object-src": [CSP_NONE],
    }
}
# Browser features no page uses, denied to the pages and to anything they might embed
# (workflows.security_headers); a feature added later gets its own entry with ["self"].
_DENIED_FEATURES = [
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]
MICROGRANTS_PERMISSIONS_POLICY: dict[str, list[str]] = {name: [] for name in _DENIED_FEATURES}
# Passkeys (WebAuthn), planned for the staff's second factor: the site itself only.
MICROGRANTS_PERMISSIONS_POLICY["publickey-credentials-get"] = ["self"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "applications:home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in rate limit (django-axes) -------------------------------------------------------
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Failed attempts per user name and address before sign-in is refused for a while.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A readable page in the visitor's language (how long, how to set a new password), status 429.
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Reverse proxies in front of the app (nginx: 1). Each appends to X-Forwarded-For the address
# it was reached from; with 0 the client is REMOTE_ADDR and the header is ignored. The sign-in
# and account-mail limits count per client (workflows.http.client_ip).
MICROGRANTS_TRUSTED_PROXIES = int(os.environ.get("DJANGO_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "workflows.http.client_ip"

# --- Account mails ---------------------------------------------------------------------------
# Sign-ups, new confirmation links and new passwords per hour: per address (more are silently
# not sent) and per client address (more are refused with a message). See accounts.services.
MICROGRANTS_ACCOUNT_MAILS_PER_ADDRESS = int(
    os.environ.get("MICROGRANTS_ACCOUNT_MAILS_PER_ADDRESS", "5")
)
MICROGRANTS_ACCOUNT_MAILS_PER_CLIENT = int(
    os.environ.get("MICROGRANTS_ACCOUNT_MAILS_PER_CLIENT", "20")
)

# --- The partner exchange (partners/) -------------------------------------------------------
# A post stays on the exchange this many days; the reminder with the renew link goes out this
# many days before it expires (`manage.py run_deadlines`).
MICROGRANTS_PARTNER_POST_DAYS = int(os.environ.get("MICROGRANTS_PARTNER_POST_DAYS", "90"))
MICROGRANTS_PARTNER_REMINDER_DAYS = int(os.environ.get("MICROGRANTS_PARTNER_REMINDER_DAYS", "7"))
# Messages to posters and reports of abuse per hour, per account and per client address
# (partners.limits); more are refused with a message (429).
MICROGRANTS_PARTNER_CONTACTS_PER_USER = int(
    os.environ.get("MICROGRANTS_PARTNER_CONTACTS_PER_USER", "5")
)
MICROGRANTS_PARTNER_CONTACTS_PER_CLIENT = int(
    os.environ.get("MICROGRANTS_PARTNER_CONTACTS_PER_CLIENT", "20")
)
MICROGRANTS_PARTNER_REPORTS_PER_USER = int(
    os.environ.get("MICROGRANTS_PARTNER_REPORTS_PER_USER", "10")
)
MICROGRANTS_PARTNER_REPORTS_PER_CLIENT = int(
    os.environ.get("MICROGRANTS_PARTNER_REPORTS_PER_CLIENT", "20")
)

# --- Uploads --------------------------------------------------------------------------------
MICROGRANTS_ATTACHMENT_MAX_BYTES = (
    int(os.environ.get("MICROGRANTS_ATTACHMENT_MAX_MB", "10")) * 2**20
)
MICROGRANTS_ATTACHMENTS_TOTAL_MAX_BYTES = (
    int(os.environ.get("MICROGRANTS_ATTACHMENTS_TOTAL_MAX_MB", "50")) * 2**20
)
# Larger uploads go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20
# A request body (uploads excluded) larger than this is refused before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20
# A final report with a few hundred receipts posts several thousand fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Fund-wide settings ---------------------------------------------------------------------
# The fund's account the SEPA credit transfers are paid from (debtor of every batch).
MICROGRANTS_DEBTOR_NAME = os.environ.get("MICROGRANTS_DEBTOR_NAME", "Buergerfonds Demo")
MICROGRANTS_DEBTOR_IBAN = os.environ.get("MICROGRANTS_DEBTOR_IBAN", "DE02120300000000202051")
MICROGRANTS_DEBTOR_BIC = os.environ.get("MICROGRANTS_DEBTOR_BIC", "BYLADEM1001")
# Open data (360Giving): grant ids are 360G-<prefix>-<reference>; the funder's org-id when it has
# one (else 360G-<prefix>-FUND-<fund>); the licence the published data carries.
MICROGRANTS_360G_PREFIX = os.environ.get("MICROGRANTS_360G_PREFIX", "microgrants")
MICROGRANTS_360G_FUNDER_ID = os.environ.get("MICROGRANTS_360G_FUNDER_ID", "")
MICROGRANTS_360G_LICENSE = os.environ.get(
    "MICROGRANTS_360G_LICENSE", "https://creativecommons.org/licenses/by/4.0/"
)
# Hours a claimed review task stays with its reviewer before it returns to the queue.
MICROGRANTS_CLAIM_HOURS = int(os.environ.get("MICROGRANTS_CLAIM_HOURS", "72"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # One line per background task run is noise at INFO; failures still show (WARNING and up).
    "loggers": {
        "django_tasks": {"level": os.environ.get("DJANGO_TASKS_LOG_LEVEL", "WARNING")},
        # WeasyPrint reports every step of every render at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
