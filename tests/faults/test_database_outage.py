"""The database goes away under load and comes back: 503 problems quickly (never a 500 or a hang), then recovery alone.

On PostgreSQL a PRIVATE server is started for this test (initdb into a temporary directory, its own port and
socket directory), so stopping it with ``pg_ctl stop -m immediate`` never touches the shared server. On SQLite
there is no server to stop: the analogue checks the same probes and problem answers in process.
"""
from __future__ import annotations

import contextlib
import glob
import http.client
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.faults.server import PASSWORD, Server, app_env, bootstrap, children, free_port, migrate
from tests.helpers import assert_problem

KIND = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
FAST = 5.0  # seconds: an answer while the database is away must come within this
STATEMENT_MS = 3000  # the served app's statement_timeout here; the client gives up on a frozen server 2 s later
FROZEN = STATEMENT_MS / 1000 + 2 + 3 + 3  # wait limit + connect timeout + slack on a busy machine


class PrivatePostgres:
    """A throwaway PostgreSQL cluster owned by the postgres user (initdb refuses to run as root)."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        assert bins, "initdb not found under /usr/lib/postgresql/*/bin"
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="wb-pg-", dir="/tmp"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = self.dir / "data"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run([*self.as_user, str(self.bin / tool), *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (tool, result.stdout[-1000:], result.stderr[-1000:])

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w", "start")

    def processes(self) -> list[int]:
        master = int((self.data / "postmaster.pid").read_text().split()[0])
        return [master, *children(master)]

    def freeze(self) -> list[int]:
        """SIGSTOP the server and its backends: connections stay open, nothing answers (a hung or partitioned host)."""
        pids = self.processes()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    @staticmethod
    def thaw(pids: list[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def stop_immediately(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class Load:
    """A light steady load (GET /me, POST /diary) recording every status and the slowest answer."""

    def __init__(self, server: Server, headers: dict) -> None:
        self.server, self.headers = server, headers
        self.results: list[tuple[str, int | str, float, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for method, path, body in (("GET", "/api/v1/me", None), ("POST", "/api/v1/diary", {
                    "id": str(uuid.uuid4()), "occurred_at": (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat(),
                    "emotion": "calm", "intensity": 3, "triggers": ["long_call"]})):
                began = time.monotonic()
                try:
                    status, _, headers = self.server.request(method, path, body, self.headers, timeout=30)
                    content_type = headers.get("content-type", "")
                except (OSError, http.client.HTTPException) as error:
                    status, content_type = type(error).__name__, ""
                self.results.append((path, status, time.monotonic() - began, content_type))
            time.sleep(0.05)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def _timed(server: Server, method: str, path: str, headers: dict | None = None, body=None):
    began = time.monotonic()
    status, parsed, response_headers = server.request(method, path, body, headers, timeout=30)
    return status, parsed, response_headers, time.monotonic() - began


def _wait_until(predicate, timeout: float) -> float:
    began = time.monotonic()
    while not predicate():
        assert time.monotonic() - began < timeout, "condition not reached in time"
        time.sleep(0.1)
    return time.monotonic() - began


def _postgres_outage(tmp_path: Path) -> None:
    pg = PrivatePostgres()
    server = None
    try:
        pg.start()
        env = app_env(pg.url, tmp_path / "instance", DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_MS))
        migrate(env)
        bootstrap(env)
        server = Server(env, tmp_path / "gunicorn.log")
        server.start()
        admin = server.login("admin@fault.test")
        agent = server.create_user(admin, "agent@fault.test")

        with Load(server, agent) as load:
            time.sleep(0.5)
            before = len(load.results)
            pg.stop_immediately()
            down_at = len(load.results)

            status, body, headers, took = _timed(server, "GET", "/readyz")
            assert status == 503 and headers["content-type"] == "application/problem+json" and took < FAST, (status, took)
            for method, path, payload in (("GET", "/api/v1/me", None), ("GET", "/api/v1/diary", None),
                                          ("POST", "/api/v1/diary", {"occurred_at": datetime.now(timezone.utc).isoformat(),
                                                                     "emotion": "calm", "intensity": 2})):
                status, body, headers, took = _timed(server, method, path, agent, payload)
                assert status == 503, (path, status, body)
                assert headers["content-type"] == "application/problem+json" and body["status"] == 503
                # Nothing about the database's address or driver reaches the client.
                assert not [w for w in (str(pg.port), "psycopg", "OperationalError", str(pg.dir)) if w in str(body)], body
                assert headers.get("retry-after") and took < FAST, (path, took)
            # A sign-in needs the database too: 503, not a 401 that would tell the client its password is wrong.
            status, body, headers, took = _timed(server, "POST", "/api/v1/auth/token", None,
                                                 {"email": "agent@fault.test", "password": PASSWORD})
            assert status == 503 and took < FAST, (status, body)
            time.sleep(1.0)

            pg.start()
            recovered_in = _wait_until(lambda: server.request("GET", "/readyz", timeout=10)[0] == 200, timeout=30)
            _wait_until(lambda: server.request("GET", "/api/v1/me", headers=agent, timeout=10)[0] == 200, timeout=30)
            time.sleep(0.5)
            after = len(load.results)

        assert before > 0 and after > down_at, "the load did not run across the outage"
        statuses = {status for _, status, _, _ in load.results}
        log = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert 500 not in statuses, log[log.find("unhandled error"):][:3000]
        assert statuses <= {200, 201, 503} and {201, 503} <= statuses, statuses
        assert all(took < FAST for _, _, took, _ in load.results), max(took for _, _, took, _ in load.results)
        assert all(ct == "application/problem+json" for _, status, _, ct in load.results if status == 503)
        # Recovery by itself: the same gunicorn master and workers, no restart.
        assert server.process.poll() is None and recovered_in < 30
        status, body, _ = server.request("POST", "/api/v1/diary", {
            "id": str(uuid.uuid4()), "occurred_at": datetime.now(timezone.utc).isoformat(), "emotion": "calm",
            "intensity": 4}, agent)
        assert status == 201, body
        _frozen_database(pg, server, agent)
        log = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert "database unavailable" in log and "unhandled error" not in log  # 503s logged as such, no 500
    finally:
        if server is not None:
            server.stop()
        pg.remove()


def _frozen_database(pg: PrivatePostgres, server: Server, agent: dict) -> None:
    """A server that stops answering without closing anything: pooled connections wait in vain.

    Found by this test: the pre-ping of a pooled connection waited forever (statement_timeout is the
    server's, and a frozen server enforces nothing), so each such request held its thread for good.
    """
    results: list[tuple[int | str, float]] = []

    def call(path: str) -> None:
        began = time.monotonic()
        try:
            status = server.request("GET", path, headers=agent, timeout=60)[0]
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
        results.append((status, time.monotonic() - began))

    # Warm every thread's pooled connection, so the freeze catches open connections, not only new ones.
    warm = [threading.Thread(target=call, args=("/api/v1/me",)) for _ in range(8)]
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()
    assert {s for s, _ in results} == {200}, results
    results.clear()
    pids = pg.freeze()
    try:
        # Four at once: never more than a worker's threads, so no request waits in gunicorn's queue.
        paths = ("/readyz", "/api/v1/me", "/api/v1/diary", "/api/v1/me")
        callers = [threading.Thread(target=call, args=(path,)) for path in paths]
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join(timeout=90)
        assert len(results) == len(callers)
        assert all(status == 503 and took < FROZEN for status, took in results), results
        assert server.request("GET", "/healthz", timeout=5)[0] == 200  # the process itself stays responsive
    finally:
        pg.thaw(pids)
    _wait_until(lambda: server.request("GET", "/api/v1/me", headers=agent, timeout=30)[0] == 200, timeout=30)


def _sqlite_analogue(app, client) -> None:
    """No server to stop: the probe answers 200 on a healthy file, and a lost connection is a 503 problem."""
    from sqlalchemy.exc import OperationalError

    from wellbeing.core.db import db

    response = client.get("/readyz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}
    with app.app_context():
        engine = db.engine
    original = engine.pool.connect

    def refuse():
        raise OperationalError("connect", {}, Exception("unable to open database file"))

    engine.pool.connect = refuse
    try:
        assert_problem(client.get("/readyz"), 503)
        assert_problem(client.post("/api/v1/auth/token", json={"email": "a@b.test", "password": PASSWORD}), 503)
    finally:
        engine.pool.connect = original
    assert client.get("/readyz").status_code == 200  # back by itself


@pytest.mark.parametrize("kind", [KIND])
def test_database_outage_answers_503_fast_and_recovers_without_restart(kind, request, tmp_path):
    if kind == "postgresql":
        _postgres_outage(tmp_path)
    else:
        _sqlite_analogue(request.getfixturevalue("app"), request.getfixturevalue("client"))
