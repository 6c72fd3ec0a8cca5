"""Baseline (b), the database's own limit: the raw driver (sqlite3 / psycopg) inserting diary rows, one per commit
from many threads and 500 per multi-row INSERT; and the bulk load (COPY) of other agents' rows for the growth runs."""
from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

from bench.diary import EMOTIONS, TRIGGERS


def connect(url: str):
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


def raw_single_inserts(url: str, user_id: str, seconds: float, threads: int = 8) -> tuple[float, list[float]]:
    """Insert+commit one diary-sized row at a time from `threads` connections; returns rows/s and latencies (ms)."""
    sqlite = url.startswith("sqlite")
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO diary_entries ({ENTRY_COLUMNS}) VALUES ({', '.join([mark] * 14)})"
    counts, latencies, lock = [0], [], threading.Lock()
    start_at = time.monotonic() + 0.5
    stop_at = start_at + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = connect(url)
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
    conn = connect(url)
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



def count_entries(url: str) -> int:
    conn = connect(url)
    try:
        return conn.execute("SELECT count(*) FROM diary_entries").fetchone()[0]
    finally:
        conn.close()


def bulk_load(url: str, count: int, agents: int = 2_000) -> None:
    """COPY `count` entries (and a trigger tag each) for `agents` other agents of the same organization."""
    conn = connect(url)
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
    # As autovacuum would after a bulk load: statistics, and a visibility map for index-only scans.
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE diary_entries")
    conn.execute("VACUUM ANALYZE diary_tags")
    conn.close()


# The shapes of the insights' queries (wellbeing/diary/insights.py, rollup.day_range_sums and partial_day_sums): the
# grouped read of the daily roll-up over the window's whole days (uncached), and the raw entries (with tags) near
# the window's two ends.
INSIGHT_QUERIES = (
    "SELECT dimension, key, CASE WHEN dimension = 'day' THEN day END AS d, sum(entries), sum(negatives), "
    "sum(intensity_sum), sum(signed_sum), sum(stress_sum), sum(stress_count) FROM diary_rollups "
    "WHERE user_id = %(user)s AND day >= (EXTRACT(EPOCH FROM %(since)s::timestamptz) / 86400)::int "
    "GROUP BY dimension, key, d",
    "SELECT e.id, e.occurred_at, e.emotion, e.valence, e.intensity, e.stress, t.kind, t.key FROM diary_entries e "
    "LEFT JOIN diary_tags t ON t.entry_id = e.id WHERE e.user_id = %(user)s AND e.occurred_at >= %(since)s "
    "AND (e.occurred_at < %(since)s + interval '27 hours' OR e.occurred_at > now() - interval '27 hours')",
)


def plan_work(url: str, user_id: str, since: datetime) -> dict[str, int]:
    """PostgreSQL's own account of one agent's insight queries: shared pages touched, execution time, and
    sequential scans of the diary tables (which would make the cost grow with every agent's rows)."""
    conn = connect(url)
    buffers = seq_scans = 0
    milliseconds = 0.0
    try:
        for sql in INSIGHT_QUERIES:
            explained = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql,
                                     {"user": user_id, "since": since}).fetchone()[0][0]
            plan = explained["Plan"]
            milliseconds += explained["Execution Time"]
            buffers += plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
            nodes = [plan]
            while nodes:
                node = nodes.pop()
                nodes += node.get("Plans", [])
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name", "").startswith("diary_"):
                    seq_scans += 1
        size = conn.execute("SELECT (pg_total_relation_size('diary_entries') + pg_total_relation_size('diary_tags'))"
                            " / current_setting('block_size')::int").fetchone()[0]
    finally:
        conn.close()
    return {"buffers": buffers, "seq_scans": seq_scans, "table_pages": size, "milliseconds": milliseconds}
