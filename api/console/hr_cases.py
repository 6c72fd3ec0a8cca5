"""HR's case page (GET /counseling/cases/{id}) and its actions: notes, follow-up date, closing, appointments.

Times are typed in HR's own time zone and sent to the API in UTC; the API checks every rule
(consent, transitions, the counselor's calendar) and its refusals are shown next to the form.
"""
from __future__ import annotations

from flask import flash, g, redirect, url_for

from api.console import bp, forms
from api.console.counseling_labels import (
    ACTORS, APPOINTMENT_STATES, CASE_STATUSES, DURATIONS, EVENTS, MODES, OPENED_BY, PURPOSE, REASONS, label,
    local_input, utc_from_local,
)
from api.console.i18n import N_, gettext
from api.console.pages import api, api_failure, fetch, form_errors, form_failed, render, segment, signed_in

ACTIVE_STATES = ("proposed", "accepted", "reschedule_requested")
OUTCOMES = {"cancelled": N_("Appointment cancelled."), "completed": N_("Appointment recorded as completed."),
            "no_show": N_("Appointment recorded as a no-show.")}


def _case_path(case_id: str) -> str:
    return f"/counseling/cases/{segment(case_id)}"


def case_page(case_id: str, status: int = 200, errors: dict | None = None, form: dict | None = None,
              failed: str = ""):
    """The case with its appointments and history; ``failed`` names the form whose ``errors`` are shown."""
    case = fetch(_case_path(case_id), {"purpose": PURPOSE})
    zone = g.me["timezone"]
    appointments = [{**a, "state_label": label(APPOINTMENT_STATES, a["state"]), "mode_label": label(MODES, a["mode"]),
                     "active": a["state"] in ACTIVE_STATES, "starts_input": local_input(a["starts_at"], zone),
                     "durations": _durations(a["duration_minutes"])} for a in case["appointments"]]
    history = [{**event, "label": label(EVENTS, event["kind"]), "actor": label(ACTORS, event["actor_role"])}
               for event in reversed(case["history"])]
    return render("console/hr/case.html", status, case=case, appointments=appointments, history=history,
                  status_label=label(CASE_STATUSES, case["status"]), opened_by=label(OPENED_BY, case["opened_by"]),
                  reason_label=label(REASONS, case["reason_category"]) if case["reason_category"] else "",
                  errors=errors or {}, failed=failed, form=form or {"duration_minutes": "45", "mode": "video"},
                  mode_options=[(k, gettext(v)) for k, v in MODES.items()],
                  duration_options=_durations(),
                  request_id=forms.new_client_id(), active="console.hr_cases")


def _durations(current: int | None = None) -> list[tuple[str, str]]:
    """Duration choices, with an appointment's own length among them (the API allows any from 10 to 240)."""
    minutes = sorted({*DURATIONS, *([current] if current else [])})
    return [(str(m), gettext("%(minutes)s minutes", minutes=m)) for m in minutes]


def _answer(result, case_id: str, done: str, failed: str, form: dict | None = None, **values):
    if result.ok:
        flash(gettext(done, **values), "success")
        return redirect(url_for(".hr_case", case_id=case_id))
    if form_failed(result):
        return case_page(case_id, result.status, form_errors(result), form, failed)
    return api_failure(result)


def _when(failed: str, case_id: str, form: dict):
    """The form's local date-time in UTC, or the page again with a readable error."""
    starts_at = utc_from_local(form.get("starts_at", ""), g.me["timezone"])
    if starts_at is None:
        errors = {"starts_at": [gettext("Enter a date and time, for example 2026-12-04 09:30.")]}
        return None, case_page(case_id, 422, errors, form, failed)
    return starts_at, None


@bp.get("/hr/cases/<case_id>")
@signed_in("hr")
def hr_case(case_id: str):
    """One case: the agent's reason where the API discloses it, appointments, history, notes and actions."""
    return case_page(case_id)


@bp.post("/hr/cases/<case_id>/notes")
@signed_in("hr")
def hr_case_notes(case_id: str):
    """Save HR's notes (never shown to the agent)."""
    result = api().patch(_case_path(case_id), {"hr_notes": forms.text("hr_notes") or None}, {"purpose": PURPOSE})
    return _answer(result, case_id, N_("Notes saved."), "notes")


@bp.post("/hr/cases/<case_id>/follow-up")
@signed_in("hr")
def hr_case_follow_up(case_id: str):
    """Set or clear the next follow-up date."""
    day = forms.text("next_follow_up_on") or None
    result = api().patch(_case_path(case_id), {"next_follow_up_on": day}, {"purpose": PURPOSE})
    done = N_("Next follow-up set for %(day)s.") if day else N_("Next follow-up cleared.")
    return _answer(result, case_id, done, "follow-up", day=day)


@bp.post("/hr/cases/<case_id>/close")
@signed_in("hr")
def hr_case_close(case_id: str):
    """Close the case (the API refuses while an appointment is still open)."""
    result = api().patch(_case_path(case_id), {"status": "closed"}, {"purpose": PURPOSE})
    return _answer(result, case_id, N_("Case closed."), "close")


@bp.post("/hr/cases/<case_id>/appointments")
@signed_in("hr")
def hr_propose(case_id: str):
    """Propose an appointment (idempotent on the form's id); the agent answers in their app."""
    form = forms.present("starts_at", "duration_minutes", "mode", "location")
    starts_at, refused = _when("propose", case_id, form)
    if refused:
        return refused
    body = {**form, "id": forms.client_id(), "starts_at": starts_at}
    result = api().post(f"{_case_path(case_id)}/appointments", body, {"purpose": PURPOSE})
    return _answer(result, case_id, N_("Appointment proposed. The agent is asked to accept it."), "propose", form)


@bp.post("/hr/cases/<case_id>/appointments/<appointment_id>/reschedule")
@signed_in("hr")
def hr_reschedule(case_id: str, appointment_id: str):
    """Move an appointment to a new time (it goes back to the agent as proposed)."""
    form = forms.present("starts_at", "duration_minutes")
    starts_at, refused = _when(f"reschedule-{appointment_id}", case_id, form)
    if refused:
        return refused
    result = api().patch(f"/counseling/appointments/{segment(appointment_id)}", {**form, "starts_at": starts_at},
                         {"purpose": PURPOSE})
    return _answer(result, case_id, N_("Appointment moved. The agent is asked to accept the new time."),
                   f"reschedule-{appointment_id}", form)


@bp.post("/hr/cases/<case_id>/appointments/<appointment_id>/outcome")
@signed_in("hr")
def hr_outcome(case_id: str, appointment_id: str):
    """Cancel an appointment, or record it as completed or a no-show."""
    state = forms.text("state")
    if state not in OUTCOMES:
        return case_page(case_id, 422, {"_form": [gettext("Choose cancelled, completed or no-show.")]}, None,
                         f"outcome-{appointment_id}")
    result = api().patch(f"/counseling/appointments/{segment(appointment_id)}", {"state": state}, {"purpose": PURPOSE})
    return _answer(result, case_id, OUTCOMES[state], f"outcome-{appointment_id}")
