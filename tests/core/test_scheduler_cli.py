"""`flask --app wsgi scheduler --once`: every job runs once and the process exits."""
from __future__ import annotations

from api.scheduler import JOBS


def test_scheduler_once_runs_every_job_and_exits(flask_cli):
    flask_cli("db", "upgrade")
    flask_cli("seed-demo", "--agents", "6", "--teams", "1", "--months", "0")
    result = flask_cli("scheduler", "--once")
    assert [job.name for job in JOBS] == ["plan_prompts", "plan_reminders", "dispatch_prompts", "recovery_breaks",
                                          "refresh_shift_feeds", "expire_prompts",
                                          "counseling_reminders", "retention_purge", "refresh_diary_risk", "refresh_stale_risk",
                                          "release_trends", "send_account_mail"]
    # The demo's first team (here every agent) was planned already when its iCalendar shifts were imported
    assert "plan_prompts: {'agents': 0" in result.stderr and "plan_reminders: {'agents': 6" in result.stderr
    assert "recovery_breaks: {'applied': 0" in result.stderr and "refresh_shift_feeds: {'unchanged': 0" in result.stderr
    assert "failed" not in result.stderr
