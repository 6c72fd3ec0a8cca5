"""Secrets and what agents write never reach the logs, even with every logger (SQLAlchemy's too) at DEBUG.

A full flow runs with all logging captured: sign-ins (right and wrong passwords), an admin creating an account
with a password, diary entries with notes (single, batch, edit, a refused one), an assessment, a self-referral
with a reason, HR reading and annotating the case, a console sign-in, token refresh. Then the captured text is
searched for every password, token, note, reason and HR note used.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
import uuid
from datetime import timedelta

from tests.conftest import now_utc
from tests.console.helpers import browser, sign_in
from tests.helpers import PASSWORD, TEMPORARY_PASSWORD
from tests.org.accounts_helpers import last_token

API = "/api/v1"
MARK = uuid.uuid4().hex[:8]
NEW_PASSWORD = f"new-agent-pass-{MARK}"
WRONG_PASSWORD = f"wrong-pass-{MARK}"
RESET_PASSWORD = f"reset-agent-pass-{MARK}"
NOTES = [f"log-note-{MARK}-single", f"log-note-{MARK}-batch 批量", f"log-note-{MARK}-edited", f"log-note-{MARK}-refused"]
REASON = f"log-reason-{MARK} cannot sleep"
HR_NOTE = f"log-hr-note-{MARK} call on Monday"


@contextmanager
def _unlogged():
    """The test's own reads of the mail outbox (SQLAlchemy logs result rows at DEBUG) stay out of the capture."""
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _everything(caplog) -> str:
    """All captured log text: formatted messages, raw args and exception text."""
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def test_full_flow_logs_no_password_token_note_or_reason(app, world, caplog, session):
    # Every logger at DEBUG, including those alembic.ini pins to WARN (sqlalchemy: SQL with its parameters).
    caplog.set_level(logging.DEBUG)
    for name in ["sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    client = world.client
    secrets = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, TEMPORARY_PASSWORD, RESET_PASSWORD, REASON, HR_NOTE, *NOTES]
    tokens = []

    # Password-bearing requests: a wrong one, a right one, an account created with a temporary password that its
    # owner replaces, a reset through a mailed link, an invitation (its link is in the outbox).
    assert client.post(f"{API}/auth/token", json={"email": world.emails["agent"], "password": WRONG_PASSWORD}).status_code == 401
    admin = world.as_("admin")
    email = f"logger-{MARK}@a.test"
    created = client.post(f"{API}/users", headers=admin, json={
        "email": email, "name": "Logger", "role": "agent", "password": TEMPORARY_PASSWORD, "team_id": world.team_a})
    assert created.status_code == 201, created.json
    assert client.post(f"{API}/auth/password-change", json={
        "email": email, "password": TEMPORARY_PASSWORD, "new_password": RESET_PASSWORD}).status_code == 200
    assert client.post(f"{API}/auth/password-reset", json={"email": email}).status_code == 202
    with _unlogged():
        reset_token = last_token(session, email, "reset-password")
    assert client.post(f"{API}/auth/password-reset/confirm",
                       json={"token": reset_token, "new_password": NEW_PASSWORD}).status_code == 204
    invited = client.post(f"{API}/users", headers=admin, json={"email": f"invited-{MARK}@a.test", "name": "I", "role": "hr"})
    assert invited.status_code == 201, invited.json
    with _unlogged():
        tokens += [reset_token, last_token(session, f"invited-{MARK}@a.test", "accept-invitation")]
    signed = client.post(f"{API}/auth/token", json={"email": email, "password": NEW_PASSWORD})
    assert signed.status_code == 200
    tokens += [signed.json["access_token"], signed.json.get("refresh_token")]
    agent = {"Authorization": f"Bearer {signed.json['access_token']}"}
    if signed.json.get("refresh_token"):
        refreshed = client.post(f"{API}/auth/refresh", headers={"Authorization": f"Bearer {signed.json['refresh_token']}"})
        assert refreshed.status_code == 200, refreshed.json
        tokens.append(refreshed.json["access_token"])

    # The diary: one entry, a batch, an edit, a refused one (validation error), each with a note.
    at = (now_utc() - timedelta(hours=2)).isoformat()
    entry = client.post(f"{API}/diary", headers=agent, json={"occurred_at": at, "emotion": "sad", "intensity": 6,
                                                             "note": NOTES[0], "triggers": ["customer_complaint"]})
    assert entry.status_code == 201, entry.json
    batch = client.post(f"{API}/diary/batch", headers=agent, json={"entries": [
        {"id": str(uuid.uuid4()), "occurred_at": at, "emotion": "calm", "intensity": 2, "note": NOTES[1]},
        {"id": str(uuid.uuid4()), "occurred_at": at, "emotion": "elated", "intensity": 2, "note": NOTES[1]}]})
    assert batch.status_code == 200 and [r["status"] for r in batch.json["results"]] == ["created", "error"]
    edited = client.patch(f"{API}/diary/{entry.json['id']}", headers=agent, json={"note": NOTES[2]})
    assert edited.status_code == 200, edited.json
    refused = client.post(f"{API}/diary", headers=agent, json={"occurred_at": at, "emotion": "sad", "intensity": 99,
                                                               "note": NOTES[3]})
    assert refused.status_code == 422
    assert NOTES[3] not in refused.get_data(as_text=True)

    # An assessment, a self-referral with a reason, HR reading and annotating the case.
    assessment = client.post(f"{API}/assessments", headers=agent,
                             json={"instrument": "phq4", "answers": {"1": 2, "2": 2, "3": 1, "4": 3}})
    assert assessment.status_code == 201, assessment.json
    referral = client.post(f"{API}/me/counseling", headers=agent, json={"reason": REASON})
    assert referral.status_code == 201, referral.json
    case_id = referral.json["id"]
    hr = world.as_("hr")
    read = client.get(f"{API}/counseling/cases/{case_id}", headers=hr)
    assert read.status_code == 200 and read.json["reason"] == REASON
    noted = client.patch(f"{API}/counseling/cases/{case_id}", headers=hr, json={"hr_notes": HR_NOTE})
    assert noted.status_code == 200, noted.json
    tokens += [h["Authorization"].split()[1] for h in world.headers.values()]

    # The console's sign-in form carries a password too.
    console = browser(app)
    assert sign_in(console, world.emails["hr"]).status_code in (302, 303)
    assert sign_in(browser(app), world.emails["hr"], WRONG_PASSWORD).status_code in (200, 400, 401, 429)

    assert len(caplog.records) > 20, "nothing was captured: the test would prove nothing"
    captured = _everything(caplog)
    leaked = [s for s in secrets if s in captured] + [f"token {t[:12]}..." for t in tokens if t and t in captured]
    assert not leaked, leaked
    # The JWT signature is the secret half; no fragment of one may appear either.
    assert not [t for t in tokens if t and t.rsplit(".", 1)[-1] in captured]
