"""Diary benchmark: single POST throughput and latency against a bare Flask endpoint, batch ingest, insights.

    python -m bench.diary [--database-url URL] [--size small|default]

Everything runs through gunicorn (gthread, 2 workers x 4 threads, as `make run`) on this machine, the
baseline too, in the same run, so the ratios hold on a noisy shared machine even when absolute numbers
do not. Targets (issue 3): single POST >= 25% of the bare Flask endpoint's throughput; insights for an
agent with a year of entries (~3,000) under 50 ms.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

from bench.common import fresh_database, gunicorn, percentile, print_table, row, run_load, write_results
from wellbeing.core.crypto import generate_key

SIZES = {"small": {"seconds": 3.0, "batches": 4, "insight_calls": 60},
         "default": {"seconds": 8.0, "batches": 10, "insight_calls": 200}}
PASSWORD = "bench-password-123"
EMOTIONS = ("calm", "content", "tired", "stressed", "frustrated", "anxious", "happy", "angry")
TRIGGERS = ("customer_complaint", "call_volume", "long_call", "kpi_pressure", "system_issue")


def _entry(now: datetime, with_id: bool = True) -> dict:
    body = {"occurred_at": (now - timedelta(minutes=random.randint(1, 600))).isoformat(),
            "emotion": random.choice(EMOTIONS), "intensity": random.randint(1, 10),
            "triggers": random.sample(TRIGGERS, k=random.randint(0, 2)), "stress": random.randint(0, 10),
            "note": "Long queue, two complaints." if random.random() < 0.3 else None}
    if with_id:
        body["id"] = str(uuid.uuid4())
    return body


def _prepare(database_url: str, env: dict[str, str]) -> dict[str, str]:
    """Migrate, and create an organization with two agents; one gets a year of history (~3,000 entries)."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from api import create_app
    from api.core.keyring import keyring
    from wellbeing.org import organizations
    from wellbeing.org import passwords
    from wellbeing.core.db import db
    from wellbeing.models import User

    app = create_app()
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
        now = datetime.now(timezone.utc)
        org = organizations.bootstrap(db.session, "Bench", "admin@bench.test", PASSWORD, "Asia/Shanghai", now)
        hashed = passwords.hash_password(PASSWORD)
        people = {}
        for key in ("writer", "reader"):
            user = User(org_id=org.id, email=f"{key}@bench.test", name=key, role="agent", password_hash=hashed,
                        timezone="America/New_York", created_at=now)
            db.session.add(user)
            db.session.flush()
            people[key] = user.id
        db.session.commit()
        people["history"] = _year_of_entries(db.session, people["reader"], now, keyring())
        db.session.remove()
    return people


def _year_of_entries(session, user_id: str, now: datetime, ring, count: int = 3_000) -> int:
    """`count` entries spread over the last 365 days, with triggers, signals, coping and some notes."""
    from sqlalchemy import insert

    from wellbeing.diary.entries import note_aad
    from wellbeing.models import DiaryEntry, DiaryTag
    from wellbeing.diary.vocabulary import valence

    rng = random.Random(5)
    entries, tags = [], []
    for _ in range(count):
        entry_id = str(uuid.uuid4())
        occurred = now - timedelta(seconds=rng.randint(60, 365 * 86_400 - 60))
        emotion = rng.choice(EMOTIONS)
        note = "Long queue, two complaints." if rng.random() < 0.1 else None
        entries.append({"id": entry_id, "user_id": user_id, "occurred_at": occurred, "emotion": emotion,
                        "valence": valence(emotion), "intensity": rng.randint(1, 10), "stress": rng.randint(0, 10),
                        "after_call": rng.random() < 0.5,
                        "note_ciphertext": ring.encrypt(note, note_aad(entry_id)) if note else None,
                        "client_updated_at": occurred, "revision": 1, "created_at": occurred, "updated_at": occurred})
        for kind, keys in (("triggers", rng.sample(TRIGGERS, k=rng.randint(0, 2))),
                           ("signals", ["headache"] if rng.random() < 0.2 else []),
                           ("coping", ["deep_breathing"] if rng.random() < 0.3 else [])):
            tags += [{"entry_id": entry_id, "kind": kind, "key": key, "position": n} for n, key in enumerate(keys)]
    session.execute(insert(DiaryEntry), entries)
    session.execute(insert(DiaryTag), tags)
    from wellbeing.diary import rollup

    rollup.rebuild(session, [user_id])  # bulk-loaded rows bypass the write paths that keep the roll-up
    session.commit()
    return count


def _token(address: str, email: str) -> str:
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", "/api/v1/auth/token", body=json.dumps({"email": email, "password": PASSWORD}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return body["access_token"]


def _timed(address: str, method: str, path: str, headers: dict, calls: int, body=None) -> list[float]:
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    latencies = []
    for _ in range(calls):
        payload = body() if body else None
        began = time.monotonic()
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status}")
        latencies.append((time.monotonic() - began) * 1000)
    conn.close()
    return latencies


def run(database_url: str | None = None, size: str = "default") -> list[dict]:
    settings = SIZES[size]
    rows: list[dict] = []
    label = "postgresql" if database_url and database_url.startswith("postgresql") else "sqlite"
    with fresh_database(database_url) as url:
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + uuid.uuid4().hex, "DATA_KEYS": generate_key("bench"),
               "PASSWORD_HASH_COST": "low", "RATELIMIT_DISABLED": "1", "INSTANCE_PATH": "/tmp/wellbeing-bench"}
        people = _prepare(url, env)
        json_headers = {"Content-Type": "application/json"}
        now = datetime.now(timezone.utc)

        with gunicorn("bench.baseline_app:app") as address:
            base = run_load(address, "POST", "/echo", lambda: json.dumps(_entry(now)).encode(), json_headers,
                            seconds=settings["seconds"])
        with gunicorn("wsgi:app", env) as address:
            auth = json_headers | {"Authorization": f"Bearer {_token(address, 'writer@bench.test')}"}
            single = run_load(address, "POST", "/api/v1/diary", lambda: json.dumps(_entry(now)).encode(), auth,
                              seconds=settings["seconds"])
            batch_body = lambda: json.dumps({"entries": [_entry(now) for _ in range(500)]}).encode()  # noqa: E731
            began = time.monotonic()
            batch_latencies = _timed(address, "POST", "/api/v1/diary/batch", auth, settings["batches"], batch_body)
            batch_seconds = time.monotonic() - began
            reader = json_headers | {"Authorization": f"Bearer {_token(address, 'reader@bench.test')}"}
            _timed(address, "GET", "/api/v1/diary/insights?days=365", reader, 5)  # warm the workers
            insight_latencies = _timed(address, "GET", "/api/v1/diary/insights?days=365", reader,
                                       settings["insight_calls"])
            chart = _timed(address, "GET", "/api/v1/diary/chart.png?days=365", reader, 10)

        if single.errors or base.errors:
            raise RuntimeError(f"errors under load: diary {single.errors}, baseline {base.errors}")
        baseline_name = "bare Flask POST /echo"
        scenario = f"POST /diary ({label})"
        rows += [
            row(scenario, "throughput", single.rate, "req/s", baseline_name, base.rate, ">= 25% of baseline",
                single.rate / base.rate >= 0.25),
            row(scenario, "p50 latency", single.percentile(50), "ms", baseline_name, base.percentile(50)),
            row(scenario, "p99 latency", single.percentile(99), "ms", baseline_name, base.percentile(99)),
            row(f"POST /diary/batch x500 ({label})", "ingest", 500 * settings["batches"] / batch_seconds, "entries/s",
                "single POSTs", single.rate),
            row(f"POST /diary/batch x500 ({label})", "p50 latency", percentile(batch_latencies, 50), "ms"),
            row(f"GET /diary/insights?days=365, {people['history']} entries ({label})", "p50 latency",
                percentile(insight_latencies, 50), "ms", target="< 50 ms", met=percentile(insight_latencies, 50) < 50),
            row(f"GET /diary/insights?days=365, {people['history']} entries ({label})", "p99 latency",
                percentile(insight_latencies, 99), "ms", target="< 50 ms", met=percentile(insight_latencies, 99) < 50),
            row(f"GET /diary/chart.png?days=365 ({label})", "p50 latency", percentile(chart, 50), "ms"),
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server URL (a throwaway database is made on it); default: SQLite")
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL at postgresql://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    urls = [None, args.database_url or "postgresql://postgres@127.0.0.1:5432/postgres"] if args.both else [args.database_url]
    rows = []
    for url in urls:
        rows += run(url, args.size)
    print_table(rows)
    print(f"written: {write_results('diary', rows, {'size': args.size})}")


if __name__ == "__main__":
    main()
