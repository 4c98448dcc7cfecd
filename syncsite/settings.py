"""Syncsite settings: one file, configured only through environment variables.

Every variable is listed with a one-line comment in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from syncsite.env import (
    database_from_url,
    env_bool,
    env_int,
    env_str,
    local_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for (./scripts/run --debug): its error pages show settings and code.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
# The production path (scripts/serve, deploy/gunicorn.conf.py) sets SYNCSITE_REQUIRE_SECRET_KEY=1:
# there a missing SECRET_KEY stops the process, and `check --deploy` fails on a generated key.
SECRET_KEY_FROM_ENV = bool(SECRET_KEY)
if not SECRET_KEY:
    if env_bool("SYNCSITE_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured(
            "SECRET_KEY is required in production (DEBUG off): set it to a long random string, "
            "the same for the web server and every worker, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # A checkout without SECRET_KEY (./scripts/run, tests) shares one generated key, kept in a
    # git-ignored file: the web server and django-q workers sign and check tasks with it. No key
    # is written in the code, so none can leak into a deployment.
    SECRET_KEY = local_secret_key(BASE_DIR / ".secret_key")
ALLOWED_HOSTS = [
    h for h in env_str("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",") if h
]

INSTALLED_APPS = [
    "syncsite.apps.SyncsiteConfig",  # the deployment checks (check --deploy)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "projects",
    "projects.api",
]

MIDDLEWARE = [
    "syncsite.middleware.TrustedProxyMiddleware",  # REMOTE_ADDR = the client behind nginx
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, also with DEBUG off
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "projects.logging.RequestIdMiddleware",
]

ROOT_URLCONF = "syncsite.urls"
WSGI_APPLICATION = "syncsite.wsgi.application"

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

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # The web server and workers write concurrently: IMMEDIATE transactions (and WAL,
            # set on connect in projects.apps) avoid "database is locked".
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are served by WhiteNoise (in the web process, DEBUG on or off). STATIC_COLLECTED=1
# (the production path, after `manage.py collectstatic`): from STATIC_ROOT, with content-hashed
# names cached for a year and compressed copies. 0 (development, tests): straight from the
# source folders, no collectstatic needed.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_COLLECTED = env_bool("STATIC_COLLECTED", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_COLLECTED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
WHITENOISE_AUTOREFRESH = not STATIC_COLLECTED  # looked up per request: edits show at once
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# Media and downloads, after the view checked the owner: SENDFILE_BACKEND=nginx hands the file
# to nginx with X-Accel-Redirect (django-sendfile2; deploy/nginx.conf maps SENDFILE_URL to
# MEDIA_ROOT as an internal location); empty = Django streams it itself, with HTTP Range.
_SENDFILE_BACKENDS = {"": None, "nginx": "django_sendfile.backends.nginx"}
_sendfile = env_str("SENDFILE_BACKEND", "")
if _sendfile not in _SENDFILE_BACKENDS:
    raise ImproperlyConfigured(f"SENDFILE_BACKEND={_sendfile!r}: use 'nginx' or leave it empty")
SENDFILE_BACKEND = _SENDFILE_BACKENDS[_sendfile]
SENDFILE_ROOT = str(MEDIA_ROOT)
SENDFILE_URL = env_str("SENDFILE_URL", "/_media_internal")

# HTTPS=1: the site is served over https (TLS ends at nginx, which sets X-Forwarded-Proto):
# secure cookies, a redirect of plain http, HSTS. Needed by `manage.py check --deploy`.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Asking browsers to preload the domain's HSTS is the domain owner's decision, not a default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Addresses of the reverse proxies (nginx) whose X-Real-IP header names the client: the log-in
# limits count per client address (projects.services.login_limits).
TRUSTED_PROXIES = [a for a in env_str("TRUSTED_PROXIES", "").split(",") if a]

# Engine knobs: services read these and pass them to syncengine as arguments.
# FFMPEG_BIN empty means "the static ffmpeg from the imageio-ffmpeg wheel".
FFMPEG_BIN = env_str("FFMPEG_BIN", "")
SYNC_TASK_TIMEOUT_S = env_int("SYNC_TASK_TIMEOUT_S", 3 * 3600)
# A run, export or preview whose heartbeat (every 10 s while it works) is older than this is
# failed by the sweep (projects/services/jobs.py), so a killed worker frees its project.
JOB_HEARTBEAT_LOST_S = env_int("JOB_HEARTBEAT_LOST_S", 60)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024**3)
PROXY_MAX_HEIGHT = env_int("PROXY_MAX_HEIGHT", 720)
# Uploads stream to disk in chunks (never held in memory).
FILE_UPLOAD_HANDLERS = [
    "projects.uploads.SizeLimitedUploadHandler",  # stops reading past UPLOAD_MAX_BYTES
    "projects.uploads.DiskFullSafeTemporaryFileUploadHandler",  # a full temp folder: 507
]
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR", "") or None

# django-q2: minute-long jobs. timeout > the longest job, retry > timeout, one attempt, and
# failures acknowledged so a crashed job is not redelivered forever; the hook marks its run failed.
Q_BROKER = env_str("Q_BROKER", "orm")
if Q_BROKER not in ("orm", "redis"):
    raise ImproperlyConfigured(f"Q_BROKER={Q_BROKER!r}: use 'orm' or 'redis'")
Q_CLUSTER = {
    "name": "syncsite",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": SYNC_TASK_TIMEOUT_S,
    "retry": SYNC_TASK_TIMEOUT_S + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
    "save_limit": 1000,
}
if Q_BROKER == "redis":
    Q_CLUSTER["redis"] = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
else:
    Q_CLUSTER["orm"] = "default"

# The cache holds the API's throttle counters and the log-in attempt counters. CACHE_BACKEND:
# redis (at REDIS_URL, shared by every process), locmem (one per process), or empty = redis
# when Q_BROKER=redis, else locmem.
CACHE_BACKEND = env_str("CACHE_BACKEND", "") or ("redis" if Q_BROKER == "redis" else "locmem")
if CACHE_BACKEND == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": "syncsite",
        }
    }
elif CACHE_BACKEND == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_BACKEND={CACHE_BACKEND!r}: use 'redis' or 'locmem'")

# Accounts: one backend (ModelBackend behind the log-in limits of
# projects.services.login_limits) for the portal's and the admin's log-in.
AUTHENTICATION_BACKENDS = ["projects.auth.LoginLimitedBackend"]
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 50)
LOGIN_FAILURE_WINDOW_S = env_int("LOGIN_FAILURE_WINDOW_S", 15 * 60)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 15 * 60)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# API tokens older than this many days answer 401 like revoked ones; 0 = never expire.
API_TOKEN_MAX_AGE_DAYS = env_int("API_TOKEN_MAX_AGE_DAYS", 90)

LOG_DIR = Path(env_str("LOG_DIR", str(BASE_DIR / "logs")))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "sync": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "filters": {"request_id": {"()": "projects.logging.RequestIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "sync_file": {
            "class": "projects.logging.LazyFileHandler",
            "filename": str(LOG_DIR / "video_sync.log"),
            "formatter": "sync",
            "filters": ["request_id"],
        },
    },
    "loggers": {
        "projects": {"handlers": ["console", "sync_file"], "level": "INFO"},
    },
}

# REST API (/api/v1/, projects.api): API tokens first, so an anonymous caller gets 401 with
# WWW-Authenticate; then the browser's session, for which DRF enforces CSRF.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "projects.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "projects.api.pagination.PageNumberPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50),
    "DEFAULT_THROTTLE_CLASSES": ["projects.api.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "uploads": env_str("API_THROTTLE_UPLOADS", "600/hour"),
        "runs": env_str("API_THROTTLE_RUNS", "120/hour"),
        "renders": env_str("API_THROTTLE_RENDERS", "120/hour"),
    },
    "EXCEPTION_HANDLER": "projects.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "projects.api.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Syncsite API",
    "DESCRIPTION": (
        "Every portal action over HTTP: projects, video uploads, sync runs and their offsets, "
        "renders and downloads. Authenticate with `Authorization: Token <key>` (create keys on "
        "the portal's API tokens page). Errors are always `{message, code, extra}`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Runs and renders share one lifecycle (queued, running, done, failed, cancelled).
        "JobStatusEnum": "projects.models.SyncRun.Status",
        "VideoStatusEnum": "projects.models.Video.Status",
    },
    # <id:...> path parameters (projects.api.routing.IdConverter).
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Script calls (JSON) get a JSON 403 with a message when their CSRF token is missing or stale.
CSRF_FAILURE_VIEW = "projects.views.http.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project-list"
LOGOUT_REDIRECT_URL = "login"
