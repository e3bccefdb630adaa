"""The one settings module: configured by environment variables alone.

`manage.py`, `make run`, `make serve` and the tests all read this module, so
`manage.py check --deploy` with production's variables judges production.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name, default, *, minimum=None, maximum=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}")
    return number


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("PORTAL_ALLOW_INSECURE_KEY") != "1":
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    # Only the local demo and the tests get here; never production.
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "js_lib_bootstrap5",
    "django_htmx",
    "portal.apps.LoginSecurityConfig",  # django-axes, named for the admin
    "portal.apps.PortalConfig",
    # Two-factor login (docs/interface.md): TOTP devices and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "subscriptions",
    "reminders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    # Webhooks (docs/webhooks.md): the outbox, and django-q2's queue table that sends it.
    "portal.apps.WebhookQueueConfig",  # django-q2, named for the admin
    "webhooks",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second factor, if any, this session passed (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    # Who acts and from where, for the audit log's rows (rule 24), once the user is known.
    "audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An organization that requires two-factor login keeps its members without it on the
    # security page (after the messages: the page says why).
    "accounts.middleware.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.PrivateAnswersMiddleware",
    "api.throttling.RateLimitHeadersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during login into the answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
(BASE_DIR / "var" / "staticfiles").mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'portal.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing
    # with "database is locked" when one upgrades its read lock.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Parameters bound on the server: psycopg then prepares each statement a connection
    # runs for the fifth time, and PostgreSQL parses and analyses a page's and a
    # renewal's queries once per kept connection (CONN_MAX_AGE), not at every request.
    # Each run is still planned for its own values: a plan made once for any value
    # (PostgreSQL's generic plan) suits some badly, a name search's pattern among them.
    # A pooler in transaction mode must keep prepared statements (docs/deployment.md).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.update(server_side_binding=True, prepare_threshold=5)
    options["options"] = " ".join(
        filter(None, [options.get("options"), "-c plan_cache_mode=force_custom_plan"])
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username before any password is checked.
# (It needs the request: tests log in with `force_login`, never `client.login`.)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading the membership with the user (one query less a request).
    "accounts.backends.PortalBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time --------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Numbers are grouped by three on every page, in each language's way (portal/formats/):
# figures meant for scripts (data-* attributes, ids in URLs) are written with |unlocalize.
FORMAT_MODULE_PATH = ["portal.formats"]
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_TZ = True

# --- Static files (Bootstrap comes from django-js-lib-bootstrap5, never a CDN) -------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or os.environ.get("PORTAL_PLAIN_STATIC") == "1"
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style anywhere, the admin included (its templates have none): every
# script and stylesheet is a static file. Bootstrap's CSS draws its icons as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (docs/interface.md "Guarantees the database keeps"): 10 failures for one
# username lock it for 15 minutes, whatever the address; 10 failures from one address lock
# that address too (password spraying over many usernames); successes never count.
AXES_FAILURE_LIMIT = 10
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=5))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# axes' own database handler, but a failure that races a success counted again, not a
# 500 (accounts/axes_handler.py).
AXES_HANDLER = "accounts.axes_handler.AxesHandler"
# Wrong second-step codes are failures of the same login (accounts/login_views.py): the
# code is kept out of axes' log like the password.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# Failed attempts are what matters; a row per successful login is not needed.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Two-factor login (django-otp). The authenticator app shows the product's name. django-otp's
# own delay after a wrong code is off: wrong codes count in django-axes' lock with the
# passwords (one lock, one message), and a delay would refuse the right code typed next.
OTP_TOTP_ISSUER = "Partner Portal"
OTP_TOTP_THROTTLE_FACTOR = 0
# A code is accepted one time step either side of the server's clock. Learning a drift
# from a code typed at a step's edge would move that window away from the phone's clock.
OTP_TOTP_SYNC = False
OTP_STATIC_THROTTLE_FACTOR = 0
# Staff reset a member's devices; they never need to read their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# How long the second step waits for its code after a right password.
LOGIN_CODE_MAX_AGE = env_int("LOGIN_CODE_MAX_AGE", 300, minimum=60)

# Single sign-on with OpenID Connect (accounts/sso.py): on only with OIDC_ISSUER, whose
# discovery document gives the endpoints and keys. The provider is trusted for the second
# factor of the identities it vouches for.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip().rstrip("/")
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
if OIDC_ISSUER:
    for _name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not globals()[_name]:
            raise ImproperlyConfigured(f"{_name} is required when OIDC_ISSUER is set")
    _issuer = urlsplit(OIDC_ISSUER)
    # Plain HTTP would let anyone on the way read the codes and forge the provider: only a
    # provider on this machine (the tests', a local trial) may use it.
    if not _issuer.hostname or not (
        _issuer.scheme == "https"
        or (_issuer.scheme == "http" and _issuer.hostname in ("127.0.0.1", "localhost", "::1"))
    ):
        raise ImproperlyConfigured(
            f"OIDC_ISSUER must be an https:// address, not {OIDC_ISSUER!r}"
        )
# How long the discovery document (and the provider's keys) are kept before being read again.
OIDC_METADATA_MAX_AGE = env_int("OIDC_METADATA_MAX_AGE", 3600, minimum=60)

# --- Mail ---------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@localhost")
# Where the portal is reached from outside: the links in e-mails are absolute.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Webhooks (docs/webhooks.md) ---------------------------------------------------
# Loopback and private addresses are refused (server-side request forgery) unless this is
# on: the local demo's and the tests' receivers listen on loopback.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG)
# Seconds a receiver has to answer one POST.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10, minimum=1, maximum=60)
# The wait before each retry, counted from the failed try; after the last, the delivery
# has failed and its endpoint is disabled.
WEBHOOK_RETRY_DELAYS = [
    int(delay)
    for delay in os.environ.get("WEBHOOK_RETRY_DELAYS", "5,300,1800,7200,18000,36000").split(",")
    if delay.strip()
]
# The worker (`manage.py qcluster`, started by `make serve` and `make run`): django-q2 on
# its ORM broker, in this database. A task sends at most 4 deliveries (webhooks/queue.py),
# so its time limit covers four timeouts; a task not acknowledged `retry` seconds after it
# was handed out (its worker died) is handed out again.
Q_CLUSTER = {
    "name": "portal",
    "orm": "default",
    "workers": env_int("WEBHOOK_WORKERS", 2, minimum=1),
    "timeout": WEBHOOK_TIMEOUT * 4 + 5,
    "retry": WEBHOOK_TIMEOUT * 4 + 10,
    "poll": 1,
    "catch_up": False,
    "save_limit": 100,
    # A task that fails (the database was restarting, say) stays queued and is handed out
    # again after `retry`, as often as it takes: the delivery it carries is never dropped.
    "ack_failures": False,
    "max_attempts": 0,
}

# --- Third-party apps ---------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# The partner API (api/, docs/api.md): tokens only (a browser session is not an API
# credential, so no CSRF question), JSON and RFC 9457 problem details, per-token rate
# counted in the database for every app server together.
API_RATE = os.environ.get("API_RATE", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ManagerForWrites"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "api.problems.ProblemJSONRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Portal API",
    # Markdown, shown at the top of /api/docs/: what the product is, and the way back.
    "DESCRIPTION": (
        "The Partner Portal's API: your clients and their subscriptions, "
        "the renewals to do, your license pools and their ledger, as the portal shows "
        "them to you. Send `Authorization: Token <key>` with a key from "
        "[API tokens](/account/api-tokens/); writes also need an `Idempotency-Key`. "
        "Errors are problem details (`application/problem+json`).\n\n"
        "[Back to Partner Portal](/)"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Without deep links: Swagger UI would put a link inside each operation's button
    # (nested interactive controls, which screen readers cannot reach).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "persistAuthorization": False},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}

# --- The product's rules (docs/rules.md) ---------------------------------------
RENEWAL_WINDOW_MONTHS = env_int("RENEWAL_WINDOW_MONTHS", 3, minimum=1, maximum=12)
RENEWAL_AFTER_EXPIRY = os.environ.get("RENEWAL_AFTER_EXPIRY", "restart").strip().lower()
if RENEWAL_AFTER_EXPIRY not in {"restart", "continuous"}:
    raise ImproperlyConfigured("RENEWAL_AFTER_EXPIRY must be 'restart' or 'continuous'")
# Rule 23: run_auto_renewals renews what ends within this many days, and keeps trying a
# pool that cannot pay until the subscription has been expired this long.
AUTO_RENEW_LEAD_DAYS = env_int("AUTO_RENEW_LEAD_DAYS", 7, minimum=0, maximum=365)
AUTO_RENEW_GRACE_DAYS = env_int("AUTO_RENEW_GRACE_DAYS", 30, minimum=0, maximum=365)
# How long a form's one-time token stays valid (a form left open over a weekend still works).
OPERATION_TOKEN_MAX_AGE = env_int("OPERATION_TOKEN_MAX_AGE", 7 * 24 * 3600, minimum=60)
# SQLite ignores an index's included columns (subscription_auto_renew_due's), which only
# PostgreSQL's index-only scans need: the warning says nothing to act on.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Dashboard figures, forecast and list counts kept until the data changes (PostgreSQL
# only; subscriptions/selectors/figures_cache.py). Off: computed on every request
# (`make bench` measures both).
FIGURES_CACHE = env_bool("FIGURES_CACHE", True)
# The dashboard's figures and the forecast kept per client group in the database and
# brought up to date by the writes' records (PostgreSQL only; selectors/figures_kept.py).
# Off: computed from every subscription in scope on a cache miss (`make bench` compares).
KEPT_FIGURES = env_bool("KEPT_FIGURES", True)
# One cache for every gunicorn worker on the machine (figures computed once per change, not
# once per worker): files, written atomically, so nothing more to install or run. Each
# app server may have its own: a figure is kept with the database's snapshot, which every
# server's writes move. Not the database cache: its writes would move that snapshot on
# every read. The API's rate limit is not here: all the servers must count the same calls
# (api/throttling.py, in the database).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("CACHE_DIR") or str(BASE_DIR / "var" / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
