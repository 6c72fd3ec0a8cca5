"""The benchmark harness's own pieces: the load generators against a real gunicorn, the raw-driver baseline on a
migrated SQLite database, the profile summary and the report table. (The benchmark itself is `python -m bench`.)"""
from __future__ import annotations

import json
import sqlite3

import pytest

from bench import loadgen, profiling, raw, suite
from bench.report import markdown
from bench.common import row, serve
from tests.helpers import PG_SERVER


def _echo(n: int) -> loadgen.Request:
    body = json.dumps({"id": str(n)}).encode()
    return "echo", "POST", "/echo", body, {"Content-Type": "application/json"}, (201,)


def _missing(n: int) -> loadgen.Request:
    return "missing", "GET", "/nowhere", None, {}, (200,)


@pytest.fixture(scope="module")
def bare():
    with serve("bench.baseline_app:app") as server:
        yield server


def test_server_reports_its_workers_and_their_memory(bare):
    workers = bare.worker_pids()
    assert len(workers) == 2
    rss = bare.worker_rss_kib()
    assert set(rss) == set(workers) and all(size > 10_000 for size in rss.values())


def test_fixed_rate_sender_holds_the_rate_and_samples_memory(bare):
    result = loadgen.paced(bare.address, _echo, 50, 2.0, warmup=0.5, connections=4, sample_rss=bare.worker_rss_kib,
                           rss_every=0.5)
    assert result.errors == 0
    assert 90 <= result.sent <= 101  # 50/s for 2 s, counted after the warm-up
    assert result.p(50, "echo") > 0 and len(result.latencies_ms["echo"]) == result.sent
    assert len(result.rss_kib) >= 3 and all(result.rss_kib[-1][1].values())


def test_unexpected_statuses_are_errors_named_by_kind_and_status(bare):
    result = loadgen.paced(bare.address, _missing, 20, 1.0, warmup=0.2, connections=2)
    assert result.sent > 0 and result.errors == result.sent
    assert set(result.error_samples) == {"missing 404"}


def test_peak_with_wrk_or_the_python_loop_posts_unique_ids(bare):
    for use_wrk in ([True, False] if loadgen.have_wrk() else [False]):
        peak = loadgen.peak(bare.address, "/echo", '{"id": "@ID@"}', {}, connections=2, seconds=1, warmup=0.5,
                            use_wrk=use_wrk)
        assert peak.errors == 0 and peak.rate > 0 and peak.p99_ms >= peak.p50_ms


def test_wrk_counts_error_statuses_by_code(bare):
    assert loadgen.have_wrk(), "wrk is missing: `make test` installs it with `make loadgen`"
    peak = loadgen.wrk_post(bare.address, "/nowhere", '{"id": "@ID@"}', {}, connections=2, seconds=1)
    assert peak.requests > 0 and peak.errors == peak.requests
    assert peak.error_kinds == {"404": peak.requests}


def test_raw_baselines_insert_diary_rows(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/bench.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PASSWORD_HASH_COST", "low")
    from datetime import datetime, timezone

    from flask_migrate import upgrade

    from api import create_app
    from wellbeing.org import organizations
    from wellbeing.core.db import db

    app = create_app()
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
        organizations.bootstrap(db.session, "Bench", "admin@bench.test", "bench-password-123", "UTC",
                                datetime.now(timezone.utc))
        db.session.remove()
        db.engine.dispose()
    conn = sqlite3.connect(f"{tmp_path}/bench.db")
    user_id = conn.execute("SELECT id FROM users").fetchone()[0]
    rate, latencies = raw.raw_single_inserts(url, user_id, 0.5, threads=2)
    multi = raw.raw_multirow_inserts(url, user_id, 2, per_batch=50)
    stored = conn.execute("SELECT count(*) FROM diary_entries WHERE user_id = ?", (user_id,)).fetchone()[0]
    assert rate > 0 and len(latencies) > 0 and multi > 0
    assert stored >= len(latencies) + 100
    conn.close()


def test_top_frames_leave_idle_threads_out():
    collapsed = "\n".join([
        "run (threading.py:1);handle (gunicorn/x.py:2);post (api/diary/routes.py:40);encrypt (wellbeing/crypto.py:9) 30",
        "run (threading.py:1);handle (gunicorn/x.py:2);post (api/diary/routes.py:40);execute (sqlalchemy/e.py:3) 70",
        "run (threading.py:1);_worker (concurrent/futures/thread.py:83);wait (threading.py:320) 500",
    ])
    top = profiling.top_frames(collapsed)
    assert top["samples"] == [("busy samples", 100)]
    assert dict(top["self"]) == {"execute (sqlalchemy/e.py:3)": 70.0, "encrypt (wellbeing/crypto.py:9)": 30.0}
    assert dict(top["project"]) == {"post (api/diary/routes.py:40)": 100.0, "encrypt (wellbeing/crypto.py:9)": 30.0}


def test_markdown_table_shows_ratio_and_unmet_targets():
    table = markdown([row("POST /diary (sqlite)", "peak", 100.0, "req/s", "bare", 400.0, ">= 25%", True),
                      row("insights", "p99", 80.0, "ms", target="< 50 ms", met=False)])
    lines = table.splitlines()
    assert lines[0].startswith("| scenario | metric |") and len(lines) == 4
    assert "| bare = 400.0 | 0.25 | >= 25% | yes |" in lines[2]
    assert lines[3].endswith("| < 50 ms | **NO** |")


def test_every_scenario_runs_end_to_end_on_sqlite(monkeypatch):
    tiny = {"peak_seconds": 1, "paced_seconds": 1, "batches": 1, "insight_calls": 3, "mixed_seconds": 2, "agents": 2,
            "growth": (10, 20, 30), "growth_calls": 2, "growth_seconds": 1, "instruction_requests": 5}
    monkeypatch.setitem(suite.SIZES, "tiny", tiny)
    notes: list[str] = []
    rows = suite.run(None, "tiny", notes=notes)
    by_metric = {(r["scenario"].split(" (")[0], r["metric"]): r for r in rows}
    single = by_metric[("POST /diary", "peak throughput vs raw insert")]
    assert single["value"] > 0 and single["baseline_value"] > 0 and single["ratio"] is not None
    assert by_metric[("POST /diary", "errors (peak + paced)")]["value"] == 0
    assert by_metric[("POST /diary/batch x500", "ingest")]["baseline"].startswith("raw sqlite3 multi-row insert")
    mixed = [r for r in rows if r["scenario"].startswith("mixed phone workload")]
    assert {r["metric"] for r in mixed} >= {"errors", "p99 latency, all requests",
                                            "API worker RSS growth (max over workers)"}
    assert next(r for r in mixed if r["metric"] == "errors")["value"] == 0, notes
    assert not [r for r in rows if r["scenario"].startswith("growth")]  # PostgreSQL only
    counted = {r["metric"]: r for r in rows if r["scenario"].startswith("Instructions per request")}
    assert counted, f"valgrind is on every machine of this project; notes: {notes}"
    post = counted["POST /diary"]
    assert post["baseline_value"] > 0.1 and post["value"] > post["baseline_value"]  # millions, more than bare Flask
    ratio = next(r for name, r in counted.items() if name.startswith("bare endpoint / POST /diary"))
    assert abs(ratio["value"] - post["baseline_value"] / post["value"]) < 0.01




def test_growth_loads_other_agents_and_reads_the_plans_on_postgresql(monkeypatch):
    # Growth is a PostgreSQL measurement whatever database this run tests: it makes its own throwaway database.
    tiny = {"peak_seconds": 1, "paced_seconds": 1, "batches": 1, "insight_calls": 3, "mixed_seconds": 2, "agents": 2,
            "growth": (4_000, 5_000, 6_000), "growth_calls": 2, "growth_seconds": 1}
    monkeypatch.setitem(suite.SIZES, "tiny", tiny)
    rows = suite.run(PG_SERVER, "tiny", only={"growth"})
    sizes = sorted({int(r["scenario"].split(" at ")[1].split(" rows")[0].replace(",", "")) for r in rows})
    assert len(sizes) == 3 and sizes[-1] >= 6_000
    pages = [r for r in rows if r["metric"].startswith("pages touched per entry of the agent")]
    assert len(pages) == 3 and all(r["value"] > 0 for r in pages)
    assert pages[-1]["target"] == "<= 5 (index descents)" and pages[0]["target"] is None
    assert len([r for r in rows if r["metric"] == "those queries in PostgreSQL (EXPLAIN ANALYZE)"]) == 3
