"""The benchmark's report: the machine description, the markdown table and docs/benchmarks.md."""
from __future__ import annotations

import os
import platform
import subprocess

from bench import loadgen
from bench.common import ROOT
from bench.suite import SCENARIOS

DOC = ROOT / "docs" / "benchmarks.md"
FEATURES = ("prompts", "trends", "push")  # the feature benchmarks whose run() the harness calls
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
        ".venv/bin/python -m bench --size small --only single,batch,insights,mixed,cpu --runs 3   # issue 23's table",
        "BENCH_WORKERS=1 BENCH_THREADS=8 .venv/bin/python -m bench --size small --only single  # another gunicorn setting",
        "```",
        "",
        "- `--runs N` runs everything N times in a row and puts every run's targets side by side (above);",
        "  `BENCH_WORKERS`, `BENCH_THREADS`, `BENCH_KEEPALIVE` change the gunicorn settings of the server and the",
        "  baseline; `BENCH_PHONE_CONNECTIONS=0` makes the open-loop sender keep its connections alive (the old",
        "  behaviour, see the findings). `cpu` measures CPU time per request in-process (no server, no network).",
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


FINDINGS = """### What the profiles and the ratios say (read by hand; updated 2026-12-07, issue 23)

**The machine was loaded.** These runs shared the 2 cores with four other sessions running their test suites
(browser tests, contract fuzzing, full suites on SQLite and PostgreSQL, and the same PostgreSQL server): load
average 8-14 during the runs, against 0.7-1.6 on 2026-12-03. Throughput and latency swing with it from one
run to the next; the ratios are measured against baselines taken seconds apart, but the load changes within
seconds too. The in-process CPU rows (`cpu`) are the least sensitive figure.

**What changed on the hot path, and what each paid** (py-spy, one gunicorn worker during a single-POST peak on
PostgreSQL, shares of the busy samples; before = the code of 2026-12-03 measured today at 11:21 with `--profile`,
stacks in `bench/results/profile-postgresql-2026-12-07-before.txt`; after = the profile of the last run below,
`profile-postgresql-2026-12-07.txt`; the tables under "Profile" above are that run's):

| | before | after |
|---|---|---|
| token handling (`verify_jwt_in_request`, now `verify_access`), inclusive | 43.8% | 36.7% |
| of which the sign-in query (`active_session_user`), the one part left | 42.1% | 36.5% |
| JWT decoding (four decodes a request before; one per token and process after) | 0.6% | 0.1% |
| the write (`create_entry`), inclusive | 39.1% (INSERT, tags, COMMIT) | 36.8% (one statement) |
| psycopg's BEGIN and COMMIT round trips (`_exec_command`), self | 19.8% | 0% |
| waiting on PostgreSQL (`Connection.wait`), inclusive | 77.4% | 66.6% |

- One token verification per request: PyJWT's `decode_complete` once, the verified claims kept per process
  (sha256 of the token -> claims, until the token's `exp`, at most 4,096 tokens); the revocation check (a live
  sign-in of an active user) is still one query per request, and it loads the user the view uses.
- POST /diary on PostgreSQL is two round trips: the sign-in query and one statement that inserts the entry, its
  tags and its roll-up sums (data-modifying CTEs, guarded by the tombstone), in autocommit, so there is no BEGIN
  and no COMMIT (before: BEGIN, SELECT, INSERT, INSERT tags, COMMIT). psycopg prepares both statements on the
  server after five uses (its default); they are the same text every time (tags and roll-up keys are arrays).
  On SQLite: the guarded INSERT, the tags and the roll-up as executemany statements under the write lock.
- Responses are serialized by orjson (Flask's JSON provider, same output as Flask's), and the created entry is
  answered from the values in hand (the note as sent, not decrypted back).
- Insights read the daily roll-up (one grouped query over ~15 rows a day, and the raw entries of the window's
  two partial days): GET /diary/insights?days=365 p50 18-26 ms on PostgreSQL with the server otherwise idle
  (before: 48-73 ms), in-process ~9 ms of CPU on PostgreSQL, ~13 ms on SQLite (which groups in-process).

**Single POST /diary: 6-17% of the bare endpoint, not 25%.** In-process, without a server or a network
(`cpu` rows; 2026-12-07 at load ~10), a POST costs 2.4-3.9 ms of CPU against 0.20-0.29 ms for the bare endpoint,
so CPU alone caps the ratio at ~7-8%; the 25% target needs ~0.8-1 ms. Where those milliseconds go (py-spy,
in-process, SQLite, 3,000 POSTs): the sign-in query 20%, the write 34% (guarded INSERT 13, tags 5, roll-up
upsert 7, COMMIT 8), webargs and the marshmallow load 7%, the marshmallow dump 2%, building the entry 4%,
Flask and its test client ~20%. Each SQLAlchemy statement through the session costs ~0.1-0.2 ms of Python
before the database sees it; the bare endpoint's whole request costs 0.2 ms. The remaining levers are outside
"the same stack used well": caching the sign-in check (revocation would then lag by the cache's lifetime in the
other workers), or raw DBAPI cursors instead of SQLAlchemy Core.

**p99 at 70% of peak: why it swung from 20 ms to 1.3 s.** The open-loop sender kept 32 connections alive, and a
gunicorn gthread worker keeps every connection it accepted: measured midway through the paced runs, the split was
9/23, 12/20 and 13/19 (2 workers), 2/14/16 (3 workers), 0/6/7/19 (4 workers). The worker holding 60-72% of the
connections gets 60-72% of "70% of the peak", more than its half of the peak: its queue grows for the whole run
(every request over 50 ms, the sender's send lag p99 2-4 s), while a lucky 16/16 split gives 20 ms. Phones do
not send like that: a phone posts every few minutes, gunicorn closes idle keep-alive connections after 2 s, so
each post arrives on a new connection, accepted by whichever worker gets to it. The sender now does the same
(`BENCH_PHONE_CONNECTIONS=1`, the default), and its notes report the send lag, the slow seconds and the
connections per worker. With it, the slow requests bunch in the seconds when the machine's load rose (e.g. 8 of
755 over 50 ms, in 2 of 8 seconds, p99 50.7 ms at load 7; 0 of 642 with keep-alive off), and the misses left in
the table are runs where the load average went from 8 to 14 while the rate stayed at 70% of a peak measured
seconds before. On an idle machine this is the stable case; on this one it cannot be shown stable.

**Workers x threads** (single POST /diary peak as a share of the bare endpoint under the same settings,
PostgreSQL, one or two runs each at load 5-9): 1x8 0.10-0.14, 1x4 0.09, 2x2 0.10, 2x4 0.07-0.17, 3x2 0.06,
4x2 0.06, 2x4 with keep-alive off 0.05-0.06. More workers than cores lose; 1x8 is as good as 2x4 here because
PostgreSQL, wrk and the other sessions share the two cores. The README keeps 2 workers x 4 threads (both cores
when the database runs elsewhere), with gunicorn's default keep-alive: the numbers above were measured with it.

**Batch and mixed.** SQLite batch ingest is 14-24% of the raw multi-row insert (target 30%): each of the 500
entries is loaded by marshmallow, fingerprinted, checked and built before one multi-row insert, and the roll-up
upsert is now part of the write. PostgreSQL batch ingest meets its target (52-65%). The mixed workload (now with
the year-long insights of the agent with 3,000 entries inside it) has no errors and no memory growth; its p99
follows the load average like the single-POST p99 above.
"""
