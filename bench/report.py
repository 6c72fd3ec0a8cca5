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


def runs_markdown(runs: list[dict]) -> str:
    """The rows with a target, one column per run: value (ratio when there is a baseline) and whether it was met."""
    keyed: dict[tuple[str, str], dict] = {}
    for n, run in enumerate(runs):
        for r in run["rows"]:
            if r.get("target") is None:
                continue
            scenario = r["scenario"]
            # The paced rate and the mix's rate differ per run: one line per metric, whatever the rate.
            metric = r["metric"].split(" (")[0] if r["metric"].startswith("p99 at 70% of peak") else r["metric"]
            scenario = scenario.split(",")[0] + f" ({scenario.rsplit('(', 1)[1]}" if scenario.startswith("mixed") else scenario
            line = keyed.setdefault((scenario, metric), {"target": r["target"], "cells": [""] * len(runs)})
            shown = _num(r["value"]) + (f" ({_num(r['ratio'])})" if r.get("ratio") is not None else "")
            line["cells"][n] = f"{shown} {'yes' if r['met'] else '**NO**'}"
    header = ["scenario", "metric", "target"] + [f"run {n + 1} ({run['started'][11:]} UTC, load "
                                                 f"{run['load_average_at_start'][0]})" for n, run in enumerate(runs)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (scenario, metric), line in keyed.items():
        lines.append("| " + " | ".join([scenario, metric, line["target"], *line["cells"]]) + " |")
    return "\n".join(lines)


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
    ]
    if document.get("runs"):
        lines += [f"## Targets, {len(document['runs'])} consecutive runs", "",
                  "Value, then in brackets the ratio to the baseline measured in the same run (see the full table "
                  "below for the baselines); load average (1 min) at each run's start.", "",
                  runs_markdown(document["runs"]), ""]
    lines += [
        "## Results" + (" (the last run)" if document.get("runs") else ""),
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


FINDINGS = """### What the profiles and the ratios say (read by hand; updated 2026-12-03 after the hot-path changes)

- **Single POST /diary: from 189 to 464 req/s on SQLite and from 120 to 587 req/s on PostgreSQL** (small run
  of 10:52, against 189/120 in the profiled default run of 09:03), still 10-13% of the bare Flask endpoint
  against a 25% target. What changed, following the earlier profile: the id look-up and the insert are one
  statement (`INSERT ... SELECT ... WHERE NOT EXISTS (tombstone) RETURNING id`), pooled PostgreSQL connections
  are pinged only after a second idle (`DB_PRE_PING=idle`; the per-checkout ping was ~29% of the busy samples),
  the sign-in check and the guarded insert are statements built once with bound parameters (building them cost
  as much as running them: 0.39 vs 0.20 ms per sign-in check), and argument schemas are instantiated once per
  route instead of per request. In-process, a POST now costs ~2.0 ms of CPU against the bare endpoint's ~0.2 ms:
  JWT decoding (PyJWT checks every base64 character in Python, four decodes per request through
  flask-jwt-extended), the sign-in query, the marshmallow load and dump, two INSERTs and a COMMIT. On 2 cores
  shared with wrk and PostgreSQL, that CPU is the ceiling; a 25% ratio would need the request to cost ~4x the
  bare endpoint, i.e. dropping the ORM and flask-smorest from the hot path. Not done: they are the fixed stack.
- **p99 at 70% of peak** swings between runs (SQLite 16-84 ms, PostgreSQL 20-1308 ms): 70% of a peak measured
  seconds earlier is not 70% of what a shared 2-core machine has left a moment later, and an open-loop sender
  then builds a queue. Read it with the run's load average.
- **SQLite: one writer at a time, and waiters sleep.** The locked section is now the guarded INSERT, the tag
  INSERT and the COMMIT (the entry is built and its note encrypted before `BEGIN IMMEDIATE`), but SQLite's busy
  handler still backs off in sleeps of up to 100 ms, so batch ingest stays under 30% of the raw multi-row
  insert. Inherent to SQLite, as the README says.
- **Insights (a year, ~3,000 entries): p50 22-48 ms.** Four grouped queries now (emotions, tags, hour, and one
  daily query whose sums give both the weekday pattern and the weekly trend). Alone on the server p99 is
  31-41 ms (meets < 50 ms); right after the write-heavy scenarios it is 47-66 ms, when the planner, with fresh
  statistics, prefers a hash join that scans every agent's tags (growth rows: 1-3 sequential scans at 4x10^4
  rows, none at 10^6). The bench runs `ANALYZE` after its bulk load, as autovacuum would in service.
- **Growth: per-agent reads do not grow with other agents' rows** (insights p50 53, 36, 42 ms at 4x10^4, 10^5
  and 10^6 rows; ~3 pages touched per entry of the agent at 10^6, no sequential scan).
- **Mixed phone workload: zero errors and no memory growth** (worker RSS within 1% after warm-up); p99 misses
  100 ms for the queueing reason above.
- **Prompts.** Planning stores each batch with one `INSERT ... SELECT FROM unnest(arrays)` (binary parameters)
  instead of a pipelined statement per row, in a writer thread that overlaps the next batch's planning:
  measured directly on PostgreSQL, 48 h for 100,000 agents in 85 s, so a full day in 42 s (< 60 s), 0.85 ms per
  agent and 48 h (10,000 agents: 0.82 ms), no memory growth. Dispatch 1,126 prompts/s with one process and
  1,630 with two (> 1,000/s), webhook connections kept alive per checked address.
- **Trends charts** render with fixed margins (the constrained-layout solver was 40% of a render): cold PNG
  74-96 ms median/max (< 300 ms).
"""
