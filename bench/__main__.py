"""The release benchmark: `python -m bench [--size small|default|large] [--database sqlite|postgresql|both]
[--only NAME,...] [--profile]`.

Runs the harness's scenarios (bench/suite.py: single diary POST against a bare Flask endpoint and the raw driver,
batch ingest, insights, the mixed phone workload, growth with the diary table's size) and the feature benchmarks
(bench/prompts.py, bench/trends.py, bench/push.py) on a throwaway SQLite database and/or a throwaway PostgreSQL database; prints
one markdown table, writes bench/results/<date>.json and rewrites docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, datetime, timezone

from bench import profiling, report, suite
from bench.common import RESULTS, ROOT, fresh_database

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FEATURES, NAMES = report.FEATURES, report.NAMES
TRENDS_SIZE = {"small": "small", "default": "default", "large": "issue"}
PUSH_PROMPTS = {"small": 1_000, "default": 2_000, "large": 10_000}


def run_features(name: str, server_url: str | None, size: str) -> list[dict]:
    """The feature benchmarks' own rows, labelled with the database."""
    label = "postgresql" if server_url else "sqlite"
    if name == "prompts":
        from bench import prompts

        rows = prompts.run(server_url or "sqlite://", size)
    elif name == "push":
        from bench import push

        return push.run(server_url or "sqlite://", PUSH_PROMPTS[size])  # rows already name the database
    else:
        from bench import trends

        with fresh_database(server_url) as url:
            rows = trends.run(url, TRENDS_SIZE[size])
    for r in rows:
        r["scenario"] = f"{name}: {r['scenario']} ({label})"
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(suite.SIZES), default="default")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(NAMES))
    parser.add_argument("--profile", action="store_true", help="py-spy flame graph of the single-POST peak")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--doc-from", metavar="JSON", help="only rewrite docs/benchmarks.md from a results file")
    parser.add_argument("--runs", type=int, default=1,
                        help="run everything N times in a row; the doc gets the targets of every run side by side")
    args = parser.parse_args(argv)
    if args.doc_from:
        document = json.loads(open(args.doc_from).read())
        for label in document.get("profiles", {}):  # recount from the stacks, as this version of the harness does
            stacks = RESULTS / f"profile-{label}-{document['date']}.txt"
            if stacks.exists():
                document["profiles"][label] = profiling.top_frames(stacks.read_text())
        report.write_doc(document, document.get("command", "python -m bench"))
        print(f"written: {report.DOC.relative_to(ROOT)}")
        return 0
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = only - set(NAMES)
    if unknown:
        parser.error(f"unknown --only names: {', '.join(sorted(unknown))}; known: {', '.join(NAMES)}")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    documents = []
    for run in range(args.runs):
        if args.runs > 1:
            print(f"=== run {run + 1} of {args.runs}", flush=True)
        documents.append(run_once(args, only, databases, argv))
    if args.runs > 1:
        documents[-1]["runs"] = [{"started": d["started"], "load_average_at_start": d["machine"]["load_average_at_start"],
                                  "rows": d["rows"], "notes": d["notes"]} for d in documents]
        print()
        print(report.runs_markdown(documents[-1]["runs"]))
        path = RESULTS / f"{documents[-1]['date']}-runs.json"
        path.write_text(json.dumps(documents[-1], indent=2, default=str) + "\n")
        print(f"written: {path.relative_to(ROOT)}")
    if not args.no_doc:
        report.write_doc(documents[-1], documents[-1]["command"])
        print(f"written: {report.DOC.relative_to(ROOT)}")
    return 0


def run_once(args, only: set[str], databases: list[str], argv) -> dict:
    started = datetime.now(timezone.utc)
    began = time.monotonic()
    document = {"date": date.today().isoformat(), "started": started.strftime("%Y-%m-%d %H:%M"), "size": args.size,
                "databases": databases, "machine": report.machine(databases, PG_SERVER), "notes": [], "profiles": {}}
    print(f"machine: {json.dumps(document['machine'])}", flush=True)
    rows: list[dict] = []
    for database in databases:
        server_url = PG_SERVER if database == "postgresql" else None
        print(f"== {database}", flush=True)
        rows += suite.run(server_url, args.size, only, args.profile, document["notes"], document["profiles"])
        for name in FEATURES:
            if not only or name in only:
                t = time.monotonic()
                rows += run_features(name, server_url, args.size)
                print(f"  {database} {name}: {time.monotonic() - t:.0f} s", flush=True)
    document["seconds"] = time.monotonic() - began
    document["command"] = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    document["rows"] = rows
    print()
    print(report.markdown(rows))
    for note in document["notes"]:
        print(f"note: {note}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{document['date']}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"written: {path.relative_to(ROOT)}")
    return document


if __name__ == "__main__":
    sys.exit(main())
