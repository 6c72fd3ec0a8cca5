"""Fixtures: one migrated database per run (SQLite, or a throwaway PostgreSQL database), clean tables per test."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import create_app
from api.config import Config
from api.core.extensions import limiter
from wellbeing.core.crypto import generate_key
from wellbeing.core.db import db

from tests.contract import ContractClient
from tests.helpers import PASSWORD, TEMPORARY_PASSWORD



def _postgres_database(server_url: str):
    """Create a throwaway database on the server; return its URL and a function that drops it."""
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database of this run: TEST_DATABASE_URL names a PostgreSQL server, otherwise a SQLite file."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url, drop = _postgres_database(server)
    yield url
    drop()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app on a database built by the migrations (the same path production takes)."""
    env = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hmac-sha256",
        "DATA_KEYS": generate_key("test1"),
        "PASSWORD_HASH_COST": "low",
        "ALLOW_PRIVATE_WEBHOOKS": "1",
    }
    # Exceptions take the production path (a logged 500 problem), so tests see what clients see.
    app = create_app(Config(env), TESTING=True, PROPAGATE_EXCEPTIONS=False)
    # Every response a test receives is checked against the OpenAPI document (tests/contract.py).
    app.test_client_class = ContractClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request):
    """Empty every table after each test that used the app (fast, and keeps tests independent)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
        limiter.reset()


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served by a real threaded HTTP server on 127.0.0.1 (a free port)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID provider (oidc-provider under node) for the single sign-on tests."""
    from tests.org.sso_helpers import OidcProvider

    provider = OidcProvider(tmp_path_factory.mktemp("oidc") / "provider.log")
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(autouse=True)
def _fresh_provider_caches(request):
    """Each single sign-on test starts with the service knowing nothing of the provider: the per-process caches
    of discovery and keys (and the refetch throttle) would otherwise carry one test's keys into the next."""
    if "oidc_provider" in request.fixturenames:
        from wellbeing.org.sso import provider

        with provider._lock:
            provider._cache.clear()
            provider._forced.clear()
    yield


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


class FreshSession(Session):
    """A session for checking stored state: every read starts a new transaction, so it sees the latest commits.

    It is separate from the app's scoped session on purpose: holding an app context open for the
    whole test would make the test client's requests share (and never close) one session.
    """

    def _fresh(self) -> None:
        # Only a read-only transaction is ended: a test seeding data through this session keeps its writes.
        if self.in_transaction() and not (self.new or self.dirty or self.deleted or self.info.get("flushed")):
            self.rollback()

    def get(self, *args, **kwargs):
        self._fresh()
        return super().get(*args, **kwargs)

    def execute(self, statement, *args, **kwargs):
        self._fresh()
        result = super().execute(statement, *args, **kwargs)
        if getattr(statement, "is_dml", False):
            self.info["flushed"] = True
        return result

    def scalar(self, *args, **kwargs):
        self._fresh()
        return super().scalar(*args, **kwargs)

    def scalars(self, *args, **kwargs):
        self._fresh()
        return super().scalars(*args, **kwargs)


@event.listens_for(FreshSession, "after_flush")
def _mark_flushed(session, context) -> None:
    session.info["flushed"] = True


@event.listens_for(FreshSession, "after_transaction_end")
def _clear_flushed(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("flushed", None)


@pytest.fixture
def session(app):
    """A database session for checking stored state, independent of the app's request sessions."""
    with app.app_context():
        engine = db.engine
    checker = FreshSession(engine, expire_on_commit=False)
    yield checker
    checker.close()


def now_utc() -> datetime:
    """Now, aware UTC."""
    return datetime.now(timezone.utc)


@dataclass
class World:
    """Two organizations with every role; ``tokens`` maps a person's key to auth headers."""

    client: object
    org_id: str = ""
    other_org_id: str = ""
    team_a: str = ""
    team_b: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict] = field(default_factory=dict)

    def login(self, key: str) -> dict:
        """Sign in as a person of the world and remember their headers."""
        response = self.client.post("/api/v1/auth/token", json={"email": self.emails[key], "password": PASSWORD})
        assert response.status_code == 200, response.json
        self.headers[key] = {"Authorization": f"Bearer {response.json['access_token']}"}
        return self.headers[key]

    def as_(self, key: str) -> dict:
        """Auth headers of a person (signing in on first use)."""
        return self.headers.get(key) or self.login(key)

    def add_person(self, key: str, role: str, email: str | None = None, admin: str = "admin", **extra) -> str:
        """A new person created by an admin with a temporary password, then signed in with their own (PASSWORD)."""
        self.emails[key] = email or f"{key}@a.test"
        body = {"email": self.emails[key], "name": key.title(), "role": role, "password": TEMPORARY_PASSWORD, **extra}
        response = self.client.post("/api/v1/users", json=body, headers=self.as_(admin))
        assert response.status_code == 201, response.json
        self.ids[key] = response.json["id"]
        changed = self.client.post("/api/v1/auth/password-change", json={
            "email": self.emails[key], "password": TEMPORARY_PASSWORD, "new_password": PASSWORD})
        assert changed.status_code == 200, changed.json
        self.headers[key] = {"Authorization": f"Bearer {changed.json['access_token']}"}
        return self.ids[key]


def _as_if_chosen_by_owner(app, user_ids: list[str]) -> None:
    """Give users PASSWORD as their own, as the demo does (the change flow itself is tested in tests/org)."""
    from sqlalchemy import update

    from wellbeing.models import User
    from wellbeing.org import passwords
    with app.app_context():
        db.session.execute(update(User).where(User.id.in_(user_ids))
                           .values(password_hash=passwords.hash_password(PASSWORD), password_temporary=False))
        db.session.commit()


def _bootstrap(app, name: str, email: str) -> str:
    from wellbeing.org import organizations
    with app.app_context():
        org = organizations.bootstrap(db.session, name, email, PASSWORD, "Asia/Shanghai", now_utc())
        return org.id


@pytest.fixture
def world(app, client) -> World:
    """Org A (admin, hr, two teams, a supervisor of each, agents) and org B (its own admin and agent)."""
    w = World(client=client)
    w.org_id = _bootstrap(app, "Org A", "admin@a.test")
    w.other_org_id = _bootstrap(app, "Org B", "admin@b.test")
    w.emails.update(admin="admin@a.test", other_admin="admin@b.test")
    w.ids["admin"] = w.client.get("/api/v1/me", headers=w.as_("admin")).json["id"]
    w.team_a = client.post("/api/v1/teams", json={"name": "Team A"}, headers=w.as_("admin")).json["id"]
    w.team_b = client.post("/api/v1/teams", json={"name": "Team B"}, headers=w.as_("admin")).json["id"]
    people = {
        "agent": ("agent", w.team_a), "agent2": ("agent", w.team_a), "agent_b": ("agent", w.team_b),
        "supervisor": ("supervisor", None), "supervisor_b": ("supervisor", None), "hr": ("hr", None),
    }
    for key, (role, team) in people.items():
        w.emails[key] = f"{key}@a.test"
        body = {"email": w.emails[key], "name": key.title(), "role": role, "password": TEMPORARY_PASSWORD, "team_id": team}
        response = client.post("/api/v1/users", json=body, headers=w.as_("admin"))
        assert response.status_code == 201, response.json
        w.ids[key] = response.json["id"]
    for key, team in (("supervisor", w.team_a), ("supervisor_b", w.team_b)):
        response = client.post(f"/api/v1/teams/{team}/supervisors", json={"user_id": w.ids[key]}, headers=w.as_("admin"))
        assert response.status_code == 204
    w.emails["other_agent"] = "agent@b.test"
    response = client.post("/api/v1/users", headers=w.as_("other_admin"),
                           json={"email": "agent@b.test", "name": "B Agent", "role": "agent", "password": TEMPORARY_PASSWORD})
    w.ids["other_agent"] = response.json["id"]
    _as_if_chosen_by_owner(app, [w.ids[key] for key in (*people, "other_agent")])
    return w


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the same kind as this run's (for migrations and the command line)."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url, drop = _postgres_database(server)
    yield url
    drop()


@pytest.fixture
def flask_cli(fresh_database_url, tmp_path):
    """Run ``flask --app wsgi ...`` in a real subprocess against the fresh database."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
           "PASSWORD_HASH_COST": "low", "FLASK_APP": "wsgi"}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=root, env=env,
                                capture_output=True, text=True, timeout=120)
        if check:
            assert result.returncode == 0, result.stderr[-2000:]
        return result

    return run
