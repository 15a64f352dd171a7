"""One settings file: every difference between demo, test and production comes from the environment.

With no variable set the tracker runs embedded: SQLite at var/db.sqlite3, Celery's filesystem://
transport under var/celery/, and email written as files under var/mail/.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=True)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is the built-in development key: set SECRET_KEY."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "tracker.apps.TrackerAdminConfig",  # django.contrib.admin with the tracker's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "django_filters",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (the CSP allows 'self' only)
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tracker.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Web, worker and beat share one file: wait for locks instead of failing at once,
            # and take the write lock at BEGIN so two writers never deadlock on an upgrade.
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory: a Celery worker started by a test must see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
# Holds the dashboard's counts (tracker/selectors.py) until an item changes. Redis in production
# (CACHE_URL=redis://host:6379/2: Django's RedisCache); embedded, files under var/cache, which
# every process of the demo (two web workers) shares, so a change seen by one is seen by all.
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tracker.auth_backend.ProfileBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tracker:dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "tracker" / "locale"]
# Korean times read “오전 11:00” (Django's own Korean format puts 오전 after the time).
FORMAT_MODULE_PATH = ["tracker.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
# Uploaded evidence goes through Django's storage API: files under var/media by default; in
# production any storage backend (e.g. django-storages' S3Storage: FILE_STORAGE_BACKEND and
# FILE_STORAGE_OPTIONS as JSON, docs/collaboration.md). Never served as static files: only the
# evidence view, which checks releasability, reads them.
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("FILE_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Snapshot reports: a PDF of more items than this is laid out by a worker and kept, not in the
# request (WeasyPrint lays out 45 to 90 items a second on 2 cores; gunicorn's timeout is 30 s).
REPORT_PDF_NOW_ITEMS = env.int("REPORT_PDF_NOW_ITEMS", default=1000)

# --- Email ----------------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# A hung SMTP server must fail the send well inside the task's soft time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Recommendations Tracker <tracker@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_FS_DIR = VAR_DIR / "celery"
    for sub in ("queue", "processed", "control"):
        (CELERY_FS_DIR / sub).mkdir(parents=True, exist_ok=True)
    # One folder in and out: producer and worker exchange files through it. Processed messages
    # are not kept (they would pile up forever).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "store_processed": False,
        # Exchange tables; the default is ./control, which would litter the working tree.
        "control_folder": str(CELERY_FS_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Retries use short countdowns only (well under this); never schedule by ETA.
        "visibility_timeout": 3600,
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Tests shorten the tick through the environment so they need not wait five minutes.
REMINDER_SWEEP_SECONDS = env.float("REMINDER_SWEEP_SECONDS", default=300.0)
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-reminders": {
        "task": "tracker.tasks.sweep_reminders",
        "schedule": REMINDER_SWEEP_SECONDS,
    },
    "sweep-webhooks": {
        "task": "tracker.tasks.sweep_webhooks",
        "schedule": WEBHOOK_SWEEP_SECONDS,
    },
}
if EMAIL_TIMEOUT >= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("EMAIL_TIMEOUT must be below the task soft time limit.")

# --- Reminders ------------------------------------------------------------------------------------
# A recipient's digest goes out in [hour, hour + window) of their local wall clock.
REMINDER_LOCAL_HOUR = env.int("REMINDER_LOCAL_HOUR", default=9)
REMINDER_WINDOW_HOURS = env.int("REMINDER_WINDOW_HOURS", default=3)
# Off: every day is a working day (no weekends, no public holidays).
REMINDER_ONLY_WORKING_DAYS = env.bool("REMINDER_ONLY_WORKING_DAYS", default=True)
REMINDER_ESCALATION_DAYS = env.int("REMINDER_ESCALATION_DAYS", default=14)
# A pending row untouched this long is presumed lost (message or worker) and is re-enqueued;
# keep it above CELERY_TASK_TIME_LIMIT so a live send is never taken over.
REMINDER_PENDING_TIMEOUT_MINUTES = env.float("REMINDER_PENDING_TIMEOUT_MINUTES", default=15)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=8)
REMINDER_RETRY_BASE_SECONDS = env.float("REMINDER_RETRY_BASE_SECONDS", default=5.0)
REMINDER_RETRY_MAX_SECONDS = env.float("REMINDER_RETRY_MAX_SECONDS", default=300.0)
REMINDER_LINK_MAX_AGE_DAYS = env.int("REMINDER_LINK_MAX_AGE_DAYS", default=14)
# Digests a send_reminders task takes at once, through one SMTP connection. Each batch costs a
# dozen round trips of its own (task, claim, load, SMTP connection); at 100 they are ~4 % of its
# time (bench: 0.49 → 0.54 of the floor from 50). A killed worker leaves at most this many rows
# for the pending timeout.
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=100)
# A batch starts no new message after this long; the rest go back to the queue at once. It
# leaves one EMAIL_TIMEOUT (and a margin) before the task's soft time limit.
REMINDER_BATCH_SECONDS = env.float("REMINDER_BATCH_SECONDS", default=30.0)
SWEEP_STALE_MINUTES = 15
if not (
    0 <= REMINDER_LOCAL_HOUR <= 23
    and REMINDER_WINDOW_HOURS >= 1
    and REMINDER_LOCAL_HOUR + REMINDER_WINDOW_HOURS <= 24
):
    raise ImproperlyConfigured("The reminder window must lie within one local day.")
if REMINDER_BATCH_SIZE < 1:
    raise ImproperlyConfigured("REMINDER_BATCH_SIZE must be at least 1.")
if REMINDER_BATCH_SECONDS + EMAIL_TIMEOUT + 5 > CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "REMINDER_BATCH_SECONDS plus EMAIL_TIMEOUT must stay 5 s below the task soft time limit."
    )
if REMINDER_RETRY_MAX_SECONDS > 600:
    # A long countdown on Redis outlives the visibility timeout and runs twice.
    raise ImproperlyConfigured("REMINDER_RETRY_MAX_SECONDS must stay within a few minutes.")

# --- API ------------------------------------------------------------------------------------------
# docs/api.md. Session sign-in for the browser, personal access tokens (Bearer) for scripts.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")  # per token (or user)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
API_PAGE_SIZE = 100
API_MAX_PAGE_SIZE = 500
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.api.authentication.TokenAuthentication",  # first: its 401 names "Bearer"
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.TokenScopeAllows"],
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.throttling.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_THROTTLE_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Forms too: a browser's form post is refused by the CSRF check, not as an unknown type.
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tracker.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Recommendations tracker API",
    "DESCRIPTION": "Action items, their timeline and status, releasability kept (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "tracker.models.choices.Status",
    },
}

# --- Webhooks -------------------------------------------------------------------------------------
# docs/api.md: signed per Standard Webhooks, delivered at least once by Celery, retried with
# backoff for WEBHOOK_RETRY_HOURS; an endpoint failing that long is turned off.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=3.0)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24.0)
WEBHOOK_DISABLE_AFTER_HOURS = env.float("WEBHOOK_DISABLE_AFTER_HOURS", default=24.0)
# A claim older than this belongs to a dead worker; above CELERY_TASK_TIME_LIMIT.
WEBHOOK_PENDING_TIMEOUT_MINUTES = env.float("WEBHOOK_PENDING_TIMEOUT_MINUTES", default=3.0)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=50)
WEBHOOK_BATCH_SECONDS = env.float("WEBHOOK_BATCH_SECONDS", default=30.0)
# Plain http and private addresses (loopback, RFC 1918, link-local) only where allowed: a test
# bench, or receivers on a private network. Off in production by default.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
if WEBHOOK_BATCH_SECONDS + WEBHOOK_TIMEOUT_SECONDS * 2 + 5 > CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "WEBHOOK_BATCH_SECONDS plus two WEBHOOK_TIMEOUT_SECONDS must stay 5 s below the task "
        "soft time limit."
    )
if WEBHOOK_PENDING_TIMEOUT_MINUTES * 60 <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("WEBHOOK_PENDING_TIMEOUT_MINUTES must exceed the task time limit.")

# --- Working together on an item -----------------------------------------------------------------
# Largest evidence file accepted, in bytes (20 MiB); a bigger one is refused, nothing stored.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
# Uploads above this size are spooled to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A comment can be edited by its author this many minutes after it was posted.
COMMENT_EDIT_MINUTES = env.int("COMMENT_EDIT_MINUTES", default=15)
# On: a claim of implementation is accepted only by a coordinator of the other country than the
# claimant's (returning it with a note stays open to any coordinator but the claimant).
REVIEW_REQUIRE_OTHER_COUNTRY = env.bool("REVIEW_REQUIRE_OTHER_COUNTRY", default=False)
# A digest tells of mentions and of changes on followed items made at most this many days ago.
DIGEST_NEWS_DAYS = env.int("DIGEST_NEWS_DAYS", default=14)

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Only a reverse proxy that terminates TLS and sets X-Forwarded-Proto itself (overwriting any
# the client sent) may say a request came over HTTPS; without one, any client could send the
# header over plain HTTP and skip the redirect. Off by default: the header is ignored.
PROXY_SETS_X_FORWARDED_PROTO = env.bool("PROXY_SETS_X_FORWARDED_PROTO", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if PROXY_SETS_X_FORWARDED_PROTO else None
)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): same-origin only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Login throttling (django-axes): lock a username from one address, so one user's typos cannot
# lock out everyone behind the same proxy. Behind AXES_PROXY_COUNT reverse proxies the client's
# address is read from X-Forwarded-For by tracker.throttling (django-ipware is not installed, so
# axes' own AXES_IPWARE_* settings would do nothing); with 0 the header is ignored.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
TRUSTED_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "tracker.throttling.client_ip"
AXES_VERBOSE = False

# Two-factor (TOTP) for staff in the admin; `make demo` turns it off and says so on the login page.
ADMIN_REQUIRE_OTP = env.bool("ADMIN_REQUIRE_OTP", default=True)
# Enrolling an authenticator needs a one-time link (emailed, or issued by a superuser) as well
# as the password; it expires after this many hours (tracker/enrolment.py).
ADMIN_ENROLMENT_LINK_HOURS = env.int("ADMIN_ENROLMENT_LINK_HOURS", default=24)
OTP_TOTP_ISSUER = "Recommendations Tracker"
# The device admin never shows a secret or QR code: whoever reads it could copy someone's
# authenticator (and its views would fail with a server error on a missing device).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Sign-in through identity providers (OpenID Connect) ---------------------------------------
# OIDC_PROVIDERS names each provider (in the order of their buttons); OIDC_<NAME>_* configure it.
# The claims mapping is described in docs/operations.md; tracker/identity.py applies it.
_ROLE_KEYS = {"readers": "readers", "owners": "owners", "coordinators": "coordinators"}
_MARKINGS = {"us-only": "us-only", "kr-only": "kr-only", "us-kr": "us-kr"}


def _oidc_provider(name: str) -> dict:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", name):
        raise ImproperlyConfigured(f"OIDC_PROVIDERS: {name!r} is not a short lower-case name.")
    prefix = f"OIDC_{name.upper().replace('-', '_')}_"
    scopes = env.str(prefix + "SCOPES", default="openid email profile").split()
    if "openid" not in scopes:
        raise ImproperlyConfigured(f"{prefix}SCOPES must include openid.")
    return {
        "name": name,
        "label": env.str(prefix + "LABEL", default=name),
        "issuer": env.str(prefix + "ISSUER").rstrip("/"),
        "client_id": env.str(prefix + "CLIENT_ID"),
        "client_secret": env.str(prefix + "CLIENT_SECRET"),
        "scopes": " ".join(scopes),
        "claim_names": {
            claim: env.str(f"{prefix}{claim.upper()}_CLAIM", default=claim)
            for claim in ("groups", "clearances", "country", "organization")
        },
        "groups": env.dict(prefix + "GROUPS", default=_ROLE_KEYS),  # provider group=role
        "clearances": env.dict(prefix + "CLEARANCES", default=_MARKINGS),  # value=marking
        "require_role": env.bool(prefix + "REQUIRE_ROLE", default=False),
        "link_by_email": env.bool(prefix + "LINK_BY_EMAIL", default=True),
        "mfa_amr": env.list(prefix + "MFA_AMR", default=["mfa"]),
        "mfa_acr": env.list(prefix + "MFA_ACR", default=[]),
    }


OIDC_PROVIDERS = [_oidc_provider(name) for name in env.list("OIDC_PROVIDERS", default=[])]
if len({p["name"] for p in OIDC_PROVIDERS}) != len(OIDC_PROVIDERS):
    raise ImproperlyConfigured("OIDC_PROVIDERS names a provider twice.")
# Signing out posts a form that redirects to the provider's end-session page, and a page's
# form-action also governs where its forms' redirects may go.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += sorted(
    {"://".join(urlsplit(p["issuer"])[:2]) for p in OIDC_PROVIDERS}
)
# Off: no "Sign in with ..." buttons on the login pages (the sign-in addresses keep working).
OIDC_LOGIN_BUTTONS = env.bool("OIDC_LOGIN_BUTTONS", default=True)
# Off: no password form on either login page, and a password posted anyway signs nobody in; people
# sign in through a provider only. Needs a provider whose button shows, or nobody could sign in.
PASSWORD_SIGN_IN = env.bool("PASSWORD_SIGN_IN", default=True)
if not PASSWORD_SIGN_IN and not (OIDC_PROVIDERS and OIDC_LOGIN_BUTTONS):
    raise ImproperlyConfigured(
        "PASSWORD_SIGN_IN=0 needs a provider in OIDC_PROVIDERS and OIDC_LOGIN_BUTTONS=1: "
        "otherwise nobody could sign in."
    )
# Seconds to wait for a provider's discovery, token, key and user-info endpoints.
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)

# --- Logging --------------------------------------------------------------------------------------
# Tokens in URLs (signed links, calendar feeds) are redacted where Django logs paths, on the
# loggers themselves (so every handler gets the redacted text) and on the console handler.
_REDACTED = {"filters": ["redact_secrets"]}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "tracker.log_redaction.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", **_REDACTED}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs each step of every PDF it lays out at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # a line per webhook sent; the delivery log has them
        "django.request": _REDACTED,
        "django.security.csrf": _REDACTED,
        "django.server": _REDACTED,
        # Refused keys, enrolment links issued and used (docs/operations.md): kept whatever
        # LOG_LEVEL says.
        "tracker.audit": {"level": "INFO"},
    },
}
