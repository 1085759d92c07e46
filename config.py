"""Configuration classes; every setting that differs between machines comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'portal.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    PORTAL_DATA_DIR = os.environ.get("PORTAL_DATA_DIR", str(BASE_DIR / "instance" / "data"))
    PORTAL_TIMEZONE = os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai")
    # Logs on standard error: "text" or "json" (one JSON object per line, with the request id).
    PORTAL_LOG_FORMAT = os.environ.get("PORTAL_LOG_FORMAT", "text")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "portal@demo.example")
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 8)  # then a queued mail is given up (kept, logged)

    # Revisit cadence in days per tier (DESIGN §4), e.g. PORTAL_REVISIT_DAYS="platinum=30,gold=60".
    REVISIT_CADENCE_DAYS = {
        "platinum": 30,
        "gold": 60,
        "silver": 90,
        "standard": 180,
        **{
            k.strip(): int(v)
            for k, _sep, v in (
                item.partition("=")
                for item in os.environ.get("PORTAL_REVISIT_DAYS", "").split(",")
                if "=" in item
            )
        },
    }
    REVISIT_ESCALATION_DAYS = _env_int("PORTAL_REVISIT_ESCALATION_DAYS", 7)

    # Satisfaction surveys: mailed links point at this address and expire after so many days.
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    SURVEY_LINK_DAYS = _env_int("PORTAL_SURVEY_LINK_DAYS", 21)

    # Uploads: the whole request is refused above this size (documents default 20 MB).
    MAX_CONTENT_LENGTH = _env_int("PORTAL_MAX_UPLOAD_MB", 20) * 1024 * 1024
    PORTAL_DOCUMENT_MAX_MB = _env_int("PORTAL_DOCUMENT_MAX_MB", 20)  # per dossier document
    # Imported XLSX workbooks are refused, before any part is unpacked, when their parts would
    # unpack to more than this in all, when a part over 1 MB unpacks to more than this many times
    # its packed size (a zip bomb; real sheets stay under about 20), or when they have more parts.
    IMPORT_XLSX_MAX_UNPACKED_MB = _env_int("PORTAL_IMPORT_XLSX_MAX_UNPACKED_MB", 300)
    IMPORT_XLSX_MAX_RATIO = _env_int("PORTAL_IMPORT_XLSX_MAX_RATIO", 100)
    IMPORT_XLSX_MAX_PARTS = _env_int("PORTAL_IMPORT_XLSX_MAX_PARTS", 1000)

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = PORTAL_TIMEZONE
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "portal" / "translations")
    LANGUAGES = ("zh", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Sign-in throttling: this many failures per email (or per address) in the window locks it.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_FAILURE_WINDOW = timedelta(minutes=_env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15))

    # Reverse proxies in front of the app (hops that set X-Forwarded-For/-Proto/-Host). 0: the
    # app faces clients directly and those headers are ignored (anyone could forge them).
    PORTAL_TRUSTED_PROXIES = _env_int("PORTAL_TRUSTED_PROXIES", 0)
    # PDF renders (DESIGN §8), counted in the database so the limits hold across workers and
    # processes. Reviews: queued or rendering per user; requests by people waiting machine-wide
    # (beyond either, a request is refused with 429); rendering at once machine-wide (the rest
    # wait in order). Statements: rendering at once per company (beyond it, 429).
    REVIEWS_MAX_PER_USER = _env_int("PORTAL_REVIEWS_MAX_PER_USER", 2)
    REVIEWS_MAX_WAITING = _env_int("PORTAL_REVIEWS_MAX_WAITING", 20)
    REVIEWS_MAX_RUNNING = _env_int("PORTAL_REVIEWS_MAX_RUNNING", 2)
    STATEMENTS_MAX_PER_COMPANY = _env_int("PORTAL_STATEMENTS_MAX_PER_COMPANY", 1)
    # The JSON API: calls per client (Flask-Limiter syntax), counted in RATELIMIT_STORAGE_URI,
    # which must be shared by every instance in production (e.g. redis://host:6379/0).
    API_RATE_LIMIT = os.environ.get("PORTAL_API_RATE_LIMIT", "600 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # A sliding window: no burst of twice the limit across a window's edge, and in Redis one
    # round trip fewer per call than a fixed window (the headers read the window in one script).
    RATELIMIT_STRATEGY = "sliding-window-counter"
    # Webhooks: attempts before a delivery is given up, seconds a receiver may take, and whether
    # receivers on loopback, private or link-local addresses are allowed (never in production).
    WEBHOOK_MAX_ATTEMPTS = _env_int("PORTAL_WEBHOOK_MAX_ATTEMPTS", 8)
    WEBHOOK_TIMEOUT = _env_int("PORTAL_WEBHOOK_TIMEOUT", 10)
    WEBHOOK_ALLOW_PRIVATE = _env_bool("PORTAL_WEBHOOK_ALLOW_PRIVATE", False)

    # The task queue (portal/tasks): empty for the embedded SQLite queue in PORTAL_DATA_DIR/tasks.db
    # (one machine), or redis://host:6379/0 shared by the web servers and workers of several.
    TASK_BROKER = os.environ.get("PORTAL_TASK_BROKER", "")
    TASKS_IMMEDIATE = False  # run tasks at once in the caller instead of a worker (tests)

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
    PAGE_SIZE = 25

    # Fernet key(s) for sensitive fields (identity-document numbers), comma-separated: the first
    # encrypts, all decrypt (key rotation). Production requires it; development keeps one in
    # instance/field_key.
    PORTAL_FIELD_KEY = os.environ.get("PORTAL_FIELD_KEY")
    # Revealing a document number needs a password entered within this many minutes.
    REAUTH_MAX_AGE = timedelta(minutes=_env_int("PORTAL_REAUTH_MINUTES", 15))
    # A complaint must be resolved within this many hours of being recorded (its due_at).
    COMPLAINT_SLA_HOURS = _env_int("PORTAL_COMPLAINT_SLA_HOURS", 72)
    # An open opportunity unchanged for this many days (or past its next-step date) is stale.
    PIPELINE_STALE_DAYS = _env_int("PIPELINE_STALE_DAYS", 30)
    # A key traveller with at least this many segments in 12 months should have a frequent-flyer number.
    PIPELINE_FREQUENT_SEGMENTS = _env_int("PIPELINE_FREQUENT_SEGMENTS", 12)


class DevelopmentConfig(Config):
    """Local development: `./run.sh` on the embedded SQLite database."""

    # Without SECRET_KEY the factory makes a random one in instance/secret_key.


class TestingConfig(Config):
    """The pytest suite; the database URL is set by the fixtures."""

    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    # A fixed Fernet key for the suite only (made once with Fernet.generate_key()).
    PORTAL_FIELD_KEY = "AQEJyteoRzHJ7G9-Shthw8fgur03k4002RIJRQ1260I="
    WTF_CSRF_ENABLED = True
    WEBHOOK_ALLOW_PRIVATE = True  # the tests' receivers listen on 127.0.0.1
    # The rate-limit tests set their own (the several-instances test through the environment,
    # under a name of its own: a deployment's PORTAL_API_RATE_LIMIT must not throttle the suite).
    API_RATE_LIMIT = os.environ.get("PORTAL_TEST_API_RATE_LIMIT", "100000 per minute")
    LOGIN_MAX_FAILURES = 5
    PORTAL_DATA_DIR = os.environ.get("PORTAL_DATA_DIR", "/tmp/portal-test-data")
    # Tasks run at once in the test; a test of a real worker sets PORTAL_TASKS_IMMEDIATE=0.
    TASKS_IMMEDIATE = _env_bool("PORTAL_TASKS_IMMEDIATE", True)


class ProductionConfig(Config):
    """Production: secrets must come from the environment, cookies only over HTTPS."""

    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
