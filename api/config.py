"""Configuration from the environment: one Config class, read once at start-up."""
from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from wellbeing.core.crypto import generate_key
from wellbeing.core.db import WAIT_LIMIT_ARG
from wellbeing.prompts.channels.webpush import VapidSigner
from wellbeing.prompts.dispatch import WORKERS

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


MIN_KEY_BYTES = 32

def _as_bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _dev_secrets(instance: Path) -> dict:
    """Secrets generated once for a development instance and kept in instance/ (shared by all workers)."""
    path = instance / "dev-secrets.json"
    instance.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return json.loads(path.read_text())
    values = {"SECRET_KEY": secrets.token_urlsafe(48), "DATA_KEYS": generate_key()}
    with os.fdopen(fd, "w") as f:
        json.dump(values, f)
    return values


def _dev_vapid_key(instance: Path) -> Path:
    """The development instance's VAPID key, made once (like the other development secrets)."""
    path = instance / "vapid-private.pem"
    if not path.exists():
        VapidSigner.generate(path)
    return path


class Config:
    """Every setting the service reads, with its environment variable."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        self.ENV = env.get("WELLBEING_ENV", "development")
        production = self.ENV == "production"
        instance = Path(env.get("INSTANCE_PATH", ROOT / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL"), instance)
        self.SQLALCHEMY_ENGINE_OPTIONS = _engine_options(self.SQLALCHEMY_DATABASE_URI, env)

        missing = [name for name in ("SECRET_KEY", "DATA_KEYS") if not env.get(name)]
        if missing and production:
            raise ConfigError(
                f"{', '.join(missing)} must be set when WELLBEING_ENV=production "
                "(DATA_KEYS: comma-separated kid:base64url-key entries; generate one with "
                "`flask --app wsgi generate-data-key`)."
            )
        dev = _dev_secrets(instance) if missing else {}
        self.SECRET_KEY = env.get("SECRET_KEY") or dev["SECRET_KEY"]
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY") or self.SECRET_KEY
        if production:
            _check_production_secrets(self.SECRET_KEY, env.get("JWT_SECRET_KEY"), env.get("PASSWORD_HASH_COST"))
        self.DATA_KEYS = env.get("DATA_KEYS") or dev["DATA_KEYS"]

        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=30)
        self.JWT_TOKEN_LOCATION = ["headers"]
        self.JWT_ERROR_MESSAGE_KEY = "detail"

        self.MAX_CONTENT_LENGTH = 1024 * 1024
        # Limits must hold across workers: Redis when configured, otherwise the database (never per-process memory).
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "wellbeing+sql://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_ENABLED = not _as_bool(env.get("RATELIMIT_DISABLED"))
        self.TRUST_PROXY = int(env.get("TRUST_PROXY", "0"))
        self.ALLOW_PRIVATE_WEBHOOKS = _as_bool(env.get("ALLOW_PRIVATE_WEBHOOKS"))
        # Amazon Connect's API endpoint for recovery breaks (empty: boto3's regional default)
        self.AMAZON_CONNECT_ENDPOINT_URL = env.get("AMAZON_CONNECT_ENDPOINT_URL") or None
        # Genesys Cloud's login (OAuth) and API hosts of the organization's region
        self.GENESYS_LOGIN_URL = env.get("GENESYS_LOGIN_URL", "https://login.mypurecloud.com")
        self.GENESYS_API_URL = env.get("GENESYS_API_URL", "https://api.mypurecloud.com")
        # How long a dispatcher holds a claimed prompt before another may retry it (it must outlast a delivery)
        self.PROMPT_CLAIM_LEASE_SECONDS = int(env.get("PROMPT_CLAIM_LEASE_SECONDS", "60"))
        # APScheduler's own logger (two lines per job run at INFO); the scheduler logs a line when a job did work.
        self.APSCHEDULER_LOG_LEVEL = env.get("APSCHEDULER_LOG_LEVEL", "WARNING").upper()
        self.PASSWORD_HASH_COST = env.get("PASSWORD_HASH_COST", "default")
        self._push(env, instance, production)

        # The web console (/console): a signed HttpOnly session cookie; Secure is added on HTTPS requests, and always
        # in production (behind a proxy that was not declared in TRUST_PROXY the request may look like plain HTTP).
        self.SESSION_COOKIE_SECURE = production
        self.SESSION_COOKIE_NAME = "wellbeing_console"
        self.SESSION_COOKIE_PATH = "/console"
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.CONSOLE_IDLE_TIMEOUT = timedelta(minutes=30)
        self.CONSOLE_MAX_SESSION = timedelta(hours=10)
        self.CONSOLE_SHOW_DEMO_LOGINS = _as_bool(env.get("CONSOLE_SHOW_DEMO_LOGINS"))
        if self.CONSOLE_SHOW_DEMO_LOGINS and production:
            raise ConfigError("CONSOLE_SHOW_DEMO_LOGINS lists public demo passwords; never set it in production.")

        # Account e-mail (invitations, password resets): links point at PUBLIC_BASE_URL's console.
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/")
        self.MAIL_URL = env.get("MAIL_URL") or None
        self.MAIL_FROM = env.get("MAIL_FROM", "Wellbeing <no-reply@localhost>")
        # An organization without e-mail: admins hand out temporary passwords instead of reset links.
        self.MAIL_DISABLED = _as_bool(env.get("MAIL_DISABLED"))
        if production and not self.MAIL_URL and not self.MAIL_DISABLED:
            raise ConfigError("MAIL_URL must be set when WELLBEING_ENV=production (or MAIL_DISABLED=1 to run without e-mail).")

        self.API_TITLE = "Wellbeing API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/docs-assets/"

    def _push(self, env: dict[str, str], instance: Path, production: bool) -> None:
        """Push delivery: the dispatcher's limits and each provider's settings (a provider left unset is off)."""
        self.PUSH_DELIVERY_DEADLINE_SECONDS = float(env.get("PUSH_DELIVERY_DEADLINE_SECONDS", "10"))
        self.PUSH_MAX_PER_USER_HOUR = int(env.get("PUSH_MAX_PER_USER_HOUR", "60"))
        self.PUSH_WORKERS = max(1, int(env.get("PUSH_WORKERS", str(WORKERS))))
        # Web Push: a VAPID key (PEM file path, PEM, or base64url raw key); development makes one in instance/
        self.VAPID_PRIVATE_KEY = env.get("VAPID_PRIVATE_KEY") or None
        if not self.VAPID_PRIVATE_KEY and not production:
            self.VAPID_PRIVATE_KEY = str(_dev_vapid_key(instance))
        self.VAPID_SUBJECT = env.get("VAPID_SUBJECT", "mailto:push@localhost")
        self.FCM_CREDENTIALS_FILE = env.get("FCM_CREDENTIALS_FILE") or None
        self.FCM_BASE_URL = env.get("FCM_BASE_URL", "https://fcm.googleapis.com").rstrip("/")
        self.APNS_KEY_FILE = env.get("APNS_KEY_FILE") or None
        self.APNS_KEY_ID = env.get("APNS_KEY_ID") or None
        self.APNS_TEAM_ID = env.get("APNS_TEAM_ID") or None
        self.APNS_TOPIC = env.get("APNS_TOPIC") or None
        self.APNS_BASE_URL = env.get("APNS_BASE_URL", "https://api.push.apple.com").rstrip("/")
        self.APNS_SANDBOX_BASE_URL = env.get("APNS_SANDBOX_BASE_URL", "https://api.sandbox.push.apple.com").rstrip("/")
        # Extra certificate authorities to trust for the providers (staging, tests); the system's are always trusted
        self.PUSH_CA_FILE = env.get("PUSH_CA_FILE") or None
        self.JPUSH_APP_KEY = env.get("JPUSH_APP_KEY") or None
        self.JPUSH_MASTER_SECRET = env.get("JPUSH_MASTER_SECRET") or None
        self.JPUSH_BASE_URL = env.get("JPUSH_BASE_URL", "https://api.jpush.cn").rstrip("/")

    def as_dict(self) -> dict:
        """The settings as a mapping for ``app.config.update``."""
        return {k: v for k, v in vars(self).items() if k.isupper()}


def _check_production_secrets(secret_key: str, jwt_key: str | None, hash_cost: str | None) -> None:
    """Production signs tokens with its own key, long enough for HMAC-SHA256, and hashes passwords at full cost."""
    if not jwt_key or len(jwt_key.encode()) < MIN_KEY_BYTES or jwt_key == secret_key:
        raise ConfigError(f"JWT_SECRET_KEY must be set when WELLBEING_ENV=production: at least {MIN_KEY_BYTES} bytes, "
                          "and not the same as SECRET_KEY.")
    if len(secret_key.encode()) < MIN_KEY_BYTES:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_KEY_BYTES} bytes when WELLBEING_ENV=production.")
    if hash_cost == "low":
        raise ConfigError("PASSWORD_HASH_COST=low is for tests only; it is refused when WELLBEING_ENV=production.")


def _database_url(url: str | None, instance: Path) -> str:
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance / 'wellbeing.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _engine_options(url: str, env: dict[str, str]) -> dict:
    # A database error's message (and SQLAlchemy's SQL log) must not carry parameters: they hold password hashes,
    # one-time links in the mail outbox, and diary notes before encryption.
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 10, "check_same_thread": False}, "hide_parameters": True}
    statement_ms = int(env.get("DB_STATEMENT_TIMEOUT_MS", "15000"))
    return {
        "hide_parameters": True,
        "pool_size": int(env.get("DB_POOL_SIZE", "8")),
        "max_overflow": int(env.get("DB_MAX_OVERFLOW", "4")),
        # "always": SQLAlchemy's ping on every checkout; "idle" (default): only after a second unused
        # (wellbeing.core.db.ping_idle_connections, installed by the app factory), saving a round trip per request.
        "pool_pre_ping": env.get("DB_PRE_PING", "idle") == "always",
        "pool_timeout": 5,
        # Fail fast instead of hanging when the database is away (readiness and 503s rely on it): the server
        # ends a statement after statement_timeout, and the client stops waiting for a frozen server soon after.
        "connect_args": {"connect_timeout": 3, "options": f"-c statement_timeout={statement_ms}",
                         WAIT_LIMIT_ARG: statement_ms / 1000 + 2},
    }
