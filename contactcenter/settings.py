"""Settings for contactcenter, read from the environment.

One file for every environment. The defaults make `make run` work on a fresh machine
(SQLite under var/, a Celery broker on the file system); production sets DEBUG=0 and the
variables named in docs/deployment.md.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.getenv("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.getenv(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.getenv(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# A development key is fine on a laptop; a production process must be given its own.
_DEV_SECRET_KEY = "django-insecure-contactcenter-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "agents",
    "interactions",
    "kpis",
    "scheduling",
    "quality",
    "forecasting",
    "staffing",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Stamps history rows written during a request (the admin's included) with its user.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # ?export=<table>.xlsx: the table a view exports as CSV, as an Excel workbook.
    "core.exports.XlsxMiddleware",
]

ROOT_URLCONF = "contactcenter.urls"
WSGI_APPLICATION = "contactcenter.wsgi.application"

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
                "agents.context_processors.roles",
                "kpis.context_processors.open_alerts",
                "kpis.context_processors.rollup_jobs",
            ],
            "builtins": ["core.export_tags"],
        },
    },
]

# Database: DATABASE_URL, e.g. postgres://user:pass@host:5432/contactcenter.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file under `make run`:
    # WAL lets readers run beside a writer, IMMEDIATE transactions queue writers
    # instead of failing them with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Password checks are throttled per user name and per address (core/auth.py,
# docs/reliability.md "Login throttling").
AUTHENTICATION_BACKENDS = ["core.auth.ThrottledModelBackend"]
LOGIN_THROTTLE_USER_FAILURES = env_int("LOGIN_THROTTLE_USER_FAILURES", 5)
LOGIN_THROTTLE_ADDRESS_FAILURES = env_int("LOGIN_THROTTLE_ADDRESS_FAILURES", 20)
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60)
LOGIN_THROTTLE_LOCKOUT_SECONDS = env_int("LOGIN_THROTTLE_LOCKOUT_SECONDS", 15 * 60)
# The request header holding the client's address: REMOTE_ADDR, or e.g. HTTP_X_REAL_IP
# behind a proxy that sets it (never a header the client may set itself).
LOGIN_THROTTLE_ADDRESS_HEADER = env_str("LOGIN_THROTTLE_ADDRESS_HEADER", "REMOTE_ADDR")
LOGIN_THROTTLE_CACHE = "throttle"

# Caches. "throttle" counts failed logins and API requests and must be shared by every web
# process: Redis when REDIS_URL is set, else a database table (`createcachetable`, run by
# `make migrate`). "default" stays in each process's memory.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_throttle"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The contact center's own zone: local days, weeks and months are read in it.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# WhiteNoise serves STATIC_ROOT and complains while it does not exist yet.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "contactcenter.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Security. Off DEBUG these are the production defaults that `check --deploy` asks for;
# a deployment behind a TLS-terminating proxy keeps them and sets the proxy header.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Container and load-balancer health checks speak plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("USE_X_FORWARDED_PROTO", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "contactcenter@localhost")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend): docs/deployment.md.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# Where the site is reached from a mail: report links and unsubscribe links start here.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# A report delivery claimed this long ago and still "sending" lost its worker: sent again.
REPORT_SEND_STALE_MINUTES = env_int("REPORT_SEND_STALE_MINUTES", 30)
# The Chromium that draws charts as images for mails and PDFs (core.chart_images).
CHROMIUM_PATH = env_str("CHROMIUM_PATH", "/usr/bin/chromium")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# REST framework: token auth for systems, session auth for the browser.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Rate limits, counted in the "throttle" cache (docs/api.md): reads per user, writes
    # (the batched ingest) per user, and requests without credentials per address.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.AnonThrottle", "core.throttles.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/min"),
        "user": env_str("API_THROTTLE_USER", "1200/min"),
        "ingest": env_str("API_THROTTLE_INGEST", "6000/min"),
    },
    # Malformed or too deeply nested JSON answers 400, an oversized body a JSON 413.
    "DEFAULT_PARSER_CLASSES": ["core.api.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "contactcenter API",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "contactcenter.openapi.add_common_errors",
    ],
}

# Celery. Without CELERY_BROKER_URL the broker is a folder under var/, so `make run`
# needs no server; production points it at Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "celery-control"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE = {
    "roll-up-changed-kpis": {
        "task": "kpis.tasks.roll_up_since_watermark",
        "schedule": float(env_int("KPI_ROLLUP_EVERY_SECONDS", 60)),
    },
    "check-alert-rules": {
        "task": "kpis.tasks.check_alert_rules",
        "schedule": float(env_int("ALERT_CHECK_EVERY_SECONDS", 60)),
    },
    "fail-stale-imports": {
        "task": "interactions.tasks.fail_stale_imports",
        "schedule": 300.0,
    },
    "roll-up-yesterday": {
        "task": "kpis.tasks.roll_up_previous_day",
        "schedule": crontab(hour=2, minute=15),
    },
    # After yesterday's rollup: every queue's forecast from tomorrow (docs/forecasting.md).
    "forecast-nightly": {
        "task": "forecasting.tasks.forecast_nightly",
        "schedule": crontab(hour=env_int("FORECAST_HOUR", 3), minute=0),
    },
    # Report mails whose local send time has come (docs/reports.md).
    "send-due-reports": {"task": "reports.tasks.send_due_reports", "schedule": 60.0},
}

if env_bool("DEMO_FEED", False):
    # `make run` only: a little live traffic so the demo's wallboard moves.
    CELERY_BEAT_SCHEDULE["feed-demo"] = {"task": "demo.tasks.feed_demo", "schedule": 5.0}

# KPI rules (spec/kpis.md): the repeat window of first contact resolution, and how long
# a state may last without a next event (a forgotten logout must not fill a week).
KPI_REPEAT_WINDOW_DAYS = env_int("KPI_REPEAT_WINDOW_DAYS", 7)
KPI_STATE_CAP_HOURS = env_int("KPI_STATE_CAP_HOURS", 12)
# The minute's rollup task is time-limited: a soft limit (the run logs the days it was
# rolling and stops, committing nothing), a hard one (the worker kills it), and on
# PostgreSQL a statement_timeout inside its transaction. The next run retries.
KPI_ROLLUP_SOFT_TIME_LIMIT = env_int("KPI_ROLLUP_SOFT_TIME_LIMIT", 240)
KPI_ROLLUP_TIME_LIMIT = env_int("KPI_ROLLUP_TIME_LIMIT", 300)
KPI_ROLLUP_STATEMENT_TIMEOUT_SECONDS = float(env_str("KPI_ROLLUP_STATEMENT_TIMEOUT_SECONDS", "120"))
# An agent's KPI this many standard deviations from their team's mean is an outlier.
KPI_OUTLIER_Z = float(env_str("KPI_OUTLIER_Z", "2"))
# An open contact older than this lost its end somewhere: the wallboard leaves it out.
LIVE_STALE_HOURS = env_int("LIVE_STALE_HOURS", 4)
# A running contact import with no progress for this long lost its worker: it is marked
# failed ("worker stopped") by beat and when its page is read (docs/reliability.md).
IMPORT_STALE_MINUTES = env_int("IMPORT_STALE_MINUTES", 10)
# Ingest refuses a time further ahead of the server's clock than this (a wrong year).
INGEST_FUTURE_HORIZON_HOURS = env_int("INGEST_FUTURE_HORIZON_HOURS", 24)
# The longest contact transcript ingest accepts, in characters (docs/api.md).
CONTACT_TRANSCRIPT_MAX_CHARS = env_int("CONTACT_TRANSCRIPT_MAX_CHARS", 100_000)
# A schedule CSV may hold at most this many rows; a running schedule import with no
# heartbeat for this long is marked failed (docs/scheduling.md, docs/reliability.md).
SCHEDULE_IMPORT_MAX_ROWS = env_int("SCHEDULE_IMPORT_MAX_ROWS", 20000)
SCHEDULE_IMPORT_STALE_MINUTES = env_int("SCHEDULE_IMPORT_STALE_MINUTES", 15)
# Leaderboards rank an agent from this many handled contacts in the period, a team from
# this many (docs/kpis.md, "Leaderboards").
LEADERBOARD_MIN_HANDLED = env_int("LEADERBOARD_MIN_HANDLED", 10)
LEADERBOARD_MIN_TEAM_HANDLED = env_int("LEADERBOARD_MIN_TEAM_HANDLED", 50)
# Forecasts (docs/forecasting.md): how many days of history a run reads, how many weekly
# origins its backtest scores, the task's time limits, and when a silent run is stale.
FORECAST_HISTORY_DAYS = env_int("FORECAST_HISTORY_DAYS", 210)
FORECAST_BACKTEST_ORIGINS = env_int("FORECAST_BACKTEST_ORIGINS", 4)
FORECAST_SOFT_TIME_LIMIT = env_int("FORECAST_SOFT_TIME_LIMIT", 20 * 60)
FORECAST_TIME_LIMIT = env_int("FORECAST_TIME_LIMIT", 25 * 60)
FORECAST_STALE_MINUTES = env_int("FORECAST_STALE_MINUTES", 30)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
