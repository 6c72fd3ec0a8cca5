"""The real API under gunicorn in a subprocess, for fault injection: start, kill -9 a worker or everything, restart."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from wellbeing.core.crypto import generate_key

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (read from /proc; no psutil needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or parentheses: fields after the last ')' are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process in KiB (VmRSS), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def app_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a served instance: fixed secrets, cheap password hashing, no rate limits."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
    env.update({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "s" * 48,
                "DATA_KEYS": generate_key("fault1"), "PASSWORD_HASH_COST": "low", "RATELIMIT_DISABLED": "1",
                "FLASK_APP": "wsgi"})
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def bootstrap(env: dict[str, str], email: str = "admin@fault.test") -> None:
    result = subprocess.run([sys.executable, "-m", "flask", "bootstrap", "--org", "Fault Org", "--email", email,
                             "--password", PASSWORD, "--timezone", "Asia/Shanghai"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


class Server:
    """One gunicorn master (its own process group) serving wsgi:app; stderr goes to ``log``."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2, threads: int = 4,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.env, self.log, self.workers, self.threads, self.extra_args = env, log, workers, threads, extra_args
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        args = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", str(self.workers),
                "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
                *self.extra_args, "wsgi:app"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("GET", "/healthz", timeout=2)[0] == 200 and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer: {self.log.read_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def workers_after_replacing(self, killed: int, timeout: float = 30) -> list[int]:
        """The worker pids once the master has replaced the killed one (or as they stand at the deadline).

        The master notices a dead worker on its own schedule (SIGCHLD, then a spawn that imports the app), so
        the count is polled rather than read once: on a busy machine the other worker can answer many writes
        before the new one is up.
        """
        deadline = time.monotonic() + timeout
        while True:
            pids = self.worker_pids()
            if (killed not in pids and len(pids) == self.workers) or time.monotonic() >= deadline:
                return pids
            time.sleep(0.05)

    def kill_all(self) -> None:
        """kill -9 of the master and every worker at once (the process group)."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        # Workers orphaned by the master's death would keep the port: make sure none survives.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _port_open(self.port):
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                timeout: float = 10) -> tuple[int, dict | None, dict]:
        """(status, parsed JSON body or None, headers); raises OSError/HTTPException on a broken connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = None if body is None else json.dumps(body).encode()
            all_headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=all_headers | (headers or {}))
            response = conn.getresponse()
            raw = response.read()
            content_type = response.getheader("Content-Type", "")
            parsed = json.loads(raw) if raw and "json" in content_type else None
            return response.status, parsed, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()

    def login(self, email: str, password: str = PASSWORD) -> dict:
        status, body, _ = self.request("POST", "/api/v1/auth/token", {"email": email, "password": password})
        assert status == 200, body
        return {"Authorization": f"Bearer {body['access_token']}"}

    def create_user(self, admin: dict, email: str, role: str = "agent", password: str = PASSWORD) -> dict:
        """An administrator creates the user with a temporary password; the owner chooses `password`, then signs in."""
        temporary = "temporary-from-admin"
        status, body, _ = self.request("POST", "/api/v1/users", {
            "email": email, "name": email.split("@")[0].title(), "role": role, "password": temporary}, admin)
        assert status == 201, body
        status, body, _ = self.request("POST", "/api/v1/auth/password-change", {
            "email": email, "password": temporary, "new_password": password})
        assert status == 200, body
        return self.login(email, password)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
