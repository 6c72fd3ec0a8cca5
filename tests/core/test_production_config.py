"""WELLBEING_ENV=production: its own signing key, full hashing cost, Secure cookies and HSTS, no demo accounts."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api import create_app
from api.config import Config, ConfigError
from wellbeing.core.crypto import generate_key

JWT_KEY = "j" * 32


def _env(tmp_path, **extra) -> dict:
    return {"WELLBEING_ENV": "production", "SECRET_KEY": "s" * 48, "JWT_SECRET_KEY": JWT_KEY,
            "DATA_KEYS": generate_key("p"), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
            "INSTANCE_PATH": str(tmp_path), "MAIL_DISABLED": "1", **extra}


@pytest.mark.parametrize("change, message", [
    ({"JWT_SECRET_KEY": ""}, "JWT_SECRET_KEY"),
    ({"JWT_SECRET_KEY": "j" * 31}, "JWT_SECRET_KEY"),
    ({"JWT_SECRET_KEY": "s" * 48}, "JWT_SECRET_KEY"),  # the same key as SECRET_KEY
    ({"SECRET_KEY": "s" * 20}, "SECRET_KEY"),
    ({"SECRET_KEY": ""}, "SECRET_KEY"),
    ({"PASSWORD_HASH_COST": "low"}, "PASSWORD_HASH_COST"),
])
def test_production_refuses_weak_or_shared_secrets_and_cheap_hashing(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        Config(_env(tmp_path, **change))


def test_production_sets_secure_cookies_and_hsts_even_without_trust_proxy(tmp_path):
    config = Config(_env(tmp_path))
    assert config.SESSION_COOKIE_SECURE is True and config.TRUST_PROXY == 0
    client = create_app(config).test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")
    page = client.get("/console/")
    assert "Secure" in page.headers.get("Set-Cookie", "") and "HttpOnly" in page.headers.get("Set-Cookie", "")


def test_development_says_so_in_the_log(tmp_path, caplog):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "INSTANCE_PATH": str(tmp_path)}
    with caplog.at_level(logging.WARNING):
        create_app(Config(env))
    assert "development mode" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(Config(_env(tmp_path)))
    assert "development mode" not in caplog.text


def test_seed_demo_is_refused_in_production(fresh_database_url, tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **_env(tmp_path), "DATABASE_URL": fresh_database_url, "FLASK_APP": "wsgi"}
    env.pop("PASSWORD_HASH_COST", None)
    result = subprocess.run([sys.executable, "-m", "flask", "seed-demo", "--agents", "2", "--teams", "1", "--months", "0"],
                            cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "refused when WELLBEING_ENV=production" in result.stderr


def test_database_errors_carry_no_sql_parameters(app, world):
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from wellbeing.core.db import db
    from wellbeing.models import User

    secret = "a-password-hash-that-must-not-be-logged"
    with app.app_context():
        with pytest.raises(IntegrityError) as raised:
            db.session.execute(insert(User).values(id="u-dup", org_id=world.org_id, email=world.emails["agent"],
                                                   name="Copy", role="agent", password_hash=secret,
                                                   password_temporary=False))
        db.session.rollback()
    assert secret not in str(raised.value) and "hidden" in str(raised.value)
