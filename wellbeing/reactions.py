"""Every cross-feature reaction, in one place: what happens in one feature because of a change in another.

| announced by    | event              | reaction                                                             |
|-----------------|--------------------|----------------------------------------------------------------------|
| org.users       | WorkingTimeChanged | prompts: replan the agent's coming prompts in the new hours          |
| org.users       | WorkingTimeChanged | diary: a new zone rebuilds the agent's daily roll-up in local days    |
| shifts.imports  | ShiftsChanged      | prompts: replan the agent's coming prompts in the imported shifts    |
| prompts.calls   | ToughCallPromptPlanned | contact_centre: a recovery break with the breathing prompt (opted in) |
| org.consents    | ConsentWithdrawn   | counseling: withdrawing hr_followup closes the cases it opened       |
| assessments     | AssessmentRecorded | risk: a new snapshot; counseling: alerts open an HR case (consented) |
| assessments     | AssessmentRecorded | prompts: the answered instrument's questionnaire reminder is settled |

Diary changes reach the risk model on a schedule, not per entry: the scheduler's hourly job
``refresh_diary_risk`` (wellbeing.risk.snapshots) recomputes everyone whose 14-day diary window changed, so the
phone's hot path (POST /diary) writes one row and nothing else.

Importing this module registers the reactions; the app factory does so (a missing registration makes
``announce`` raise rather than skip a reaction).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wellbeing.assessments.events import AssessmentRecorded
from wellbeing.contact_centre.recovery import request_recovery
from wellbeing.core.reactions import on
from wellbeing.diary import rollup as diary_rollup
from wellbeing.counseling.cases import open_case_from_alert
from wellbeing.counseling.withdrawal import close_cases_on_withdrawal
from wellbeing.models import Assessment, User
from wellbeing.org.events import ConsentWithdrawn, WorkingTimeChanged
from wellbeing.prompts.events import ToughCallPromptPlanned
from wellbeing.prompts.planner import replan_agent
from wellbeing.prompts.reminders import withdraw_reminders
from wellbeing.risk.snapshots import snapshot_risk
from wellbeing.shifts.events import ShiftsChanged


@on(WorkingTimeChanged)
def replan_prompts(session: Session, event: WorkingTimeChanged) -> None:
    """Prompts follow the agent's clock: a new zone or new hours replans the coming ones now."""
    replan_agent(session, event.user, event.now)


@on(WorkingTimeChanged)
def rebuild_diary_rollup(session: Session, event: WorkingTimeChanged) -> None:
    """The diary's roll-up sums local days and hours: in a new zone it is summed again (a few ms a year)."""
    diary_rollup.rebuild(session, [event.user.id])


@on(ShiftsChanged)
def replan_prompts_on_shifts(session: Session, event: ShiftsChanged) -> None:
    """Imported shifts are the agent's working time: a changed shift replans the coming prompts now."""
    replan_agent(session, event.user, event.now)


@on(ToughCallPromptPlanned)
def recovery_break_with_the_prompt(session: Session, event: ToughCallPromptPlanned) -> None:
    """The breathing prompt after a tough-call run goes with a recovery break, where the organization and the
    agent chose them (the platform takes the agent out of the queue for a few minutes)."""
    request_recovery(session, event.user, event.prompt_id, event.now)


@on(ConsentWithdrawn)
def close_consented_cases(session: Session, event: ConsentWithdrawn) -> None:
    """Withdrawing hr_followup takes effect at once: the cases it opened close, their appointments are cancelled."""
    if event.consent == "hr_followup":
        close_cases_on_withdrawal(session, event.user_id, event.now)


@on(AssessmentRecorded)
def refresh_risk_and_route_alerts(session: Session, event: AssessmentRecorded) -> None:
    """A new result recomputes the agent's risk; its alerts are routed with the risk level it produced."""
    snapshot = snapshot_risk(session, event.user.id, event.now)
    if event.assessment.alerts:
        route_alerts(session, event.user, event.assessment, snapshot.level, event.now)


@on(AssessmentRecorded)
def settle_questionnaire_reminder(session: Session, event: AssessmentRecorded) -> None:
    """Answering an instrument withdraws its reminder: unsent it expires, delivered it counts as completed."""
    withdraw_reminders(session, event.user.id, event.assessment.instrument_id, event.now)


def route_alerts(session: Session, user: User, assessment: Assessment, risk_level: str | None,
                 now: datetime) -> None:
    """Where a new result's alerts go: the one routing point, inside the result's transaction.

    The support block always goes to the agent. HR hears of it only when the agent consented to
    hr_followup: then an HR follow-up case is opened (at most one open alert case at a time), with the
    risk level at opening; without consent nothing leaves the agent's record.
    """
    assessment.support_offered_at = now
    open_case_from_alert(session, user, "questionnaire_alert", risk_level, now)
