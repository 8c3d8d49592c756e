"""genlife settings: one module, driven by the environment.

With no environment variables at all the site runs in *local mode*: SQLite and a file-system
Celery broker under ``.data/``, local file storage, console email, DEBUG on. Setting
``DATABASE_URL`` switches to the production shape, where every secret must come from the
environment and DEBUG is off unless ``DJANGO_DEBUG`` says otherwise. ``.env.example`` lists
every variable.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.conf import global_settings

BASE_DIR = Path(__file__).resolve().parent.parent


class _Env(environ.Env):
    """django-environ, except that every value is taken as given.

    django-environ reads a value that begins with "$" as the name of another variable
    ("$abc" means "the value of abc"), and Django's key generator makes keys that begin with
    "$" (about one local clone in 50): such a secret key, Stripe key or genome key would be
    replaced or refused. No setting of ours refers to another variable.
    """

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        value = self.ENVIRON.get(f"{self.prefix}{var}")
        if isinstance(value, str) and value.startswith("$"):
            return value if cast in (None, str) else self.parse_value(value, cast)
        return super().get_value(var, cast=cast, default=default, parse_default=parse_default)


env = _Env()

DATA_DIR = Path(env("GENLIFE_DATA_DIR", default=str(BASE_DIR / ".data")))
LOCAL_MODE = "DATABASE_URL" not in env

DEBUG = env.bool("DJANGO_DEBUG", default=LOCAL_MODE)


def _local_secret_key() -> str:
    """A per-checkout random key for local mode, kept in the git-ignored data folder."""
    from django.core.management.utils import get_random_secret_key

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


if LOCAL_MODE:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or _local_secret_key()
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: production must provide one

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if LOCAL_MODE else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Absolute links (canonical, og:url, JSON-LD, feed, robots.txt, emails) start with this. Without
# GENLIFE_SITE_URL it is the local site on the port it runs on (PORT, as `make run` uses).
SITE_URL = env(
    "GENLIFE_SITE_URL", default=f"http://localhost:{env('PORT', default='8000')}"
).rstrip("/")
# Keys that still verify signatures and decrypt second-factor secrets after SECRET_KEY changes
# (members.adapters.MFAAdapter); comma-separated, newest first.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
SITE_NAME = "genlife"

INSTALLED_APPS = [
    # django.contrib.admin with genlife.admin_site.GenlifeAdminSite (allauth login, 2FA gate)
    "genlife.apps.GenlifeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    # Revisions of articles and the SNP catalogue (articles/revisions.py, genotypes/admin.py).
    "reversion",
    # Apps connect their receivers in this order: billing must hear of an account deletion
    # before genotypes (members/signals.py says why).
    "members",
    "billing",
    "articles",
    "genotypes",
    "newsletter",
    # Above articles: the weekly email of a member's new results (its beat entry below).
    "digests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # A security check that cannot run (Redis away) answers 503 "try again in a moment".
    "genlife.errors.SecurityCheckUnavailableMiddleware",
]

ROOT_URLCONF = "genlife.urls"
WSGI_APPLICATION = "genlife.wsgi.application"

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
                "genlife.context_processors.site",
                # the header's Join button for signed-in readers who are not members
                "billing.context_processors.membership",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
if LOCAL_MODE:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            # A file, not memory, so that a worker process can share the test database;
            # one per test run, so that two runs on one checkout do not collide.
            "TEST": {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")},
        }
    }
else:
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast when PostgreSQL is unreachable instead of hanging a web worker.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["connect_timeout"] = env.int("DJANGO_DB_CONNECT_TIMEOUT", default=3)
        # A query stuck behind a lock or a sick disk is cancelled (and the reader gets the
        # friendly 503) long before gunicorn's 60 s timeout kills the whole worker. 0: none,
        # e.g. `DJANGO_DB_STATEMENT_TIMEOUT=0 manage.py migrate` for a long migration.
        statement_timeout = env.float("DJANGO_DB_STATEMENT_TIMEOUT", default=15)
        options["options"] = f"-c statement_timeout={int(statement_timeout * 1000)}"
        # --- Connection pool (Django 5.2, psycopg_pool; bench/README.md, "Scale") ----------
        # Each request borrows an open connection from its process's pool and gives it back
        # at the end, instead of every thread keeping its own and checking it with a
        # `SELECT 1` round trip before each request's first query. The pool checks nothing
        # on borrowing either: a connection that broke while idle (PostgreSQL restarted)
        # fails the one request that meets it (the friendly 503 page) and the pool replaces
        # it; DJANGO_DB_POOL_CHECK=true buys a check on every borrow instead. Pooling and
        # CONN_MAX_AGE exclude each other: DJANGO_DB_POOL=false restores persistent
        # connections with health checks. Celery's prefork workers close the pool they
        # inherit (celery.fixups.django), so each child opens its own.
        if env.bool("DJANGO_DB_POOL", default=True):
            options["pool"] = {
                "min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=1),
                # gunicorn.conf.py serves up to 8 requests at once per worker process
                "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=8),
                # A request waits this long for a connection (a free one, or a new one while
                # PostgreSQL is away), then gets the 503 page: as long as a connect attempt.
                "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=options["connect_timeout"]),
            }
            DATABASES["default"]["CONN_MAX_AGE"] = 0
            DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
                "DJANGO_DB_POOL_CHECK", default=False
            )
        # Server-side prepared statements: psycopg prepares a query the Nth time a connection
        # runs it, after which PostgreSQL skips parsing and planning it. Off by default
        # (Django's choice) because a pooler in transaction mode hands a client a different
        # server connection per transaction; PgBouncer 1.21+ copes when its
        # max_prepared_statements is set (psycopg uses protocol-level prepares). A number
        # turns them on.
        prepare_threshold = env("DJANGO_DB_PREPARE_THRESHOLD", default="")
        if prepare_threshold:
            options["prepare_threshold"] = int(prepare_threshold)
if LOCAL_MODE:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at the same time: take the write lock when a
    # transaction starts (no deadlocking lock upgrades), wait for it, and let readers read
    # while someone writes (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Sessions read from Redis and written through to the database: one query less per
    # signed-in request, and nothing lost when the cache is flushed.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CACHES = {
        "default": {
            # Django's RedisCache, but Redis being away is a cache miss, not a 500 (see the module).
            "BACKEND": "genlife.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "genlife",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # Shared by every process on this machine (web server, worker), so that invalidating a
    # cached page in one is seen by the others; a per-process memory cache would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env("GENLIFE_CACHE_DIR", default=str(DATA_DIR / "cache")),
        }
    }

# Cache keys of security checks, which fail closed while Redis is unreachable (genlife.cache):
# allauth's "TOTP code already used" marker and the locks of the sign-in throttles. Throttles
# of pages that are no security check (signup, checkout, uploads) fail open.
_SIGN_IN_THROTTLES = (
    "login",
    "login_failed",
    "reset_password",
    "reset_password_from_key",
    "request_login_code",
    "change_password",
    "reauthenticate",
)
CACHE_FAIL_CLOSED_KEY_PREFIXES = [
    "allauth.mfa.totp.used",
    "allauth:rl:allauth.mfa:",
    *(f"allauth:rl:allauth.account:{action}:" for action in _SIGN_IN_THROTTLES),
]

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("GENLIFE_BROKER_DIR", default=str(DATA_DIR / "broker")))
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
    }
    # The file-system transport has no fan-out exchange, so no remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # Sending a task with Redis down fails in about 0.3 s (one quick retry) instead of
        # six: the caller (an upload, a webhook) keeps its row and the sweeper re-sends it.
        # The worker's own reconnect loop uses CELERY_BROKER_CONNECTION_* and is unaffected.
        "max_retries": 1,
        "interval_start": 0.2,
        "socket_connect_timeout": 3,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sessions-clear-expired": {
        "task": "members.tasks.sessions_clear_expired",
        "schedule": 24 * 60 * 60,
    },
    "genome-uploads-requeue-stuck": {
        "task": "genotypes.tasks.genome_uploads_requeue_stuck",
        # Seconds between sweeps; the fault tests shorten it to watch a real beat recover.
        "schedule": env.int("GENOME_SWEEP_SECONDS", default=60),
    },
    # Delete genome files no upload owns (see GENOME_ORPHAN_AGE_SECONDS).
    "genome-files-sweep-orphans": {
        "task": "genotypes.tasks.genome_files_sweep_orphans",
        "schedule": env.int("GENOME_ORPHAN_SWEEP_SECONDS", default=5 * 60),
    },
    # Resync memberships whose Stripe state may be stale (a lost webhook, a missed renewal).
    "membership-reconcile": {
        "task": "billing.tasks.membership_reconcile",
        "schedule": 15 * 60,
    },
    # Newsletter: an issue for each article that went live (scheduled ones at their time).
    "newsletter-issues-due": {
        "task": "newsletter.tasks.newsletter_issues_due",
        "schedule": env.int("NEWSLETTER_SWEEP_SECONDS", default=60),
    },
    # --- New-findings digest: Monday mornings; at most one email per member and ISO week.
    "digests-send-weekly": {
        "task": "digests.tasks.digests_send_weekly",
        "schedule": crontab(minute=0, hour=8, day_of_week="mon"),
    },
}

# --- Auth and accounts ----------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    # allauth's backend, reading the user's membership in the same query (billing/auth_backends.py)
    "billing.auth_backends.MemberAuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Django's default hashers (PBKDF2 first: ~300 ms a hash, on purpose). DJANGO_PASSWORD_HASHERS
# replaces the list: the test suite and the servers it starts name Django's MD5 hasher, as
# cookiecutter-django's test settings do; `check --deploy` refuses a fast hasher
# (genlife/checks.py).
PASSWORD_HASHERS = env.list("DJANGO_PASSWORD_HASHERS", default=global_settings.PASSWORD_HASHERS)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Members app: allauth behaviour (see members/adapters.py and templates/allauth/).
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True
# Seconds after a login or password prompt before sensitive actions ask for the password again.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("GENLIFE_REAUTHENTICATION_TIMEOUT", default=5 * 60)
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[genlife] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's defaults, spelled out, plus checkout creation (members.views.join_checkout).
# Counted in CACHES["default"]: Redis in production, never a dummy cache.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "confirm_email": "1/180s/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "checkout": "10/m/user,30/m/ip",
    # Genome uploads (genotypes.views.upload): each can be 100 MB to store and parse.
    "genome_upload": "10/h/user",
    # Exports (genotypes.views.export): each reads and unpacks a whole stored genome.
    "genome_export": "5/h/user",
    # Look-ups of an rsid in one's own file (genotypes.views.lookup): each decrypts a genome.
    "genome_lookup": "60/h/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Encrypts TOTP secrets and recovery-code seeds in the database (allauth stores them in clear).
MFA_ADAPTER = "members.adapters.MFAAdapter"
MFA_TOTP_ISSUER = "genlife"
# Accept the code of the neighbouring 30-second period too: phones' clocks drift, and a code
# typed as the period turns over should not be refused (RFC 6238 recommends one step).
MFA_TOTP_TOLERANCE = 1
# The list of signed-in devices is recorded at each login. Tracking "last active" on every
# request would cost a database write per page view (bench/README.md measured it halving the
# member article's throughput), so it is off.
USERSESSIONS_TRACK_ACTIVITY = False

# --- Stripe (billing app; billing/stripe_gateway.py is the only module that reads these) ----
# Without a real key, local mode talks to devstripe (python -m devstripe), the development
# stand-in for Stripe; bin/run-local starts it on a free port and passes its URL and secrets here.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_local_fake" if LOCAL_MODE else "")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env(
    "STRIPE_WEBHOOK_SECRET", default="whsec_local_fake" if LOCAL_MODE else ""
)
STRIPE_API_BASE = env(
    "STRIPE_API_BASE",
    default="http://127.0.0.1:12111" if STRIPE_SECRET_KEY == "sk_test_local_fake" else "",
)
# Days a member whose renewal failed keeps access while Stripe retries the card.
MEMBERSHIP_PAST_DUE_GRACE_DAYS = env.int("MEMBERSHIP_PAST_DUE_GRACE_DAYS", default=7)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Media holds members' genome files (sealed, see genotypes/genome_store.py): owner-only, for
# files and every folder the storage creates.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Below this much free space on the upload folders (media, upload temp folder) /healthz says
# "storage": "low" and genome uploads are refused with a message (genlife/storage.py).
STORAGE_MIN_FREE_BYTES = env.int("STORAGE_MIN_FREE_BYTES", default=512 * 1024 * 1024)

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if LOCAL_MODE else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="genlife <hello@genlife.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers and compose health checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content Security Policy (django-csp). Scripts only from our own origin: no inline code, no
# inline event handlers anywhere in the templates. Forms may also post to (or be redirected
# to) Stripe's hosted checkout and portal, or to devstripe's in local runs.
_stripe_origins = ["https://checkout.stripe.com", "https://billing.stripe.com"]
_stripe_api_base = STRIPE_API_BASE
if _stripe_api_base:
    from urllib.parse import urlsplit

    _parts = urlsplit(_stripe_api_base)
    _stripe_origins.append(f"{_parts.scheme}://{_parts.netloc}")
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
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *_stripe_origins],
    }
}

ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")
# Route the bare reference view that bench/load.py measures every page against.
GENLIFE_BENCH_FLOOR = env.bool("GENLIFE_BENCH_FLOOR", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # the stripe library logs every API request at INFO
        "stripe": {"level": "WARNING"},
    },
}

# --- Genetic data (genotypes app) -----------------------------------------------------------
# Largest upload accepted, and largest genome text after unpacking a .zip/.gz.
GENOME_UPLOAD_MAX_BYTES = env.int("GENOME_UPLOAD_MAX_BYTES", default=100 * 1024 * 1024)
GENOME_MAX_UNPACKED_BYTES = env.int("GENOME_MAX_UNPACKED_BYTES", default=1024 * 1024 * 1024)
# The same limits for a whole-genome VCF or gVCF (plain or .gz), which is read in one streaming
# pass whatever its size (genotypes/parsers/vcf_stream.py): a 30x genome's VCF.gz is 150-300 MB,
# over 1 GB unpacked; any other file larger than GENOME_UPLOAD_MAX_BYTES is refused.
GENOME_VCF_UPLOAD_MAX_BYTES = env.int("GENOME_VCF_UPLOAD_MAX_BYTES", default=1024 * 1024 * 1024)
GENOME_VCF_MAX_UNPACKED_BYTES = env.int(
    "GENOME_VCF_MAX_UNPACKED_BYTES", default=8 * 1024 * 1024 * 1024
)
# Largest number of records (lines) read from one genome: the parser stops at the cap and
# refuses the file. Consumer chips carry 0.6-2 million, a whole-genome variants VCF 4-5
# million; bench/bench_bounds.py measures the worker's memory at the cap. A gVCF's reference
# blocks are not counted (GENOME_VCF_MAX_UNPACKED_BYTES bounds them).
GENOME_MAX_RECORDS = env.int("GENOME_MAX_RECORDS", default=6_000_000)
# Fernet keys for stored genomes, comma-separated: the first encrypts, all decrypt (rotation).
# Required outside local mode (no default: the site refuses to start without it, like the
# secret key); local mode derives one from SECRET_KEY (genotypes/genome_store.py).
if LOCAL_MODE:
    GENOME_ENCRYPTION_KEYS = env.list("GENOME_ENCRYPTION_KEYS", default=[])
else:
    GENOME_ENCRYPTION_KEYS = env.list("GENOME_ENCRYPTION_KEYS")
# The sweeper re-queues uploads queued or parsing for longer than these.
GENOME_STUCK_QUEUED_SECONDS = env.int("GENOME_STUCK_QUEUED_SECONDS", default=120)
GENOME_STUCK_PARSING_SECONDS = env.int("GENOME_STUCK_PARSING_SECONDS", default=600)
# The orphan sweeper deletes a raw file or genome blob no upload owns once it is this old
# (files are written a moment before their row commits).
GENOME_ORPHAN_AGE_SECONDS = env.int("GENOME_ORPHAN_AGE_SECONDS", default=5 * 60)

# --- Newsletter (newsletter app) ------------------------------------------------------------
# Recipients per Celery task (each task sends its batch over one mail-server connection).
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=100)
# Articles that went live longer ago than this when the sweeper first sees them are not mailed
# (the back catalogue when the newsletter is switched on, or a backdated article).
NEWSLETTER_MAX_AGE_HOURS = env.int("NEWSLETTER_MAX_AGE_HOURS", default=48)
# Pending work older than this is handed to the broker again (it was down, or lost the task).
NEWSLETTER_REQUEUE_SECONDS = env.int("NEWSLETTER_REQUEUE_SECONDS", default=10 * 60)
# Failed sends to one recipient before their delivery is marked failed.
NEWSLETTER_MAX_ATTEMPTS = env.int("NEWSLETTER_MAX_ATTEMPTS", default=5)
