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


FINDINGS = """### What the profile and the ratios say (read by hand from the profiled runs of 2026-12-03)

- **PostgreSQL, single POST: round trips, not Python, set the ceiling.** About three quarters of a worker's
  busy samples sit in `psycopg Connection.wait`, i.e. waiting for the database. A diary POST makes about eight
  round trips where the raw baseline makes two (INSERT, COMMIT): `pool_pre_ping` pings on every pool checkout
  (about 30% of the busy samples on its own), and a request checks a connection out **twice**, because
  `login_required` commits its sign-in read (`identity.active_session_user`, ~25%) before the view opens a
  second transaction; then `entries._id_state` looks the id up (~25%) before the entry and tag INSERTs and the
  COMMIT (~30%). On a 2-core box every round trip is also a context switch to a PostgreSQL backend competing
  with the gunicorn workers, the load generator and the neighbours, which is why the ratio to the raw insert
  (b) is far below the 60% target while batch ingest (one request, few round trips, 500 rows) meets its 30%.
  Fixes, in order of payoff: drop `pool_pre_ping` (use `pool_recycle` and let `/readyz` and retries handle a
  restarted server) or at least keep one checkout per request (run the sign-in read in the request's own
  transaction on PostgreSQL, where the SQLite write-lock reason for the split does not apply); replace the
  `_id_state` pre-check by `INSERT ... ON CONFLICT (id) DO NOTHING` plus the tombstone test in the same
  statement; build the hot statements once (`Select.__init__` shows up at ~10% self).
- **SQLite, single POST: one writer at a time, and waiters sleep.** The write transaction begins with
  `BEGIN IMMEDIATE` (`wellbeing/db.py:_sqlite_on_begin`, ~35% of the samples) and holds the database's only write
  lock through the id look-up, the note encryption, both INSERTs and the COMMIT, while Python on the other
  threads competes for the GIL and 2 cores. SQLite's busy handler backs off with sleeps of up to 100 ms, so a
  request that loses the race waits far longer than the lock is held: p50 at peak is two orders of magnitude
  above the raw insert's, which holds the lock for 0.1 ms. This is inherent to SQLite as the README says;
  shortening the locked section (validate, encrypt and build before `BEGIN IMMEDIATE`) is the only fix short of
  PostgreSQL.
- **Insights (a year, ~3,000 entries): ~60-80 ms p50, over the 50 ms p99 target on both databases.** The
  plans use `ix_diary_entries_user_occurred` and the tags' primary key (see the growth rows: no sequential
  scans at 10^6 rows), so the time is the five grouped queries (emotions, tags, hour, weekday, week) over the agent's own rows plus the JSON of the
  answer, not the table size. A per-agent daily roll-up (or caching the answer per agent until their next
  write, keyed by the entries' max `updated_at`) would bring it under 50 ms.
- **Growth: per-agent reads do not grow with other agents' rows.** From 10^4 to 10^6 diary rows the insights
  p50 stays within noise and the plans touch a few thousand pages, i.e. the agent's own rows and a B-tree
  descent per row (index-only scans of `diary_tags` once the table is vacuumed), against a table a hundred
  times larger; single-POST throughput is flat too.
- **Mixed phone workload: no errors and no memory growth** (RSS of each API worker flat within 1% after
  warm-up), but p99 over 100 ms at 70% of the mix's peak: the same write path as the single POST, queued.
- **Batch ingest** is within target on PostgreSQL (one multi-row INSERT per request); on SQLite the 500-entry
  request holds the write lock for its whole length and lands below 30% of the raw multi-row insert.
"""
