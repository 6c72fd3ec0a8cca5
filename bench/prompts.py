"""Prompt benchmarks: plan top-up for N agents, dispatch throughput to a local receiver, lateness at a steady rate.

Baselines, measured in the same run: the pure planner alone (no database) for the top-up, and a bare
loop of the same number of HTTP POSTs to the same receiver for dispatch.

    python -m bench.prompts [--size small|default|large] [--database-url postgresql://...]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import resource
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import fresh_database

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"small": (300, 600, 100, 5), "default": (2_000, 3_000, 200, 10), "large": (10_000, 10_000, 500, 20)}
MONDAY = datetime(2030, 3, 4, tzinfo=timezone.utc)
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "UTC")
SECRET = "bench-webhook-secret-0123456789"


class _Receiver(ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True


def _serve(port_out) -> None:
    """A webhook receiver answering 204 and noting (Idempotency-Key, arrival time); GET returns the notes."""
    arrivals: list[tuple[str, float]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrivals.append((self.headers.get("Idempotency-Key", ""), time.time()))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            body = json.dumps(arrivals).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = _Receiver(("127.0.0.1", 0), Handler)
    port_out.send(server.server_address[1])
    server.serve_forever()


class Receiver:
    """The receiver in its own process, so it does not share the dispatcher's interpreter lock."""

    def __init__(self) -> None:
        parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        self.port = parent.recv()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def arrivals(self) -> list[tuple[str, float]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/arrivals")
        notes = json.loads(conn.getresponse().read())
        conn.close()
        return [tuple(note) for note in notes]

    def close(self) -> None:
        self.process.terminate()
        self.process.join(10)


def _app(database_url: str, instance: str):
    from api import create_app
    from api.config import Config
    from wellbeing.core.crypto import generate_key

    env = {"DATABASE_URL": database_url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench-" + "x" * 40,
           "DATA_KEYS": generate_key("bench"), "ALLOW_PRIVATE_WEBHOOKS": "1", "PASSWORD_HASH_COST": "low"}
    app = create_app(Config(env))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def _agents(session, count: int) -> list[str]:
    from wellbeing.models import Organization, User

    org = Organization(name="Bench", timezone="UTC", created_at=MONDAY)
    session.add(org)
    session.flush()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    session.execute(insert(User), [{
        "id": i, "org_id": org.id, "email": f"agent-{i}@bench.example", "name": f"Agent {n}", "role": "agent",
        "password_hash": "-", "timezone": ZONES[n % len(ZONES)], "locale": "en", "created_at": MONDAY,
        "work_hours": {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}} for n, i in enumerate(ids)])
    session.commit()
    return ids


def _row(scenario, metric, value, unit, baseline=None, baseline_value=None, target=None, met=None) -> dict:
    ratio = round(value / baseline_value, 3) if baseline_value else None
    return {"scenario": scenario, "metric": metric, "value": round(value, 3), "unit": unit, "baseline": baseline,
            "baseline_value": None if baseline_value is None else round(baseline_value, 3), "ratio": ratio,
            "target": target, "met": met}


def bench_plan(app, agents: int) -> list[dict]:
    from wellbeing.core.db import db
    from wellbeing.models import Prompt, User
    from wellbeing.prompts.schedule import default_prompt_settings, plan_prompts
    from wellbeing.prompts.planner import HORIZON, schedule_of, top_up_plans

    with app.app_context():
        _agents(db.session, agents)
        # Measured first, so the peak memory is not hidden by the baseline's lists of every plan
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        began = time.perf_counter()
        counts = top_up_plans(db.session, MONDAY)
        seconds = time.perf_counter() - began
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
        stored = db.session.scalar(select(func.count()).select_from(Prompt))
        users = db.session.scalars(select(User)).all()
        began = time.perf_counter()
        pure_rows = sum(len(plan_prompts(schedule_of(u, default_prompt_settings()), MONDAY, MONDAY + HORIZON))
                        for u in users)
        pure = time.perf_counter() - began
        db.session.remove()
    per_agent_ms = seconds * 1000 / agents
    # A full day for 100k agents is half of a 48 h horizon per agent
    day_100k = per_agent_ms * 100_000 / 1000 / 2
    return [
        _row(f"plan 48 h, {agents} agents", "time", seconds, "s", "pure planner, no database", pure),
        _row(f"plan 48 h, {agents} agents", "per agent", per_agent_ms, "ms"),
        _row(f"plan 48 h, {agents} agents", "rows stored", stored, "rows", "pure planner rows", pure_rows,
             "equal", stored == pure_rows == counts["planned"]),
        _row(f"plan 48 h, {agents} agents", "peak RSS growth", rss_growth, "MiB"),
        _row("plan one day, 100k agents (" + ("half the 48 h fill measured above)" if agents == 100_000 else
                                             f"extrapolated from {agents})"),
             "time", day_100k, "s", target="< 60 s", met=day_100k < 60),
    ]


def _seed_due(app, agent_ids: list[str], count: int, due: list[datetime], url: str | None) -> list[str]:
    """`count` prompts due at `due`, one per agent; with a url, each of those agents gets a webhook device."""
    from api.core.keyring import keyring
    from wellbeing.core.db import db
    from wellbeing.models import Device, Prompt
    from wellbeing.prompts.devices import secret_aad

    with app.app_context():
        ring = keyring()
        owners = agent_ids[:count]
        devices = []
        for owner in owners:
            device_id = str(uuid.uuid4())
            devices.append({"id": device_id, "user_id": owner, "channel": "webhook", "url": url,
                            "secret_ciphertext": ring.encrypt(SECRET, secret_aad(device_id)), "created_at": MONDAY,
                            "permanent_failures": 0})
        if url is not None:
            db.session.execute(insert(Device), devices)
        ids = [str(uuid.uuid4()) for _ in range(count)]
        db.session.execute(insert(Prompt), [{
            "id": ids[n], "user_id": owners[n], "kind": "break", "exercise_id": "micro_break", "source": "schedule",
            "status": "scheduled", "due_at": due[n], "valid_until": due[n] + timedelta(minutes=15),
            "next_attempt_at": due[n], "attempts": 0, "created_at": MONDAY} for n in range(count)])
        db.session.commit()
        db.session.remove()
    return ids


def _dispatch_child(app, now: datetime, out) -> None:
    from api.core.keyring import keyring
    from wellbeing.core.db import db
    from wellbeing.prompts.dispatch import Channel, dispatch_due

    with app.app_context():
        db.engine.dispose(close=False)  # the parent's pooled connections are not this process's
        out.send(dispatch_due(db.session, now, Channel(keyring(), allow_private=True), max_batches=10_000))


def _dispatch(app, now: datetime, processes: int) -> tuple[float, int]:
    """Run `processes` dispatcher processes at once over the due prompts; (seconds, prompts sent)."""
    context = multiprocessing.get_context("fork")
    pipes = [context.Pipe() for _ in range(processes)]
    children = [context.Process(target=_dispatch_child, args=(app, now, child)) for _, child in pipes]
    began = time.perf_counter()
    for child in children:
        child.start()
    sent = sum(parent.recv()["sent"] for parent, _ in pipes)
    seconds = time.perf_counter() - began
    for child in children:
        child.join(30)
    return seconds, sent


def bench_dispatch(app, agent_ids: list[str], count: int) -> list[dict]:
    receiver = Receiver()
    now = datetime.now(timezone.utc)
    _seed_due(app, agent_ids, count, [now - timedelta(seconds=1)] * count, receiver.url)
    one, sent_one = _dispatch(app, now, 1)
    _seed_due(app, agent_ids, count, [now - timedelta(seconds=2)] * count, None)
    two, sent_two = _dispatch(app, now, 2)
    arrivals = receiver.arrivals()
    delivered, received = len({key for key, _ in arrivals}), len(arrivals)
    body = json.dumps({"id": "x", "kind": "break"}).encode()
    began = time.perf_counter()
    for n in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
        conn.request("POST", "/hook", body=body, headers={"Content-Type": "application/json", "Idempotency-Key": str(n)})
        conn.getresponse().read()
        conn.close()
    bare_rate = count / (time.perf_counter() - began)
    receiver.close()
    rows = []
    for processes, seconds, sent in ((1, one, sent_one), (2, two, sent_two)):
        rate = sent / seconds
        rows.append(_row(f"dispatch {count} due prompts, {processes} dispatcher process(es)", "throughput", rate,
                         "prompts/s", "bare POST loop", bare_rate, "> 1000/s", rate > 1000))
    rows.append(_row(f"dispatch 2 x {count} due prompts", "delivered once", delivered, "prompts", "due", 2 * count,
                     "all, once", delivered == 2 * count == received))
    return rows


def bench_lateness(app, agent_ids: list[str], rate: int, seconds: int) -> list[dict]:
    """Prompts fall due at `rate` per second; a dispatcher runs like the scheduler's job (every second)."""
    from api.core.keyring import keyring
    from wellbeing.core.db import db
    from wellbeing.prompts.dispatch import Channel, dispatch_due

    receiver = Receiver()
    url = receiver.url
    count = rate * seconds
    start = datetime.now(timezone.utc) + timedelta(seconds=2)
    due = [start + timedelta(seconds=n / rate) for n in range(count)]
    ids = _seed_due(app, agent_ids[-count:], count, due, url)
    due_of = dict(zip(ids, due))
    end = time.time() + seconds + 8
    with app.app_context():
        channel = Channel(keyring(), allow_private=True)
        sent = 0
        while time.time() < end and sent < count:
            tick = time.time()
            sent += dispatch_due(db.session, datetime.now(timezone.utc), channel)["sent"]
            time.sleep(max(0.0, 1.0 - (time.time() - tick)))
        db.session.remove()
    arrivals = receiver.arrivals()
    receiver.close()
    lateness = sorted(at - due_of[key].timestamp() for key, at in arrivals if key in due_of)

    def pct(p: float) -> float:
        return lateness[min(len(lateness) - 1, int(p / 100 * len(lateness)))] if lateness else float("nan")

    return [_row(f"lateness at {rate}/s for {seconds} s", "p50", pct(50), "s"),
            _row(f"lateness at {rate}/s for {seconds} s", "p99", pct(99), "s", target="< 3 s", met=pct(99) < 3),
            _row(f"lateness at {rate}/s for {seconds} s", "delivered", len(lateness), "prompts", "due", count)]


def run(database_url: str, size: str = "default") -> list[dict]:
    """Every scenario on a fresh database at `database_url` (a server URL for PostgreSQL, or sqlite)."""
    agents, dispatched, rate, seconds = SIZES[size]
    with fresh_database(database_url) as url, tempfile.TemporaryDirectory() as instance:
        app = _app(url, instance)
        rows = bench_plan(app, agents)
        from wellbeing.core.db import db
        from wellbeing.models import User

        with app.app_context():
            agent_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
            db.session.remove()
        extra = max(0, dispatched + rate * seconds - len(agent_ids))
        if extra:
            with app.app_context():
                agent_ids += _agents(db.session, extra)
                db.session.remove()
        rows += bench_dispatch(app, agent_ids, dispatched)
        rows += bench_lateness(app, agent_ids[dispatched:], rate, seconds)
        with app.app_context():
            db.engine.dispose()
    return rows


def run_plans(database_url: str, counts: list[int]) -> list[dict]:
    """The planning scenario alone at each agent count, each on a fresh database (measured, not extrapolated)."""
    rows = []
    for agents in counts:
        with fresh_database(database_url) as url, tempfile.TemporaryDirectory() as instance:
            app = _app(url, instance)
            rows += bench_plan(app, agents)
            from wellbeing.core.db import db

            with app.app_context():
                db.engine.dispose()
    return rows


def _print(rows: list[dict]) -> None:
    header = ("scenario", "metric", "value", "unit", "baseline", "ratio", "target", "met")
    lines = [header] + [tuple("" if r[k] is None else str(r[k] if k != "baseline" else
                                                          f"{r['baseline']} = {r['baseline_value']}")
                              for k in header) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "sqlite://"))
    parser.add_argument("--plan-agents", type=int, nargs="+", metavar="N",
                        help="only the planning scenario, measured at each of these agent counts (e.g. 10000 100000)")
    args = parser.parse_args()
    results = run_plans(args.database_url, args.plan_agents) if args.plan_agents else run(args.database_url, args.size)
    _print(results)
    out = ROOT / "bench" / "results" / f"prompts-{date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "prompts", "date": date.today().isoformat(), "size": args.size,
                               "database": args.database_url.split("://")[0], "machine": {
                                   "python": platform.python_version(), "cpus": os.cpu_count()},
                               "rows": results}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
