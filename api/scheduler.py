"""The scheduler process: a handful of fixed interval jobs over rows, never one job per user.

``flask --app wsgi scheduler`` runs them with APScheduler until SIGTERM or SIGINT; ``--once`` runs
each job once and exits (tests, cron). Every job is ``function(session, now)`` and is safe with
several scheduler processes running: claims are leases taken with SKIP LOCKED, inserts skip
existing unique keys.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy.orm import Session

from api.core.keyring import keyring
from api.org.mail import send_account_mail
from api.prompts.push import push_channel
from wellbeing.core.clock import utcnow
from wellbeing.contact_centre.recovery import connector_factory, run_due
from wellbeing.counseling.reminders import send_counseling_reminders
from wellbeing.data_rights import purge_expired
from wellbeing.core.db import db
from wellbeing.risk.snapshots import refresh_diary_risk, refresh_stale_risk
from wellbeing.prompts.dispatch import dispatch_due, expire_stale
from wellbeing.prompts.planner import top_up_plans
from wellbeing.prompts.reminders import plan_reminders
from wellbeing.shifts.feeds import refresh_feeds
from wellbeing.trends.release import release_job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job: its name, how often it runs and what it does."""

    name: str
    seconds: int
    run: Callable[[Session, datetime], object]


def dispatch_prompts(session: Session, now: datetime) -> dict[str, int]:
    """Deliver due prompts through the app's channel settings."""
    lease = timedelta(seconds=current_app.config["PROMPT_CLAIM_LEASE_SECONDS"])
    return dispatch_due(session, now, push_channel(), lease=lease)


def run_recovery_breaks(session: Session, now: datetime) -> dict[str, int]:
    """Apply due recovery breaks and restore finished ones through each organization's connector."""
    endpoints = {"amazon_connect": current_app.config["AMAZON_CONNECT_ENDPOINT_URL"],
                 "genesys_login": current_app.config["GENESYS_LOGIN_URL"],
                 "genesys_api": current_app.config["GENESYS_API_URL"]}
    factory = connector_factory(keyring(), endpoints, current_app.config["ALLOW_PRIVATE_WEBHOOKS"])
    return run_due(session, now, factory)


def refresh_shift_feeds(session: Session, now: datetime) -> dict[str, int]:
    """Read the due iCalendar shift feeds (conditional GET) and import what changed."""
    return refresh_feeds(session, now, keyring(), current_app.config["ALLOW_PRIVATE_WEBHOOKS"])


JOBS: list[Job] = [
    Job("plan_prompts", 60, top_up_plans),
    Job("plan_reminders", 900, plan_reminders),
    Job("dispatch_prompts", 1, dispatch_prompts),
    Job("recovery_breaks", 2, run_recovery_breaks),
    Job("refresh_shift_feeds", 300, refresh_shift_feeds),
    Job("expire_prompts", 15, expire_stale),
    Job("counseling_reminders", 60, send_counseling_reminders),
    Job("retention_purge", 3600, purge_expired),
    Job("refresh_diary_risk", 3600, refresh_diary_risk),
    Job("refresh_stale_risk", 3600, refresh_stale_risk),
    Job("release_trends", 3600, release_job),
    Job("send_account_mail", 10, send_account_mail),
]


def did_work(result: object) -> bool:
    """Whether a job's result reports work done: a count above zero somewhere (``{"sent": 0}`` is nothing)."""
    if isinstance(result, bool):
        return result
    if isinstance(result, (int, float)):
        return result != 0
    if isinstance(result, dict):
        return any(did_work(value) for value in result.values())
    if isinstance(result, (list, tuple, set)):
        return any(did_work(value) for value in result) if all(isinstance(v, (int, float, dict)) for v in result) \
            else bool(result)
    return bool(result)


def run_job(app: Flask, job: Job) -> None:
    """One run of a job in its own app context and session: one line when it did work or failed, else silence."""
    with app.app_context():
        try:
            result = job.run(db.session, utcnow())
            if did_work(result):
                log.info("%s: %s", job.name, result)
        except Exception:
            db.session.rollback()
            log.exception("scheduler job %s failed", job.name)
        finally:
            db.session.remove()


def run_once(app: Flask) -> None:
    """Every job once, in order."""
    for job in JOBS:
        run_job(app, job)


def quiet_apscheduler(app: Flask) -> None:
    """APScheduler logs two lines per run of every job (dispatch runs each second): WARNING unless configured."""
    logging.getLogger("apscheduler").setLevel(app.config.get("APSCHEDULER_LOG_LEVEL", "WARNING"))


def run_forever(app: Flask) -> None:
    """The jobs on their intervals until SIGTERM or SIGINT; a running job finishes before the exit."""
    from apscheduler.schedulers.background import BackgroundScheduler

    quiet_apscheduler(app)

    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    for job in JOBS:
        scheduler.add_job(run_job, "interval", seconds=job.seconds, args=(app, job), id=job.name,
                          next_run_time=utcnow())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scheduler.start()
    log.info("scheduler running %s", ", ".join(job.name for job in JOBS))
    stop.wait()
    scheduler.shutdown(wait=True)
    log.info("scheduler stopped")
