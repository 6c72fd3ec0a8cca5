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
    # The demo's first team (here every agent) was planned already when its iCalendar shifts were imported;
    # a job that found nothing to do logs nothing
    assert "plan_reminders: {'agents': 6" in result.stderr and "failed" not in result.stderr


def test_a_job_logs_a_line_only_when_it_did_work_or_failed(app, caplog):
    """`make run`'s terminal stays readable: no line for the dispatcher's empty run every second."""
    import logging

    from api.scheduler import Job, did_work, run_job

    assert not did_work({"claimed": 0, "sent": 0, "failed": 0}) and not did_work(0) and not did_work(None)
    assert did_work({"claimed": 1, "sent": 0}) and did_work({"agents": {"planned": 2}}) and did_work(3)
    with caplog.at_level(logging.INFO, logger="api.scheduler"):
        run_job(app, Job("idle", 1, lambda session, now: {"claimed": 0, "sent": 0}))
        run_job(app, Job("busy", 1, lambda session, now: {"claimed": 2, "sent": 2}))
        run_job(app, Job("broken", 1, lambda session, now: 1 / 0))
    lines = [record.getMessage() for record in caplog.records if record.name == "api.scheduler"]
    assert lines == ["busy: {'claimed': 2, 'sent': 2}", "scheduler job broken failed"]


def test_apschedulers_own_logger_is_quiet_by_default(app):
    import logging

    from api.scheduler import quiet_apscheduler

    logging.getLogger("apscheduler").setLevel(logging.INFO)
    quiet_apscheduler(app)
    assert logging.getLogger("apscheduler").level == logging.WARNING
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
