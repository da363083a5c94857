"""Settings for the trade negotiation tracker.

One module, driven by environment variables. Every variable a deployer may change is listed,
with its default, in `.env.example`.
"""

import os
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ---------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# Development only. With DEBUG off, this key (or any missing, short or well-known one) stops
# `manage.py check` and the web server with a clear message (accounts/checks.py).
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production-7f3a9c1e5b"
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
# Rotation: put the old key here while sessions and signed links made with it run out.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A refused form is explained in the site's layout and the reader's language.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "axes",
    # The second factor (accounts/two_factor.py): devices, then the sign-in wizard.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    # The API (api/): Django REST framework described by drf-spectacular.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "negotiations",
    "meetings",
    "workinggroups",
    "audit",
    "dashboards",
    "reminders",
    "secretariat",
    "benchmarks",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the session's person verified once the second factor has passed.
    "django_otp.middleware.OTPMiddleware",
    # Nothing is reachable without signing in unless a view is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "accounts.middleware.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database: PostgreSQL in production, SQLite (WAL) as the embedded default
# ---------------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server read while a Celery worker writes; IMMEDIATE avoids
            # "database is locked" upgrades from read to write locks under concurrency.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # Tests use a file as well, like the embedded default: threads then race for real.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "db.sqlite3-test")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Accounts and authentication
# ---------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "accounts.signin.AddressLimitBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock out a username from an address after repeated failures, for a finite cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And an address, across all the usernames it tries (accounts/signin.py): higher, since a
# ministry's people may share one address.
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=20)
# The client's address: behind TRUSTED_PROXY_COUNT proxies (a TLS proxy: 1), from
# X-Forwarded-For as those proxies wrote it; with none, the connection's own address only, so
# that a forged header changes nothing.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# ipware counts the proxies listed in the header, after the client: all but the last, whose
# own address is the connection's.
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A password-reset link is valid for one hour; an invitation's link (which sets the first
# password) for a week, and for one use.
PASSWORD_RESET_TIMEOUT = 60 * 60
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Every request reads its session: from Redis when REDIS_URL is set (written through to the
# database as well, which outlives a Redis restart), so that reading it costs no query.
if env.str("REDIS_URL", default=""):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"

# ---------------------------------------------------------------------------------------------
# Internationalisation: English is the working language; Khmer and Chinese are read too
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("km", _("Khmer")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Static files: served by WhiteNoise, nothing from a CDN (the tracker runs on closed networks)
# ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# ---------------------------------------------------------------------------------------------
# Mail (Django 6.1 mailers)
# ---------------------------------------------------------------------------------------------
MAIL_BACKEND = env.str("MAIL_BACKEND", default="console" if DEBUG else "smtp")
_MAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKENDS[MAIL_BACKEND],
        "OPTIONS": (
            {
                "host": env.str("SMTP_HOST", default="127.0.0.1"),
                "port": env.int("SMTP_PORT", default=25),
                "username": env.str("SMTP_USER", default=""),
                "password": env.str("SMTP_PASSWORD", default=""),
                "use_tls": env.bool("SMTP_USE_TLS", default=False),
                "timeout": env.int("SMTP_TIMEOUT", default=20),
            }
            if MAIL_BACKEND == "smtp"
            else {}
        ),
    },
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FTA Tracker <tracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Reminders. A claim on one reminder outlasts one SMTP exchange (see SMTP_TIMEOUT); sends the
# mail server puts off are retried after REMINDERS_RETRY_SECONDS, doubling (at most half an
# hour), until what the reminder is about has passed; an unforeseen error, or a sender stopping
# while it holds the claim, counts towards REMINDERS_MAX_ATTEMPTS; reminders about a date
# (deadlines, due dates) go out at REMINDERS_LOCAL_HOUR in each person's zone.
REMINDERS_CLAIM_LEASE_SECONDS = env.int("REMINDERS_CLAIM_LEASE_SECONDS", default=300)
REMINDERS_RETRY_SECONDS = env.int("REMINDERS_RETRY_SECONDS", default=60)
REMINDERS_MAX_ATTEMPTS = env.int("REMINDERS_MAX_ATTEMPTS", default=8)
REMINDERS_BATCH_SIZE = env.int("REMINDERS_BATCH_SIZE", default=50)
REMINDERS_LOCAL_HOUR = env.int("REMINDERS_LOCAL_HOUR", default=8)

# ---------------------------------------------------------------------------------------------
# Redis and Celery
# ---------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker's processes mostly wait, on the mail server and on the database: two per core keep
# the cores busy (on two cores, 496 -> 610 emails/s from four processes rather than two).
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2 * (os.cpu_count() or 1))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# A static schedule: beat only triggers scans; what is due is decided from the database.
CELERY_BEAT_SCHEDULE = {
    "scan-reminders": {
        "task": "reminders.tasks.scan_reminders",
        "schedule": env.float("REMINDERS_SCAN_SECONDS", default=60.0),
        # A scan that waited longer than its interval is superseded by the next one.
        "options": {"expires": env.float("REMINDERS_SCAN_SECONDS", default=60.0)},
    },
    "forget-deleted-targets": {
        "task": "reminders.tasks.forget_deleted_targets",
        "schedule": 24 * 60 * 60.0,
    },
}

# ---------------------------------------------------------------------------------------------
# Security (production values; DEBUG relaxes the ones that need HTTPS)
# ---------------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Sent in production so the domain may be submitted to browsers' HTTPS-only list.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django's built-in Content Security Policy: no inline script anywhere, no third-party origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "django_tables2/tracker.html"
# Sort links are boosted (htmx swaps the table fragment); links in cells are not.
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table", "thead": {"hx-boost": "true"}}

# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes announces itself at INFO on every start; failures it logs at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}


# --- Second factor (accounts) ------------------------------------------------------------------
# Superusers, the secretariat and chief negotiators must pass a second factor
# (negotiations/permissions.py): a signed-in session that has not is sent to set one up or to
# enter its code (accounts/middleware.py), and the administration site refuses it. Always on in
# production; the test suite turns it off except where it tests it.
SECOND_FACTOR_ENFORCED = True
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.LoginRequiredMiddleware") + 1,
    "accounts.middleware.SecondFactorMiddleware",
)
# The administration site keeps its own guard (config/admin_access.py), not the library's patch.
TWO_FACTOR_PATCH_ADMIN = False
# Between the password and the code at sign-in, at most ten minutes.
TWO_FACTOR_LOGIN_TIMEOUT = 600
# The administration site never shows an authenticator's secret, nor its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# The QR code on a white ground, readable whatever the page's colours.
TWO_FACTOR_QR_FACTORY = "qrcode.image.svg.SvgFillImage"
# The name authenticator apps show beside the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Negotiation tracker")
# Password-reset emails: per address and per email address, within an hour.
PASSWORD_RESET_REQUEST_WINDOW = 60 * 60
PASSWORD_RESET_ADDRESS_LIMIT = env.int("PASSWORD_RESET_ADDRESS_LIMIT", default=10)
PASSWORD_RESET_ACCOUNT_LIMIT = env.int("PASSWORD_RESET_ACCOUNT_LIMIT", default=3)


# --- API (api/) --------------------------------------------------------------------------------
# Tokens or the browser's session (with CSRF); nothing anonymous; every refusal a problem
# details document (api/problems.py); lists paged by cursor; each token's requests budgeted.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ApiAccess"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.JsonByDefaultNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StableCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_THROTTLE_RATE", default="600/minute")},
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Request budgets are counted where every worker sees them: in Redis when REDIS_URL is set.
API_THROTTLE_CACHE = (
    {
        "BACKEND": "config.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "api-throttle",
    }
    if env.str("REDIS_URL", default="")
    else None
)
SPECTACULAR_SETTINGS = {
    "TITLE": "Negotiation tracker API",
    "DESCRIPTION": (
        "Agreements, parties, rounds, working groups, chapters, contested points, meetings, "
        "deadlines, commitments and the audit trail. Authenticate with a personal token "
        "(`Authorization: Bearer <token>`, made on your profile's API tokens page). Every "
        "change names the version it was based on; errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AgreementKindEnum": "negotiations.choices.AgreementKind",
        "AgreementStatusEnum": "negotiations.choices.AgreementStatus",
        "CommitmentStatusEnum": "negotiations.choices.CommitmentStatus",
        "MeetingKindEnum": "negotiations.choices.MeetingKind",
        "RoundModeEnum": "negotiations.choices.RoundMode",
        "ChapterStatusEnum": "workinggroups.choices.ChapterStatus",
        "ContestedPointStateEnum": "workinggroups.choices.ContestedPointState",
        "AuditActionEnum": "audit.choices.AuditAction",
    },
}


# --- Page cache (dashboards) -------------------------------------------------------------------
# The dashboard, portfolio, brief and working-group pages are kept rendered, keyed by the
# agreement's change generation, the reader's permission scope, language, zone and as-of point
# (dashboards/cache.py). In Redis when REDIS_URL is set (make run and make test set it, to the
# embedded server when none is given); in the process's memory otherwise.
# An alias of its own ("pages"): the default cache stays as it was for everything else.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": (
        {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pages",
        }
        if env.str("REDIS_URL", default="")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}
    ),
}
if env.str("REDIS_URL", default=""):
    # Sessions (see SESSION_ENGINE above): shared by every process, never one's own memory,
    # so that signing out in one is signing out in all.
    CACHES["sessions"] = {
        "BACKEND": "config.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "sessions",
    }
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=True)
# Pages shown as of now also change with the clock (overdue, next meeting): kept a minute.
PAGE_CACHE_NOW_SECONDS = env.int("PAGE_CACHE_NOW_SECONDS", default=60)
# Pages as of a past point change only with the record, which bumps the generation.
PAGE_CACHE_PAST_SECONDS = env.int("PAGE_CACHE_PAST_SECONDS", default=3600)
