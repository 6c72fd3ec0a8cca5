"""Reminders of both parties as rows: planned with each change, claimed when due, delivered to the in-app inbox.

A reminder records what it was planned for (the appointment's start, the follow-up day) and is
checked again when it is sent, so a cancelled or moved appointment never sends a stale reminder.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from wellbeing.core.db import write_intent
from wellbeing.counseling.common import hr_can_see
from wellbeing.counseling.messages import appointment_text, follow_up_text
from wellbeing.models import CounselingAppointment, CounselingCase, CounselingReminder, User

OFFSETS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}
REMINDED_STATES = ("proposed", "accepted")
FOLLOW_UP_AT = time(9, 0)  # local time of the follow-up nudge on its day, in the recipient's zone


def _pending(session: Session, **where) -> list[CounselingReminder]:
    stmt = select(CounselingReminder).where(CounselingReminder.status == "pending")
    for column, value in where.items():
        stmt = stmt.where(getattr(CounselingReminder, column) == value)
    return list(session.scalars(stmt))


def sync_appointment_reminders(session: Session, appointment: CounselingAppointment, case: CounselingCase,
                               now: datetime) -> None:
    """Make the pending reminders match the appointment: 24 h and 1 h before, to the agent and the counselor.

    Reminders whose moment has already passed are not planned; an appointment that can no longer
    happen as planned (declined, cancelled, awaiting a new time, over) keeps none.
    """
    wanted: dict[tuple[str, str], datetime] = {}
    if appointment.state in REMINDED_STATES:
        for kind, offset in OFFSETS.items():
            due = appointment.starts_at - offset
            if due > now:
                for recipient in (case.user_id, appointment.counselor_id):
                    wanted[(recipient, kind)] = due
    for reminder in _pending(session, appointment_id=appointment.id):
        key = (reminder.recipient_id, reminder.kind)
        if wanted.get(key) == reminder.due_at and reminder.for_starts_at == appointment.starts_at:
            del wanted[key]
        else:
            reminder.status = "cancelled"
    session.flush()  # out of 'pending' before the replacements meet the partial unique index
    for (recipient, kind), due in wanted.items():
        session.add(CounselingReminder(case_id=case.id, appointment_id=appointment.id, recipient_id=recipient,
                                       kind=kind, due_at=due, for_starts_at=appointment.starts_at, created_at=now))


def sync_follow_up_reminder(session: Session, case: CounselingCase, hr: User | None, now: datetime) -> None:
    """One pending nudge to ``hr`` at 09:00 of the follow-up day in their zone, or none once the case is closed."""
    wanted = case.status == "open" and case.next_follow_up_on is not None and hr is not None
    for reminder in _pending(session, case_id=case.id, kind="follow_up"):
        if wanted and reminder.for_date == case.next_follow_up_on and reminder.recipient_id == hr.id:
            return
        reminder.status = "cancelled"
    session.flush()
    if wanted:
        due = datetime.combine(case.next_follow_up_on, FOLLOW_UP_AT, tzinfo=ZoneInfo(hr.timezone))
        session.add(CounselingReminder(case_id=case.id, recipient_id=hr.id, kind="follow_up",
                                       due_at=max(due, now), for_date=case.next_follow_up_on, created_at=now))


def due_reminders(session: Session, now: datetime, limit: int) -> list[CounselingReminder]:
    """Claim up to ``limit`` pending reminders due by ``now``, oldest first.

    On PostgreSQL the rows are locked and rows another process holds are skipped
    (FOR UPDATE SKIP LOCKED), so several schedulers never claim the same reminder; on
    SQLite call it inside ``write_intent()`` so claimers take turns.
    """
    stmt = (select(CounselingReminder)
            .where(CounselingReminder.status == "pending", CounselingReminder.due_at <= now)
            .order_by(CounselingReminder.due_at, CounselingReminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True))
    return list(session.scalars(stmt))


def mark_sent(reminder: CounselingReminder, message: str, now: datetime) -> None:
    """The reminder is delivered: it is now an item of the recipient's inbox."""
    reminder.status = "sent"
    reminder.message = message
    reminder.sent_at = now


def _message_if_still_due(session: Session, reminder: CounselingReminder, now: datetime) -> str | None:
    """The text to send, or None when what the reminder was planned for no longer holds."""
    case = session.get(CounselingCase, reminder.case_id)
    recipient = session.get(User, reminder.recipient_id)
    agent = session.get(User, case.user_id)
    if not recipient.active:
        return None  # a deactivated account gets nothing more
    if recipient.id != agent.id and not hr_can_see(session, case):
        return None
    if reminder.kind == "follow_up":
        if case.status != "open" or case.next_follow_up_on != reminder.for_date:
            return None
        return follow_up_text(recipient.locale, reminder.for_date, agent.name)
    appointment = session.get(CounselingAppointment, reminder.appointment_id)
    if (appointment.state not in REMINDED_STATES or appointment.starts_at != reminder.for_starts_at
            or now >= appointment.starts_at):
        return None
    role = "agent" if recipient.id == agent.id else "counselor"
    return appointment_text(recipient.locale, role, appointment.state, appointment.starts_at, recipient.timezone,
                            appointment.mode, appointment.location, agent.name)


def send_counseling_reminders(session: Session, now: datetime, batch_size: int = 200) -> dict[str, int]:
    """The scheduler job: deliver every due reminder to its recipient's inbox, skip the stale ones.

    Each batch is claimed and settled in one transaction, so a crash re-delivers at most that batch.
    """
    counts = {"sent": 0, "skipped": 0}
    while True:
        with write_intent():
            batch = due_reminders(session, now, batch_size)
            for reminder in batch:
                message = _message_if_still_due(session, reminder, now)
                if message is None:
                    reminder.status = "skipped"
                    counts["skipped"] += 1
                else:
                    mark_sent(reminder, message, now)
                    counts["sent"] += 1
            session.commit()
        if len(batch) < batch_size:
            return counts


def inbox_query(user_id: str) -> Select:
    """The reminders delivered to a user (paginate by ``sent_at``)."""
    return select(CounselingReminder).where(CounselingReminder.recipient_id == user_id,
                                            CounselingReminder.status == "sent")
