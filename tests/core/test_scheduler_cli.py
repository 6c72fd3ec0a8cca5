"""`flask --app wsgi scheduler --once`: every job runs once and the process exits."""
from __future__ import annotations

from api.scheduler import JOBS


def test_scheduler_once_runs_every_job_and_exits(flask_cli):
    flask_cli("db", "upgrade")
    flask_cli("seed-demo", "--agents", "6", "--teams", "1", "--months", "0")
    result = flask_cli("scheduler", "--once")
    assert [job.name for job in JOBS] == ["plan_prompts", "plan_reminders", "dispatch_prompts", "expire_prompts",
                                          "counseling_reminders", "retention_purge", "refresh_diary_risk", "refresh_stale_risk",
                                          "release_trends", "send_account_mail"]
    assert "plan_prompts: {'agents': 6" in result.stderr and "plan_reminders: {'agents': 6" in result.stderr and "failed" not in result.stderr
