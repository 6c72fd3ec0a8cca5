"""Soak benchmark: the mixed workload at a steady rate for a long time; errors, latency drift and worker memory.

    python -m bench.soak [--minutes 60] [--rate 30] [--database-url URL]

Not a test. The API runs under gunicorn (gthread, 2 workers x 4 threads, as `make run`) on a throwaway
database. Requests are sent open-loop at `--rate` per second (a request is scheduled at its time whether or
not earlier ones have answered, so a slow server shows as latency, not as a lower rate), mixed as:
45% POST /diary (a third with notes), 20% GET /me, 20% GET /diary/insights, 15% POST /assessments, by a
pool of agents whose tokens are renewed before they expire. Every 5 s the resident memory (VmRSS) of the
master and each worker is sampled from /proc. The baseline is the run's own first minute: the last
minute's p99 and memory are reported as ratios to it, so a leak or a slowdown shows as a ratio above 1.
Targets: zero errors; last-minute p99 <= 2x the first minute; worker memory growth <= 1.5x.
Prompts and scheduler restarts join the mix when the scheduler lands (issue 5).
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import PYTHON, ROOT, fresh_database, free_port, percentile, print_table, row, write_results
from wellbeing.core.crypto import generate_key

PASSWORD = "soak-password-123"
EMOTIONS = ("calm", "content", "tired", "stressed", "frustrated", "anxious", "happy", "angry")
TRIGGERS = ("customer_complaint", "call_volume", "long_call", "kpi_pressure", "system_issue")
MIX = (("diary", 45), ("me", 20), ("insights", 20), ("assessment", 15))
SIZES = {"default": 2.0, "hour": 60.0}  # minutes; run() in the default size stays under 3 minutes
TOKEN_LIFETIME = 600  # seconds: renewed well before the 15-minute expiry


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
    return found


def _rss_mib(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def _prepare(env: dict[str, str], agents: int) -> list[str]:
    """Migrate the database and create an organization with `agents` agents; returns their e-mails."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from api import create_app
    from wellbeing.org import organizations
    from wellbeing.org import passwords
    from wellbeing.core.db import db
    from wellbeing.models import User

    app = create_app()
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
        now = datetime.now(timezone.utc)
        org = organizations.bootstrap(db.session, "Soak", "admin@soak.test", PASSWORD, "Asia/Shanghai", now)
        hashed = passwords.hash_password(PASSWORD)
        emails = [f"agent{n}@soak.test" for n in range(agents)]
        for email in emails:
            db.session.add(User(org_id=org.id, email=email, name=email, role="agent", password_hash=hashed,
                                timezone="Asia/Shanghai", created_at=now))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return emails


class Api:
    """A keep-alive connection per thread to the served API."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def call(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, bytes]:
        """One request; a keep-alive connection the server closed while idle is retried once on a new one
        (the request never reached the server; gunicorn closes idle connections after 2 s), as HTTP clients do."""
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        reused = getattr(self.local, "conn", None) is not None
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None) or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.local.conn = conn
            try:
                conn.request(method, path, body=payload, headers=all_headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                conn.close()
                self.local.conn = None
                if not (reused and attempt == 1):
                    raise
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                raise
        raise AssertionError("unreachable")


class Tokens:
    """Access tokens per agent, renewed by signing in again before they expire."""

    def __init__(self, api: Api, emails: list[str]) -> None:
        self.api, self.emails = api, emails
        self.tokens: dict[str, tuple[str, float]] = {}
        self.lock = threading.Lock()

    def headers(self, email: str) -> dict:
        with self.lock:
            token, at = self.tokens.get(email, ("", 0.0))
        if time.monotonic() - at > TOKEN_LIFETIME:
            status, body = self.api.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
            if status != 200:
                raise RuntimeError(f"sign-in failed: {status}")
            token = json.loads(body)["access_token"]
            with self.lock:
                self.tokens[email] = (token, time.monotonic())
        return {"Authorization": f"Bearer {token}"}


def _request(kind: str, rng: random.Random) -> tuple[str, str, dict | None, tuple[int, ...]]:
    now = datetime.now(timezone.utc)
    if kind == "diary":
        body = {"id": str(uuid.uuid4()), "occurred_at": (now - timedelta(minutes=rng.randint(1, 600))).isoformat(),
                "emotion": rng.choice(EMOTIONS), "intensity": rng.randint(1, 10), "stress": rng.randint(0, 10),
                "triggers": rng.sample(TRIGGERS, k=rng.randint(0, 2))}
        if rng.random() < 1 / 3:
            body["note"] = "Long queue, two complaints before lunch."
        return "POST", "/api/v1/diary", body, (201,)
    if kind == "me":
        return "GET", "/api/v1/me", None, (200,)
    if kind == "insights":
        return "GET", f"/api/v1/diary/insights?days={rng.choice((7, 30, 90))}", None, (200,)
    answers = {str(i): rng.randint(0, 3) for i in range(1, 5)}
    # An agent's second PHQ-4 inside its 14-day minimum interval is refused (409 retake_too_soon): expected too.
    return "POST", "/api/v1/assessments", {"instrument": "phq4", "answers": answers}, (201, 409)


def soak(database_url: str | None, minutes: float, rate: float, agents: int = 20) -> tuple[list[dict], dict]:
    label = "postgresql" if database_url and database_url.startswith("postgresql") else "sqlite"
    with fresh_database(database_url) as url:
        env = {"DATABASE_URL": url, "SECRET_KEY": "soak-secret-" + uuid.uuid4().hex, "DATA_KEYS": generate_key("soak"),
               "PASSWORD_HASH_COST": "low", "RATELIMIT_DISABLED": "1", "INSTANCE_PATH": "/tmp/wellbeing-soak"}
        emails = _prepare(env, agents)
        port = free_port()
        server = subprocess.Popen([PYTHON, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "2", "--threads",
                                   "4", "--log-level", "warning", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                  cwd=ROOT, env=os.environ | env, start_new_session=True)
        try:
            api = Api(port)
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if api.call("GET", "/healthz")[0] == 200:
                        break
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.2)
            tokens = Tokens(api, emails)
            samples, memory, errors = _drive(api, tokens, emails, server.pid, minutes * 60, rate)
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
    return _rows(label, samples, memory, errors, minutes, rate), {"samples": len(samples), "memory": memory,
                                                                  "errors": errors[:50]}


def _drive(api: Api, tokens: Tokens, emails: list[str], master: int, seconds: float, rate: float):
    samples: list[tuple[float, str, float, bool]] = []  # (offset s, kind, latency ms, ok)
    errors: list[str] = []
    memory: list[dict] = []
    lock = threading.Lock()
    kinds = [k for k, weight in MIX for _ in range(weight)]
    stop = threading.Event()

    def sample_memory() -> None:
        began = time.monotonic()
        while not stop.is_set():
            workers = _children(master)
            memory.append({"t": round(time.monotonic() - began, 1), "master_mib": _rss_mib(master),
                           "workers_mib": sorted(filter(None, (_rss_mib(w) for w in workers)))})
            stop.wait(5)

    def one(n: int, scheduled: float) -> None:
        rng = random.Random(n)
        kind = rng.choice(kinds)
        method, path, body, expect = _request(kind, rng)
        began = time.monotonic()
        try:
            status, raw = api.call(method, path, body, tokens.headers(rng.choice(emails)))
            ok = status in expect
            problem = None if ok else f"{kind} {status} {raw[:200]!r}"
        except Exception as error:  # noqa: BLE001 (every failure counts as an error of the run)
            ok, problem = False, f"{kind} {type(error).__name__}"
        ended = time.monotonic()
        with lock:
            samples.append((scheduled - start, kind, (ended - began) * 1000, ok))
            if problem:
                errors.append(problem)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        n = 0
        while True:
            scheduled = start + n / rate
            if scheduled - start >= seconds:
                break
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, n, scheduled)
            n += 1
    stop.set()
    sampler.join(timeout=10)
    return samples, memory, errors


def _rows(label: str, samples, memory, errors, minutes: float, rate: float) -> list[dict]:
    total = samples[-1][0] if samples else 0.0
    window = min(60.0, max(total / 4, 1.0))
    first = [s[2] for s in samples if s[0] < window]
    last = [s[2] for s in samples if s[0] >= total - window]
    scenario = f"mixed workload {minutes:g} min at {rate:g}/s ({label})"
    rows = [
        row(scenario, "requests", len(samples), "count"),
        row(scenario, "achieved rate", len(samples) / max(total, 1e-9), "req/s", "target rate", rate),
        row(scenario, "errors", len(errors), "count", target="0", met=not errors),
        row(scenario, "p50 latency", percentile([s[2] for s in samples], 50), "ms"),
        row(scenario, "p99 latency", percentile([s[2] for s in samples], 99), "ms"),
        row(scenario, "p99 latency, last window", percentile(last, 99), "ms", "first window", percentile(first, 99),
            target="<= 2x first", met=percentile(last, 99) <= 2 * percentile(first, 99)),
    ]
    for kind, _ in MIX:
        latencies = [s[2] for s in samples if s[1] == kind]
        rows.append(row(f"{kind} ({label})", "p99 latency", percentile(latencies, 99), "ms"))
    with_workers = [m for m in memory if m["workers_mib"]]
    if len(with_workers) >= 2:
        settle = next((m for m in with_workers if m["t"] >= min(window, with_workers[-1]["t"] / 2)), with_workers[0])
        begin, end = sum(settle["workers_mib"]), sum(with_workers[-1]["workers_mib"])
        peak = max(sum(m["workers_mib"]) for m in with_workers)
        rows += [
            row(scenario, "workers RSS at end", end, "MiB", f"at {settle['t']:g} s", begin,
                target="<= 1.5x", met=end <= 1.5 * begin),
            row(scenario, "workers RSS peak", peak, "MiB"),
            row(scenario, "master RSS at end", with_workers[-1]["master_mib"] or 0, "MiB"),
        ]
    return rows


def run(database_url: str, size: str = "default") -> list[dict]:
    return soak(database_url, SIZES[size], rate=30.0)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long to run (2 for a smoke run)")
    parser.add_argument("--rate", type=float, default=30.0, help="requests per second, open loop")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server URL (a throwaway database is made on it); default: SQLite")
    args = parser.parse_args()
    rows, meta = soak(args.database_url, args.minutes, args.rate, args.agents)
    print_table(rows)
    if meta["errors"]:
        print("first errors:", *meta["errors"][:10], sep="\n  ")
    print(f"written: {write_results('soak', rows, {'minutes': args.minutes, 'rate': args.rate} | meta)}")


if __name__ == "__main__":
    sys.exit(main())
