"""The command line: bootstrap and seed-demo, checked through the API they open."""
from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from wellbeing.demo import DEMO_PASSWORD


def _scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_bootstrap_prints_the_organization_id_and_creates_its_admin(flask_cli, fresh_database_url):
    flask_cli("db", "upgrade")
    result = flask_cli("bootstrap", "--org", "Acme", "--email", "Boss@Acme.test", "--password", "long enough pw",
                       "--timezone", "Asia/Shanghai")
    org_id = result.stdout.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", org_id)
    assert _scalar(fresh_database_url, "SELECT name FROM organizations WHERE id = :id", id=org_id) == "Acme"
    assert _scalar(fresh_database_url, "SELECT role FROM users WHERE email = 'boss@acme.test'") == "admin"
    again = flask_cli("bootstrap", "--org", "Acme", "--email", "boss@acme.test", "--password", "long enough pw", check=False)
    assert again.returncode != 0 and "already exists" in again.stderr


def test_bootstrap_refuses_a_bad_timezone_and_short_password(flask_cli):
    flask_cli("db", "upgrade")
    bad_zone = flask_cli("bootstrap", "--org", "A", "--email", "a@a.test", "--password", "long enough pw",
                         "--timezone", "Mars/Base", check=False)
    assert bad_zone.returncode == 2 and "IANA" in bad_zone.stderr
    short = flask_cli("bootstrap", "--org", "A", "--email", "a@a.test", "--password", "short", check=False)
    assert short.returncode == 2


def test_seed_demo_creates_once_and_prints_logins(flask_cli, fresh_database_url):
    flask_cli("db", "upgrade")
    first = flask_cli("seed-demo").stdout
    assert "Created demo organization" in first and "admin@demo.example" in first and DEMO_PASSWORD in first
    users = _scalar(fresh_database_url, "SELECT count(*) FROM users")
    second = flask_cli("seed-demo").stdout
    assert "Found demo organization" in second
    assert _scalar(fresh_database_url, "SELECT count(*) FROM users") == users
    sizes = _scalar(fresh_database_url, "SELECT count(*) FROM team_memberships WHERE valid_to IS NULL")
    assert sizes == 5 + 12 + 18 + 60


def test_demo_logins_work_through_the_api(app, client):
    from wellbeing import demo
    from wellbeing.core.clock import utcnow
    from wellbeing.core.db import db

    with app.app_context():
        summary = demo.seed_demo(db.session, utcnow())
    for role, email, _team in summary.logins:
        response = client.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 200, email
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['access_token']}"}).json
        assert me["role"] == role
