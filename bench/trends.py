"""Benchmark of the team trends: the release job, trend reads and charts, against plain SELECTs of the same rows.

Run: `python -m bench.trends [DATABASE_URL] [--size small|default|issue]` (an empty database: it is migrated and
filled here). Prints a table and writes bench/results/trends-<date>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

SIZES = {  # agents, teams, months of history
    "small": (400, 24, 3),
    "default": (2_000, 120, 12),
    "issue": (10_000, 600, 12),
}
NOW = datetime(2026, 12, 3, 3, tzinfo=timezone.utc)
READS = 300
PASSWORD = "bench-password-123"


def _app(database_url: str):
    os.environ.setdefault("PASSWORD_HASH_COST", "low")
    from api import create_app
    from api.config import Config
    from wellbeing.core.crypto import generate_key

    env = {"DATABASE_URL": database_url, "INSTANCE_PATH": tempfile.mkdtemp(), "DATA_KEYS": generate_key("bench"),
           "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hmac-sha256", "PASSWORD_HASH_COST": "low",
           "RATELIMIT_DISABLED": "1"}
    return create_app(Config(env))


def _fill(session, agents: int, teams: int, months: int) -> tuple[str, list[str], str]:
    """An organization of `teams` teams (sizes 3..~2x mean), consenting agents with a risk snapshot every ~10 days."""
    from wellbeing.org import passwords
    from wellbeing.core.db import new_id
    from wellbeing.models import (Consent, ConsentChange, Organization, RiskSnapshot, Team, TeamMembership,
                                  TeamSupervisor, User)

    rng = random.Random(1)
    since = NOW - timedelta(days=31 * months + 5)
    org = Organization(id=new_id(), name="Bench", timezone="Asia/Shanghai", help_lines=[], created_at=since)
    session.add(org)
    team_ids = [new_id() for _ in range(teams)]
    session.execute(insert(Team), [{"id": t, "org_id": org.id, "name": f"Team {i}", "created_at": since}
                                   for i, t in enumerate(team_ids)])
    supervisor = new_id()
    session.execute(insert(User), [{"id": supervisor, "org_id": org.id, "email": "lead@bench.test", "name": "Lead",
                                    "role": "supervisor", "password_hash": passwords.hash_password(PASSWORD),
                                    "timezone": "UTC", "locale": "en", "work_hours": {}, "created_at": since}])
    session.execute(insert(TeamSupervisor), [{"team_id": t, "user_id": supervisor, "created_at": since}
                                             for t in team_ids])
    weights = [rng.choice((0.2, 0.6, 1, 1, 1.5, 2)) for _ in team_ids]
    users, members, consents, changes, snapshots = [], [], [], [], []
    for n in range(agents):
        uid = new_id()
        users.append({"id": uid, "org_id": org.id, "email": f"a{n}@bench.test", "name": f"A{n}", "role": "agent",
                      "password_hash": "x", "timezone": "UTC", "locale": "en", "work_hours": {}, "created_at": since})
        members.append({"user_id": uid, "team_id": rng.choices(team_ids, weights)[0], "valid_from": since})
        consents.append({"user_id": uid, "team_aggregates": True, "hr_followup": False, "policy_version": "1",
                         "updated_at": since})
        changes.append({"id": new_id(), "user_id": uid, "consent": "team_aggregates", "granted": True,
                        "policy_version": "1", "changed_at": since})
        at, base = since + timedelta(hours=rng.randint(1, 200)), rng.uniform(20, 80)
        while at < NOW:
            score = round(min(max(rng.gauss(base, 10), 0), 100), 1)
            snapshots.append({"user_id": uid, "computed_at": at, "level": "moderate", "score": score,
                              "unrounded_score": score, "factors": [], "flags": [], "confidence": 1.0,
                              "model_version": "bench", "inputs": {}, "expires_at": at + timedelta(days=35)})
            at += timedelta(days=rng.uniform(5, 15))
    for model, rows in ((User, users), (TeamMembership, members), (Consent, consents), (ConsentChange, changes),
                        (RiskSnapshot, snapshots)):
        for start in range(0, len(rows), 5_000):
            session.execute(insert(model), rows[start:start + 5_000])
    session.commit()
    return org.id, team_ids, supervisor


def _row(scenario, metric, value, unit, baseline, baseline_value, target, met):
    ratio = round(value / baseline_value, 2) if baseline_value else None
    return {"scenario": scenario, "metric": metric, "value": round(value, 3), "unit": unit, "baseline": baseline,
            "baseline_value": None if baseline_value is None else round(baseline_value, 3), "ratio": ratio,
            "target": target, "met": met}


def _percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def run(database_url: str, size: str = "default") -> list[dict]:
    """Fill an empty database, release, read and draw; return the result rows."""
    from flask_migrate import upgrade

    from wellbeing.core.db import db
    from wellbeing.models import Organization, TrendCell
    from wellbeing.trends import charts
    from wellbeing.trends.inputs import person_records
    from wellbeing.trends.periods import due_months
    from wellbeing.trends.release import release_due_periods

    agents, teams, months = SIZES[size]
    app = _app(database_url)
    results = []
    with app.app_context():
        upgrade()
        session = db.session
        org_id, team_ids, _ = _fill(session, agents, teams, months)
        org = session.get(Organization, org_id)
        periods = due_months(NOW - timedelta(days=31 * months + 5), NOW, ZoneInfo(org.timezone), None)
        # Baseline: the exact, non-private per-person aggregation of the same months (what a naive product runs).
        started = time.perf_counter()
        for period in periods:
            person_records(session, org_id, period.start, period.end)
        session.commit()
        naive = time.perf_counter() - started
        last = periods[-1]
        started = time.perf_counter()
        counts = release_due_periods(session, org_id, NOW, until=last.first)
        history = time.perf_counter() - started
        started = time.perf_counter()
        release_due_periods(session, org_id, NOW)
        one_month = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        again = release_due_periods(session, org_id, NOW)
        idle = time.perf_counter() - started
        results += [
            _row("release", f"all but the last month ({len(periods) - 1} months, {sum(counts.values())} figures)",
                 history, "s", "exact per-person aggregation of every month", naive, None, None),
            _row("release", "the last month (incl. its weeks)", one_month, "s", "exact aggregation, per month",
                 naive / len(periods), "< 60 s", one_month < 60),
            _row("release", "second run (nothing due)", idle, "s", None, None, "publishes nothing", again == {}),
            _row("release", "peak RSS of the process", peak_mb, "MB", None, None, None, None),
        ]
        session.remove()
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": "lead@bench.test", "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    rng = random.Random(3)
    read_ms, select_ms = [], []
    with app.app_context():
        for _ in range(READS):
            team = rng.choice(team_ids)
            started = time.perf_counter()
            response = client.get(f"/api/v1/teams/{team}/trends?metric=burnout_risk", headers=headers)
            read_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.json
            started = time.perf_counter()
            db.session.execute(select(TrendCell).where(TrendCell.org_id == org_id, TrendCell.cell == team,
                                                       TrendCell.metric == "burnout_risk")
                               .order_by(TrendCell.period_start)).all()
            db.session.rollback()
            select_ms.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    p50, p99 = _percentile(read_ms, 50), _percentile(read_ms, 99)
    results += [
        _row("trends read", "GET /teams/{id}/trends p50", p50, "ms", "plain SELECT of the same rows p50",
             _percentile(select_ms, 50), None, None),
        _row("trends read", "GET /teams/{id}/trends p99", p99, "ms", "plain SELECT of the same rows p99",
             _percentile(select_ms, 99), "< 20 ms", p99 < 20),
    ]
    cold, warm, not_modified = [], [], []
    with charts._LOCK:
        charts._CACHE.clear()
    for team in team_ids[:10]:
        url = f"/api/v1/teams/{team}/trends.png"
        started = time.perf_counter()
        first = client.get(url, headers=headers)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        client.get(url, headers=headers)
        warm.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        second = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
        not_modified.append((time.perf_counter() - started) * 1000)
        assert first.status_code == 200 and second.status_code == 304
    results += [
        _row("chart", "PNG cold, first in the process (fonts load)", cold[0], "ms", "trends JSON read p50", p50,
             None, None),
        _row("chart", "PNG cold (median of 10 teams)", statistics.median(cold), "ms", "trends JSON read p50", p50,
             "< 300 ms", statistics.median(cold) < 300),
        _row("chart", "PNG cold (max of the 9 after the first)", max(cold[1:]), "ms", "trends JSON read p50", p50,
             "< 300 ms", max(cold[1:]) < 300),
        _row("chart", "PNG warm, cached (median)", statistics.median(warm), "ms", "trends JSON read p50", p50,
             None, None),
        _row("chart", "304 on a matching ETag (median)", statistics.median(not_modified), "ms",
             "trends JSON read p50", p50, "304", True),
    ]
    return results


def _table(rows: list[dict]) -> str:
    lines = [f"{'scenario':<12} {'metric':<58} {'value':>10} {'unit':<4} {'baseline':>10} {'ratio':>7}  target"]
    for r in rows:
        base = "" if r["baseline_value"] is None else r["baseline_value"]
        met = "" if r["met"] is None else ("met" if r["met"] else "NOT MET")
        lines.append(f"{r['scenario']:<12} {r['metric'][:58]:<58} {r['value']:>10} {r['unit']:<4} {base!s:>10} "
                     f"{'' if r['ratio'] is None else r['ratio']!s:>7}  {r['target'] or ''} {met}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", nargs="?", default=None, help="an empty database (default: a temp SQLite)")
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench-trends.db"
    rows = run(url, args.size)
    print(_table(rows))
    out = Path(__file__).parent / "results" / f"trends-{date.today().isoformat()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"size": args.size, "sizes": SIZES[args.size], "database": url.split(":")[0],
                               "results": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
