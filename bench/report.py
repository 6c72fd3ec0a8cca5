"""The benchmark's report: the machine description, the markdown table and docs/benchmarks.md."""
from __future__ import annotations

import os
import platform
import subprocess

from bench import loadgen
from bench.common import ROOT
from bench.suite import SCENARIOS

DOC = ROOT / "docs" / "benchmarks.md"
FEATURES = ("prompts", "trends")  # the feature benchmarks whose run() the harness calls
NAMES = tuple(SCENARIOS) + FEATURES


def machine(databases: list[str], postgres_url: str) -> dict:
    """Cores, RAM, Python, PostgreSQL version, load average now, the load generator."""
    memory = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    postgres = None
    if "postgresql" in databases:
        try:
            import psycopg

            with psycopg.connect(postgres_url, connect_timeout=5) as conn:
                postgres = conn.execute("SHOW server_version").fetchone()[0]
                settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                            for name in ("synchronous_commit", "shared_buffers", "max_connections")}
                postgres += " (" + ", ".join(f"{k}={v}" for k, v in settings.items()) + ")"
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            postgres = f"unreachable: {exc}"
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "ram": memory, "python": platform.python_version(),
            "platform": platform.platform(), "postgresql": postgres,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "load_generator": "wrk " + _wrk_version() if loadgen.have_wrk() else "Python closed loop (wrk missing)",
            "server": "gunicorn gthread, 2 workers x 4 threads (README's recommendation for 2 cores)"}


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (out.stdout + out.stderr).split()[1] if (out.stdout + out.stderr).split()[1:] else "?"


def markdown(rows: list[dict]) -> str:
    header = ("scenario", "metric", "value", "unit", "baseline", "ratio", "target", "met")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        baseline = "" if r["baseline"] is None else f"{r['baseline']} = {r['baseline_value']}"
        met = "" if r["met"] is None else ("yes" if r["met"] else "**NO**")
        cells = (r["scenario"], r["metric"], _num(r["value"]), r["unit"], baseline,
                 "" if r["ratio"] is None else _num(r["ratio"]), r["target"] or "", met)
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def write_doc(document: dict, command: str) -> None:
    m = document["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (`make bench`); do not edit by hand, the next run rewrites it. The machine is",
        "shared and noisy: compare the **ratios** to the baselines measured in the same run, not absolute numbers.",
        "",
        f"Latest run: {document['started']} UTC, `{command}`, size `{document['size']}`, "
        f"{document['seconds']:.0f} s.",
        "",
        "## Machine",
        "",
        f"- {m['cores']} cores ({m['cpu']}), {m['ram']} RAM, {m['platform']}",
        f"- Python {m['python']}; PostgreSQL {m['postgresql'] or 'not used'}",
        f"- load average at start: {', '.join(map(str, m['load_average_at_start']))}",
        f"- server: {m['server']}; load generator: {m['load_generator']} (peaks, closed loop, 8 connections) and a "
        "fixed-rate Python sender in its own process (latency at 70% of peak, open loop, measured from each "
        "request's scheduled send time)",
        "",
        "## Results",
        "",
        markdown(document["rows"]),
        "",
    ]
    if document["notes"]:
        lines += ["Notes from the run:", ""] + [f"- {note}" for note in document["notes"]] + [""]
    lines += [
        "## How to run",
        "",
        "```",
        "make bench                                   # installs wrk (apt) and py-spy, then: python -m bench",
        ".venv/bin/python -m bench --size small       # ~10 min on 2 cores, both databases",
        ".venv/bin/python -m bench --database postgresql --only single,insights --profile",
        "```",
        "",
        "- `--size small|default|large`: default runs the mixed workload for 2 minutes, large for 10 minutes and",
        "  grows the diary table to 10^7 rows; `--database sqlite|postgresql|both` (PostgreSQL at",
        "  `BENCH_POSTGRES_URL`, default `postgresql://postgres@127.0.0.1:5432/postgres`; a throwaway database is",
        "  created and dropped per run); `--only` takes " + ", ".join(f"`{n}`" for n in NAMES) + ".",
        "- Results: `bench/results/<date>.json` (rows, machine, notes), this file, and with `--profile` a flame",
        "  graph `bench/results/profile-<database>-<date>.svg` (py-spy on one gunicorn worker during the",
        "  single-POST peak).",
        "- Baselines: (a) `bench/baseline_app.py`, a bare Flask JSON endpoint under the same gunicorn settings;",
        "  (b) the raw driver (sqlite3 / psycopg) inserting a diary-sized row and committing from 8 threads, and a",
        "  raw multi-row INSERT of 500 entries with their tags for batch ingest.",
        "",
        "## Profile",
        "",
    ]
    profiles = document.get("profiles") or {}
    if not profiles:
        lines += ["No profile in this run (add `--profile`).", ""]
    for label, top in profiles.items():
        lines += [f"### Single POST /diary at peak, {label} (py-spy, one worker, {top['samples'][0][1]} busy samples)",
                  "", "| project function (inclusive) | % of busy samples |", "|---|---|"]
        lines += [f"| `{f}` | {share} |" for f, share in top.get("project", [])][:15]
        lines += ["", "| library function below the views (inclusive) | % of busy samples |", "|---|---|"]
        lines += [f"| `{f}` | {share} |" for f, share in top["inclusive"]][:12]
        lines += ["", "| function (self) | % of busy samples |", "|---|---|"]
        lines += [f"| `{f}` | {share} |" for f, share in top["self"]][:10]
        lines += [""]
    lines += [FINDINGS, ""]
    DOC.write_text("\n".join(lines))


FINDINGS = """### What the profile and the ratios say (read by hand from the profiled default runs of 2026-12-03)

- **PostgreSQL, single POST: round trips, not Python, set the ceiling.** Two thirds of a worker's busy samples
  sit in `psycopg Connection.wait`, waiting for the database. A diary POST makes about eight round trips where
  the raw baseline (b) makes two (INSERT, COMMIT): `pool_pre_ping` pings on every pool checkout (`do_ping`,
  ~29% of the busy samples on its own), and a request checks a connection out **twice**, because
  `login_required` commits its sign-in read (`identity.active_session_user`, ~28% with its ping, and its COMMIT
  at `api/auth.py:93`, ~7%) before the view opens a second transaction; then `entries._id_state` looks the id
  up (~22% with the second ping) before the entry and tag INSERTs and the COMMIT (~20%). On a 2-core box every
  round trip is also a context switch to a PostgreSQL backend that competes with the gunicorn workers, the load
  generator and the neighbours, which is why the single POST is far below 60% of (b) while batch ingest (few
  round trips for 500 rows) meets its 30%. An A/B on the same database (3 alternating rounds of 8 s with wrk,
  stock app vs `pool_pre_ping=False`) gave medians of 172 vs 239 req/s (+39%), with runs spread 137-222 and
  115-288 req/s: indicative, not proof, on this machine.
  Fixes, in order of payoff (not made here; they belong to the diary and platform code): drop `pool_pre_ping`
  for `pool_recycle` (let `/readyz` and the clients' retries cover a restarted server); keep one checkout per
  request by running the sign-in read inside the request's own transaction on PostgreSQL (the split exists for
  SQLite's write lock, which PostgreSQL does not have); replace the `_id_state` pre-check by
  `INSERT ... ON CONFLICT (id) DO NOTHING` with the tombstone test in the same statement.
- **The research's usual suspects are already fixed on this path:** no re-SELECT after commit
  (`expire_on_commit=False`, Core INSERTs in `entries.insert_entries`), no ORM unit of work on the hot insert,
  note encryption (`Keyring.encrypt`) under 1% of the samples, JSON encoding not visible in the profile.
- **SQLite, single POST: one writer at a time, and waiters sleep.** The write transaction begins with
  `BEGIN IMMEDIATE` (`wellbeing/db.py:_sqlite_on_begin`, ~25% of the samples) and holds the database's only
  write lock through the id look-up, the note encryption, both INSERTs and the COMMIT, while the other threads
  compete for the GIL and 2 cores. SQLite's busy handler backs off in sleeps of up to 100 ms, so a request that
  loses the race waits far longer than the lock is held (p50 at peak ~350x the raw insert's, which holds the
  lock for well under a millisecond), and p99 at 70% of peak swings between runs (26 ms in this table, 514 ms
  in the default run before it). Inherent to SQLite, as the README says;
  building and encrypting the entry before `BEGIN IMMEDIATE` would shorten the locked section.
- **Insights (a year, ~3,000 entries): p50 47-72 ms, p99 over the 50 ms target on both databases.** The plans
  use `ix_diary_entries_user_occurred` and the tags' primary key (growth rows: no sequential scan at 10^6 rows),
  but the database work is not small: the two representative queries take 20-35 ms in PostgreSQL (EXPLAIN
  ANALYZE), most of it the tags join, one index probe into `diary_tags` per entry (3,000 probes). Add the five
  grouped queries' round trips (emotions, tags, hour, weekday, week), the sign-in check and the JSON, on
  contended cores, and p99 lands at 60-110 ms. A per-agent daily roll-up (entries and tag counts per local
  day), or caching the answer per agent until their next write, would bring it under 50 ms.
- **Growth: per-agent reads do not grow with other agents' rows.** From ~5x10^4 to 10^6 diary rows (20x) the
  insights p50 stays within noise (64, 51, 48 ms) and single-POST throughput with it. The database's own time
  for the agent's queries grows 1.7x (21 to 35 ms): once the tables are too big to scan, the queries touch ~3
  pages per entry of the agent (a B-tree descent per tag probe), which grows with the index's depth (log of
  the rows), not with the rows. (`--size large` goes to 10^7 rows.)
- **Mixed phone workload: zero errors and no memory growth** (each API worker's RSS within a few % after
  warm-up). p99 at 70% of the mix's peak misses 100 ms, badly on PostgreSQL in some runs (seconds): the mix is
  dominated by the single-POST write path above, and on this shared machine 70% of a peak measured minutes
  earlier is not always 70% of what the cores have left, so queues build. Fixing the round trips above raises
  the peak and the headroom.
- **Batch ingest** meets its target on PostgreSQL (one multi-row INSERT per request); on SQLite a 500-entry
  request holds the write lock for its whole length and stays below 30% of the raw multi-row insert.
- **Prompts and trends** rows come from their own benchmarks (bench/prompts.py, bench/trends.py) and carry
  their own targets (see those modules and docs/trends.md); their misses (100k-agent planning extrapolated
  over 60 s, one dispatcher under 1,000/s, cold chart PNGs) are theirs to explain.
"""
