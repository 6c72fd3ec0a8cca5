"""The release benchmark's scenarios on one database (SQLite or PostgreSQL); `python -m bench` runs them on both.

Every scenario is measured against a baseline taken in the same run on the same machine:
(a) a bare Flask JSON endpoint under the same gunicorn settings, and (b) the database's own limit, the raw driver
(sqlite3 / psycopg) inserting a diary-sized row and committing, at the same concurrency, and a raw multi-row insert
for batch ingest. The rows' `ratio` is value / baseline.
"""
from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench import loadgen
from bench.common import RESULTS, Server, fresh_database, percentile, row, serve
from bench.diary import EMOTIONS, PASSWORD, TRIGGERS, _entry, _timed, _token, _year_of_entries

SIZES = {
    "small": {"peak_seconds": 4, "paced_seconds": 8, "batches": 4, "insight_calls": 100, "mixed_seconds": 20,
              "agents": 20, "growth": (10_000, 100_000, 1_000_000), "growth_calls": 60, "growth_seconds": 3},
    "default": {"peak_seconds": 8, "paced_seconds": 15, "batches": 10, "insight_calls": 300, "mixed_seconds": 120,
                "agents": 40, "growth": (10_000, 100_000, 1_000_000), "growth_calls": 150, "growth_seconds": 5},
    "large": {"peak_seconds": 15, "paced_seconds": 30, "batches": 20, "insight_calls": 1000, "mixed_seconds": 600,
              "agents": 100, "growth": (100_000, 1_000_000, 10_000_000), "growth_calls": 300, "growth_seconds": 8},
}
CONNECTIONS = 8  # closed-loop concurrency: the server's 2 workers x 4 threads, and the raw driver's thread count
MIX = (("diary", 0.55), ("ack", 0.30), ("insights", 0.10), ("assessment", 0.05))
JSON = {"Content-Type": "application/json"}
NOTE = "Long queue, two complaints."
# wrk's body for POST /diary: "@ID@" becomes a fresh UUID per request (the entry is stored, tags and note too).
DIARY_TEMPLATE = json.dumps({"id": loadgen.ID_PLACEHOLDER, "occurred_at": "@WHEN@", "emotion": "frustrated",
                             "intensity": 7, "triggers": ["customer_complaint", "long_call"], "stress": 6,
                             "note": NOTE, "after_call": True})


@dataclass
class Context:
    """One database's run: its URL, the app's environment, the people in it and the server under test."""

    label: str
    url: str
    env: dict[str, str]
    size: str
    settings: dict
    people: dict = field(default_factory=dict)
    server: Server | None = None
    peaks: dict = field(default_factory=dict)
    profile: bool = False
    notes: list[str] = field(default_factory=list)

    def scenario(self, name: str) -> str:
        return f"{name} ({self.label})"


# ---------------------------------------------------------------------------------------------------- the data


def prepare(ctx: Context) -> None:
    """Migrate; an organization with a writer, a batch writer, a reader with a year of entries (~3,000), and phone
    agents each holding sent prompts to acknowledge."""
    os.environ.update(ctx.env)
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from api import create_app
    from api.keyring import keyring
    from wellbeing import organizations, passwords
    from wellbeing.db import db
    from wellbeing.models import Prompt, User

    app = create_app()
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
        now = datetime.now(timezone.utc)
        org = organizations.bootstrap(db.session, "Bench", "admin@bench.test", PASSWORD, "Asia/Shanghai", now)
        hashed = passwords.hash_password(PASSWORD)
        agents = ["writer", "batcher", "reader", "other"] + [f"phone{n}" for n in range(ctx.settings["agents"])]
        users = []
        for key in agents:
            users.append({"id": str(uuid.uuid4()), "org_id": org.id, "email": f"{key}@bench.test", "name": key,
                          "role": "agent", "password_hash": hashed, "timezone": "America/New_York",
                          "created_at": now})
        db.session.execute(insert(User), users)
        db.session.commit()
        ctx.people = {u["name"]: u["id"] for u in users}
        ctx.people["history"] = _year_of_entries(db.session, ctx.people["reader"], now, keyring())
        # Enough sent prompts for the mixed workload's acknowledgements (each is acknowledged once).
        per_agent = int(_mixed_rate_guess(ctx) * (ctx.settings["mixed_seconds"] + 10) * 0.30 * 2
                        / ctx.settings["agents"]) + 20
        prompts = []
        for n in range(ctx.settings["agents"]):
            for k in range(per_agent):
                due = now - timedelta(minutes=1 + k)
                prompts.append({"id": str(uuid.uuid4()), "user_id": ctx.people[f"phone{n}"], "kind": "breathing",
                                "exercise_id": "box-breathing", "source": "schedule", "status": "sent",
                                "due_at": due, "valid_until": now + timedelta(hours=12), "next_attempt_at": due,
                                "attempts": 1, "created_at": due, "sent_at": due})
        for start in range(0, len(prompts), 5_000):
            db.session.execute(insert(Prompt), prompts[start:start + 5_000])
        db.session.commit()
        ctx.people["prompts"] = {}
        for p in prompts:
            ctx.people["prompts"].setdefault(p["user_id"], []).append(p["id"])
        db.session.remove()
        db.engine.dispose()


def _mixed_rate_guess(ctx: Context) -> float:
    """An upper bound of the mixed workload's rate, to seed enough prompts before the peak is known."""
    return 400.0


# --------------------------------------------------------------------------------------- baseline (b): the raw driver


def _raw_connect(url: str):
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1], isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            conn.execute(f"PRAGMA {pragma}")
        return conn
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def _raw_entry(user_id: str, sqlite: bool, rng: random.Random) -> tuple:
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    entry_id = str(uuid.uuid4())
    emotion = rng.choice(EMOTIONS)
    # A note's ciphertext is ~4/3 of (nonce + plaintext + tag) in base64 plus a key id: about 90 characters.
    note = "v1:bench:" + uuid.uuid4().hex * 2 + uuid.uuid4().hex[:16] if rng.random() < 0.5 else None
    return (entry_id, user_id, stamp, emotion, "negative", rng.randint(1, 10), rng.randint(0, 10), True, note, stamp,
            1, stamp, stamp, uuid.uuid4().hex + uuid.uuid4().hex)


ENTRY_COLUMNS = ("id, user_id, occurred_at, emotion, valence, intensity, stress, after_call, note_ciphertext, "
                 "client_updated_at, revision, created_at, updated_at, request_fingerprint")


def raw_single_inserts(url: str, user_id: str, seconds: float, threads: int = CONNECTIONS) -> tuple[float, list[float]]:
    """Insert+commit one diary-sized row at a time from `threads` connections; returns rows/s and latencies (ms)."""
    sqlite = url.startswith("sqlite")
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO diary_entries ({ENTRY_COLUMNS}) VALUES ({', '.join([mark] * 14)})"
    counts, latencies, lock = [0], [], threading.Lock()
    start_at = time.monotonic() + 0.5
    stop_at = start_at + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = _raw_connect(url)
        mine, n = [], 0
        while (began := time.monotonic()) < stop_at:
            values = _raw_entry(user_id, sqlite, rng)
            if sqlite:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(sql, values)
                conn.execute("COMMIT")
            else:
                conn.execute(sql, values)
                conn.commit()
            if began >= start_at:
                mine.append((time.monotonic() - began) * 1000)
                n += 1
        conn.close()
        with lock:
            counts[0] += n
            latencies.extend(mine)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return counts[0] / seconds, latencies


def raw_multirow_inserts(url: str, user_id: str, batches: int, per_batch: int = 500) -> float:
    """Multi-row INSERTs of `per_batch` entries plus their tags (one of each per entry on average), one commit
    per batch, as batch ingest stores them; returns entries/s."""
    sqlite = url.startswith("sqlite")
    mark = "?" if sqlite else "%s"
    rng = random.Random(11)
    conn = _raw_connect(url)
    entry_values = "(" + ", ".join([mark] * 14) + ")"
    began = time.monotonic()
    for _ in range(batches):
        entries = [_raw_entry(user_id, sqlite, rng) for _ in range(per_batch)]
        tags = [(e[0], "triggers", key, n) for e in entries
                for n, key in enumerate(rng.sample(TRIGGERS, k=rng.randint(0, 2)))]
        entry_sql = f"INSERT INTO diary_entries ({ENTRY_COLUMNS}) VALUES " + ", ".join([entry_values] * len(entries))
        tag_sql = "INSERT INTO diary_tags (entry_id, kind, key, position) VALUES " + ", ".join(
            [f"({mark}, {mark}, {mark}, {mark})"] * len(tags))
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
        conn.execute(entry_sql, [v for e in entries for v in e])
        if tags:
            conn.execute(tag_sql, [v for t in tags for v in t])
        if sqlite:
            conn.execute("COMMIT")
        else:
            conn.commit()
    elapsed = time.monotonic() - began
    conn.close()
    return batches * per_batch / elapsed


# ------------------------------------------------------------------------------------------------------ scenarios


def _auth(ctx: Context, who: str) -> dict[str, str]:
    return JSON | {"Authorization": f"Bearer {_token(ctx.server.address, f'{who}@bench.test')}"}


def _diary_template() -> str:
    return DIARY_TEMPLATE.replace("@WHEN@", (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat())


def bench_single_post(ctx: Context) -> list[dict]:
    """Single diary POST: peak vs (a) bare Flask and (b) raw insert+commit; p99 at 70% of peak, open loop."""
    s = ctx.settings
    with serve("bench.baseline_app:app", ctx.env) as bare:
        base = loadgen.peak(bare.address, "/echo", _diary_template(), {}, CONNECTIONS, s["peak_seconds"])
    raw_rate, raw_latencies = raw_single_inserts(ctx.url, ctx.people["other"], s["peak_seconds"])
    auth = _auth(ctx, "writer")
    headers = {"Authorization": auth["Authorization"]}
    single = loadgen.peak(ctx.server.address, "/api/v1/diary", _diary_template(), headers, CONNECTIONS,
                          s["peak_seconds"])
    if single.error_kinds:
        ctx.notes.append(f"{ctx.scenario('POST /diary')} peak: errors {single.error_kinds}")
    if ctx.profile:  # its own run: py-spy takes CPU from the 2 cores, so it must not touch the measured peak
        profiler = _start_profile(ctx, s["peak_seconds"] + 1)
        if profiler:
            loadgen.peak(ctx.server.address, "/api/v1/diary", _diary_template(), headers, CONNECTIONS,
                         s["peak_seconds"] + 1, warmup=0)
            _finish_profile(ctx, profiler)
    ctx.peaks["single"] = single.rate
    rate = 0.7 * single.rate
    paced = loadgen.paced(ctx.server.address, _DiaryRequests(auth, _diary_template()), rate, s["paced_seconds"])
    name = ctx.scenario("POST /diary")
    errors = single.errors + paced.errors
    if paced.error_samples:
        ctx.notes.append(f"{name} at 70% of peak: errors {dict(paced.error_samples)}")
    return [
        row(name, f"peak throughput ({single.tool}, {CONNECTIONS} conns)", single.rate, "req/s",
            f"(a) bare Flask POST /echo", base.rate, ">= 25% of (a)", single.rate >= 0.25 * base.rate),
        row(name, "peak throughput vs raw insert", single.rate, "req/s",
            f"(b) raw {_driver(ctx)} insert+commit, {CONNECTIONS} threads", raw_rate, ">= 60% of (b)",
            single.rate >= 0.6 * raw_rate),
        row(name, "p50 latency at peak", single.p50_ms, "ms", "(b) raw insert p50", percentile(raw_latencies, 50)),
        row(name, f"p99 at 70% of peak ({rate:.0f} req/s, open loop)", paced.p(99), "ms",
            "(a) bare Flask p99 at its peak", base.p99_ms, "< 50 ms", paced.p(99) < 50),
        row(name, "errors (peak + paced)", errors, "requests", target="0", met=errors == 0),
    ]


class _DiaryRequests:
    def __init__(self, auth: dict[str, str], template: str):
        self.auth, self.template = auth, template

    def __call__(self, n: int) -> loadgen.Request:
        body = self.template.replace(loadgen.ID_PLACEHOLDER, str(uuid.uuid4())).encode()
        return "diary", "POST", "/api/v1/diary", body, self.auth, (201,)


def _driver(ctx: Context) -> str:
    return "sqlite3" if ctx.label == "sqlite" else "psycopg"


def bench_batch(ctx: Context) -> list[dict]:
    """Batch ingest (500 entries a request) vs a raw multi-row insert of the same entries and tags."""
    s = ctx.settings
    auth = _auth(ctx, "batcher")
    now = datetime.now(timezone.utc)
    random.seed(3)
    bodies = [json.dumps({"entries": [_entry(now) for _ in range(500)]}).encode() for _ in range(s["batches"] + 1)]
    it = iter(bodies)
    _timed(ctx.server.address, "POST", "/api/v1/diary/batch", auth, 1, lambda: next(it))  # warm-up
    began = time.monotonic()
    latencies = _timed(ctx.server.address, "POST", "/api/v1/diary/batch", auth, s["batches"], lambda: next(it))
    rate = 500 * s["batches"] / (time.monotonic() - began)
    raw = raw_multirow_inserts(ctx.url, ctx.people["other"], s["batches"])
    name = ctx.scenario("POST /diary/batch x500")
    return [row(name, "ingest", rate, "entries/s", f"raw {_driver(ctx)} multi-row insert x500 (+tags)", raw,
                ">= 30% of raw", rate >= 0.3 * raw),
            row(name, "p50 latency per request", percentile(latencies, 50), "ms")]


def bench_insights(ctx: Context) -> list[dict]:
    """GET /diary/insights?days=365 for the agent with a year of entries."""
    auth = _auth(ctx, "reader")
    path = "/api/v1/diary/insights?days=365"
    _timed(ctx.server.address, "GET", path, auth, 10)
    latencies = _timed(ctx.server.address, "GET", path, auth, ctx.settings["insight_calls"])
    name = ctx.scenario(f"GET /diary/insights?days=365, {ctx.people['history']} entries")
    return [row(name, "p50 latency", percentile(latencies, 50), "ms"),
            row(name, "p99 latency", percentile(latencies, 99), "ms", target="< 50 ms",
                met=percentile(latencies, 99) < 50)]


class _MixedRequests:
    """A phone's traffic: mostly diary posts and prompt acknowledgements, some insights and assessments."""

    def __init__(self, ctx: Context, tokens: dict[str, str]):
        self.tokens = tokens
        self.prompts = {user: list(ids) for user, ids in ctx.people["prompts"].items()}
        self.users = sorted(tokens)
        self.template = _diary_template()
        self.rng = random.Random(7)
        self.lock = threading.Lock()

    def __call__(self, n: int) -> loadgen.Request:
        with self.lock:
            user = self.users[n % len(self.users)]
            roll = self.rng.random()
            prompt = self.prompts[user].pop() if roll >= MIX[0][1] and roll < MIX[0][1] + MIX[1][1] else None
        auth = JSON | {"Authorization": f"Bearer {self.tokens[user]}"}
        if roll < MIX[0][1]:
            body = self.template.replace(loadgen.ID_PLACEHOLDER, str(uuid.uuid4())).encode()
            return "diary", "POST", "/api/v1/diary", body, auth, (201,)
        if prompt:
            return "ack", "POST", f"/api/v1/me/prompts/{prompt}/ack", b"", auth, (200,)
        if roll < MIX[0][1] + MIX[1][1] + MIX[2][1]:
            return "insights", "GET", "/api/v1/diary/insights?days=30", None, auth, (200,)
        body = json.dumps({"id": str(uuid.uuid4()), "instrument": "burnout1", "answers": {"1": n % 5 + 1}}).encode()
        return "assessment", "POST", "/api/v1/assessments", body, auth, (201,)


def bench_mixed(ctx: Context) -> list[dict]:
    """The phone mix: its closed-loop peak, then 70% of it, open loop, for the size's duration; errors, p99 and
    the API workers' memory growth (VmRSS from /proc after warm-up vs at the end)."""
    s = ctx.settings
    phones = [f"phone{n}" for n in range(s["agents"])]
    tokens = {ctx.people[p]: _token(ctx.server.address, f"{p}@bench.test") for p in phones}
    probe = loadgen.paced(ctx.server.address, _MixedRequests(ctx, tokens), None, s["peak_seconds"],
                          connections=CONNECTIONS)
    # The probe acknowledged some prompts: the paced run starts from the ones left.
    mix = _MixedRequests(ctx, tokens)
    used = probe.sent + 64
    for user in mix.users:
        del mix.prompts[user][-(used // len(mix.users) + 4):]
    rate = 0.7 * probe.rate
    paced = loadgen.paced(ctx.server.address, mix, rate, s["mixed_seconds"], warmup=3.0, connections=48,
                          sample_rss=ctx.server.worker_rss_kib, rss_every=5.0)
    first, last = paced.rss_kib[0][1], paced.rss_kib[-1][1]
    growth = max(((last[pid] - first[pid]) / first[pid] * 100 for pid in first if pid in last), default=float("nan"))
    name = ctx.scenario(f"mixed phone workload, {s['mixed_seconds']} s at {rate:.0f} req/s (70% of peak)")
    errors = paced.errors
    if paced.error_samples:
        ctx.notes.append(f"{name}: errors {dict(paced.error_samples)}")
    rows = [row(name, "peak throughput of the mix (closed loop)", probe.rate, "req/s",
                "single POST /diary peak", ctx.peaks.get("single")),
            row(name, "errors", errors, "requests", target="0", met=errors == 0),
            row(name, "p99 latency, all requests", paced.p(99), "ms", target="< 100 ms", met=paced.p(99) < 100)]
    rows += [row(name, f"p99 latency, {kind}", paced.p(99, kind), "ms") for kind, _ in MIX
             if paced.latencies_ms.get(kind)]
    rows.append(row(name, "API worker RSS growth (max over workers)", growth, "%",
                    "RSS after warm-up, MiB", max(first.values()) / 1024, "< 10%", growth < 10))
    return rows


def bench_growth(ctx: Context) -> list[dict]:
    """Ingest and insights latency as the diary table grows with other agents' rows (PostgreSQL only)."""
    if ctx.label != "postgresql":
        return []
    s = ctx.settings
    auth = _auth(ctx, "reader")
    writer = {"Authorization": _auth(ctx, "writer")["Authorization"]}
    path = "/api/v1/diary/insights?days=365"
    rows, first = [], None
    loaded = _count_entries(ctx.url)
    for total in s["growth"]:
        if total > loaded:
            _bulk_load(ctx.url, total - loaded)
            loaded = _count_entries(ctx.url)
        _timed(ctx.server.address, "GET", path, auth, 10)
        latencies = _timed(ctx.server.address, "GET", path, auth, s["growth_calls"])
        ingest = loadgen.peak(ctx.server.address, "/api/v1/diary", _diary_template(), writer, CONNECTIONS,
                              s["growth_seconds"])
        loaded = _count_entries(ctx.url)
        p99 = percentile(latencies, 99)
        first = first or (p99, ingest.rate)
        name = ctx.scenario(f"growth, {total:.0e} diary rows".replace("e+0", "e"))
        rows += [row(name, "insights p99, one agent's year", p99, "ms", "at the smallest size", first[0],
                     "flat (< 2x)", p99 < 2 * first[0]),
                 row(name, "single POST /diary peak", ingest.rate, "req/s", "at the smallest size", first[1],
                     "flat (> 0.5x)", ingest.rate > 0.5 * first[1])]
    return rows


def _count_entries(url: str) -> int:
    conn = _raw_connect(url)
    try:
        return conn.execute("SELECT count(*) FROM diary_entries").fetchone()[0]
    finally:
        conn.close()


def _bulk_load(url: str, count: int, agents: int = 2_000) -> None:
    """COPY `count` entries (and a trigger tag each) for `agents` other agents of the same organization."""
    conn = _raw_connect(url)
    with conn.cursor() as cur:
        have = cur.execute("SELECT id FROM users WHERE email LIKE 'load%%'").fetchall()
        if not have:  # copies of the 'other' agent, every column but the identity
            columns = [r[0] for r in cur.execute("SELECT column_name FROM information_schema.columns "
                                                 "WHERE table_name = 'users' ORDER BY ordinal_position")]
            values = {"id": "gen_random_uuid()::text", "email": "'load' || n || '@bench.test'", "name": "'load' || n"}
            cur.execute(f"INSERT INTO users ({', '.join(columns)}) SELECT "
                        + ", ".join(values.get(c, c) for c in columns)
                        + f" FROM users, generate_series(1, {agents}) AS n WHERE email = 'other@bench.test'")
            have = cur.execute("SELECT id FROM users WHERE email LIKE 'load%%'").fetchall()
        users = [r[0] for r in have]
        now = datetime.now(timezone.utc)
        rng = random.Random(count)
        with cur.copy(f"COPY diary_entries ({ENTRY_COLUMNS}) FROM STDIN") as entries:
            ids = []
            for n in range(count):
                entry_id = str(uuid.uuid4())
                ids.append(entry_id)
                occurred = now - timedelta(seconds=rng.randint(60, 2 * 365 * 86_400))
                entries.write_row((entry_id, users[n % len(users)], occurred, rng.choice(EMOTIONS), "neutral",
                                   rng.randint(1, 10), rng.randint(0, 10), False, None, occurred, 1, occurred,
                                   occurred, None))
        with cur.copy("COPY diary_tags (entry_id, kind, key, position) FROM STDIN") as tags:
            for entry_id in ids:
                tags.write_row((entry_id, "triggers", rng.choice(TRIGGERS), 0))
        conn.commit()
        cur.execute("ANALYZE diary_entries")
        cur.execute("ANALYZE diary_tags")
        conn.commit()
    conn.close()


# ------------------------------------------------------------------------------------------------------- profile


def _start_profile(ctx: Context, seconds: float):
    """py-spy on the gunicorn workers during the single-POST peak: one SVG flame graph, one raw (collapsed) file
    for the top frames. Returns None (and a note) when py-spy is missing or cannot attach."""
    import shutil
    import sys

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        ctx.notes.append("profile: py-spy is not installed (pip install -r requirements-dev.txt)")
        return None
    workers = ctx.server.worker_pids()
    stamp = datetime.now().strftime("%Y-%m-%d")
    svg = RESULTS / f"profile-{ctx.label}-{stamp}.svg"
    raw = RESULTS / f"profile-{ctx.label}-{stamp}.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    duration = str(max(2, round(seconds)))
    # Two workers share the load; one is recorded as a flame graph and the other as collapsed stacks.
    processes = [subprocess.Popen([spy, "record", "--pid", str(workers[0]), "--duration", duration, "--rate", "250",
                                   "--nonblocking", "--format", "flamegraph", "--output", str(svg)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
                 subprocess.Popen([spy, "record", "--pid", str(workers[-1]), "--duration", duration, "--rate", "250",
                                   "--nonblocking", "--format", "raw", "--output", str(raw)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)]
    return processes, svg, raw


def _finish_profile(ctx: Context, profiler) -> None:
    processes, svg, raw = profiler
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    if not raw.exists() or not svg.exists():
        ctx.notes.append("profile: py-spy could not attach (ptrace?): " + " | ".join(o.strip()[-300:] for o in outputs))
        return
    ctx.notes.append(f"profile: flame graph {svg.relative_to(RESULTS.parent.parent)}")
    ctx.profile_top = top_frames(raw.read_text())


def top_frames(collapsed: str, limit: int = 15) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's collapsed stacks: the functions with the most samples on the stack (inclusive) and at the
    top of it (self), as shares of the busy samples (idle threads waiting for work are left out)."""
    inclusive: dict[str, int] = {}
    self_time: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if any(idle in frames[-1] for idle in ("wait (threading", "select (selectors", "_worker (concurrent",
                                               "accept (socket", "poll (selectors", "sleep (")):
            continue
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        self_time[frames[-1]] = self_time.get(frames[-1], 0) + n
    share = lambda table: [(f, round(100 * c / total, 1)) for f, c in  # noqa: E731
                           sorted(table.items(), key=lambda kv: -kv[1])[:limit]] if total else []
    project = {f: c for f, c in inclusive.items() if "(api/" in f or "(wellbeing/" in f}
    return {"samples": [("busy samples", total)], "inclusive": share(inclusive), "self": share(self_time),
            "project": share(project)}


# ------------------------------------------------------------------------------------------------------- the run

SCENARIOS = {"single": bench_single_post, "batch": bench_batch, "insights": bench_insights, "mixed": bench_mixed,
             "growth": bench_growth}


def run(database_url: str | None, size: str = "default", only: set[str] | None = None, profile: bool = False,
        notes: list[str] | None = None, profiles: dict | None = None) -> list[dict]:
    """The harness's own scenarios on a throwaway database on `database_url` (a PostgreSQL server) or SQLite."""
    from wellbeing.crypto import generate_key

    label = "postgresql" if database_url and database_url.startswith("postgresql") else "sqlite"
    chosen = [name for name in SCENARIOS if not only or name in only]
    if not chosen:
        return []
    rows: list[dict] = []
    with fresh_database(database_url) as url:
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
               "DATA_KEYS": generate_key("bench"), "PASSWORD_HASH_COST": "low", "RATELIMIT_DISABLED": "1",
               "INSTANCE_PATH": f"/tmp/wellbeing-bench-{label}"}
        ctx = Context(label, url, env, size, SIZES[size], profile=profile)
        prepare(ctx)
        with serve("wsgi:app", env) as server:
            ctx.server = server
            for name in chosen:
                began = time.monotonic()
                rows += SCENARIOS[name](ctx)
                print(f"  {label} {name}: {time.monotonic() - began:.0f} s", flush=True)
    if notes is not None:
        notes += ctx.notes
    if profiles is not None and getattr(ctx, "profile_top", None):
        profiles[label] = ctx.profile_top
    return rows

