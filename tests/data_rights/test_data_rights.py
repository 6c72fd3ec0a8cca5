"""Data rights: the export holds every table with the agent's rows, erasure leaves none, retention purges.

Completeness is checked by walking the schema's foreign keys from the agent's user row (and any
``*user_id`` column), so a table added later is covered without touching these tests; a new table
holding a user's rows also trips ``test_the_fixture_reaches_every_table_that_can_hold_a_users_rows``
until ``_populate`` puts a row in it, so it is never silently untested.
"""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import now_utc
from tests.counseling.helpers import (
    API, T0, answer, hr_patch_appointment, pinned, proposed, self_refer, set_consents,
)
from tests.helpers import assert_problem
from api.core.keyring import keyring
from tests.prompts.helpers import SECRET, Receiver, add_prompt
from wellbeing import data_rights
from wellbeing.prompts.dispatch import Channel, dispatch_due
from wellbeing.counseling.cases import open_case_from_alert
from wellbeing.counseling.reminders import send_counseling_reminders
from wellbeing.core.db import db
from wellbeing.models import PlatformContact, PrivacyPersonLedger, RecoveryBreak, ScimUser, SsoAttempt, User

# Tables that keep the agent's rows after DELETE /me/data, and why.
KEPT_ON_ERASURE = {
    "users": "the account itself",
    "team_memberships": "the organization's structure (also in the export's profile)",
    "team_supervisors": "the organization's structure (agents have none)",
    "auth_sessions": "sign-ins: erasing them would sign the agent out",
    "consents": "the agent's standing choices, not wellbeing data",
    "consent_changes": "the record of what was agreed to and when",
    "access_log": "HR's accountability to the agent: ids, actions and purposes, no wellbeing content",
    "erasure_receipts": "the proof of the erasure itself",
    "prompt_settings": "the agent's standing choice of prompts, not wellbeing data",
    "devices": "the agent's push targets, not wellbeing data (their secrets are never exported)",
    "shifts": "the working schedule from workforce management, like the work hours (purged by retention)",
    "shift_coverage": "which stretches the schedule imports speak for",
    "shift_feeds": "the administrator's configuration of where the agent's schedule comes from",
    "recovery_opt_ins": "the agent's standing choice of recovery breaks, not wellbeing data",
    "privacy_person_ledger": "the epsilon already spent on figures that could include the agent: forgetting it "
                             "would let a later figure spend that month again",
    "account_tokens": "hashes of one-time invitation and reset links: credentials, expiring on their own",
    "sso_attempts": "hashes of single sign-on states and codes: credentials, forgotten by the retention job",
    "scim_users": "the organization's directory's link to the account (also in the export), not wellbeing data",
}
# Tables with the agent's rows that the export leaves out, and why.
NOT_EXPORTED = {"auth_sessions": "credentials (refresh-token families), not data about the agent",
                "account_tokens": "credentials (hashes of one-time links), not data about the agent",
                "sso_attempts": "credentials (hashes of single sign-on states and one-time codes), not data about the agent"}


def _references_users(column) -> bool:
    return any(fk.column.table.name == "users" for fk in column.foreign_keys) or (
        not column.foreign_keys and column.name.endswith("user_id"))


def owned_rows(connection, user_id: str) -> dict[str, set]:
    """Primary keys of every row that points at the user, directly or through a chain of foreign keys."""
    owned: dict[str, set] = {"users": {user_id}}
    frontier = ["users"]
    while frontier:
        parent = frontier.pop()
        for table in db.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            for column in table.columns:
                points_at_parent = any(fk.column.table.name == parent for fk in column.foreign_keys)
                if not (points_at_parent or (parent == "users" and _references_users(column))):
                    continue
                rows = connection.execute(select(*pk).where(column.in_(owned[parent]))).all()
                keys = {row[0] if len(pk) == 1 else tuple(row) for row in rows} - owned.get(table.name, set())
                if keys:
                    owned.setdefault(table.name, set()).update(keys)
                    if len(pk) == 1:
                        frontier.append(table.name)
    return owned


def tables_that_can_hold_a_users_rows() -> set[str]:
    """Every table reachable from users through foreign keys (or a ``*user_id`` column)."""
    reach, frontier = set(), ["users"]
    while frontier:
        parent = frontier.pop()
        for table in db.metadata.sorted_tables:
            if table.name in reach:
                continue
            if any(any(fk.column.table.name == parent for fk in c.foreign_keys)
                   or (parent == "users" and _references_users(c)) for c in table.columns):
                reach.add(table.name)
                frontier.append(table.name)
    return reach


def _owned(app, user_id):
    with app.app_context(), db.engine.connect() as connection:
        return owned_rows(connection, user_id)


def _populate(app, world) -> dict:
    """The agent with data in every table a user's rows can live in (extend it when a table is added)."""
    assert world.client.delete(f"{API}/me/data", headers=world.as_("agent")).status_code == 204  # a receipt
    assert world.client.post(f"{API}/auth/password-reset", json={"email": "agent@a.test"}).status_code == 202
    set_consents(world, "agent", hr_followup=True, team_aggregates=True)
    world.client.post(f"{API}/assessments", json={"instrument": "burnout1", "answers": {"1": 3}},
                      headers=world.as_("agent"))
    earlier = (now_utc() - timedelta(hours=1)).isoformat()
    for note in ("the printer ate my notes", "to be deleted"):
        entry = world.client.post(f"{API}/diary", headers=world.as_("agent"), json={
            "occurred_at": earlier, "emotion": "frustrated", "intensity": 7, "triggers": ["customer_complaint"],
            "coping": ["deep_breathing"], "note": note})
        assert entry.status_code == 201, entry.json
    assert world.client.delete(f"{API}/diary/{entry.json['id']}", headers=world.as_("agent")).status_code == 204
    soon = now_utc().replace(microsecond=0) + timedelta(days=2)
    own = self_refer(world, reason="after the third complaint call", reason_category="difficult_customers")
    by_hr = world.client.post(f"{API}/counseling/cases", json={"user_id": world.ids["agent"]},
                              headers=world.as_("hr")).json
    with app.app_context():
        agent = db.session.get(User, world.ids["agent"])
        alert_id = open_case_from_alert(db.session, agent, "questionnaire_alert", "high", now_utc()).id
        db.session.commit()
        db.session.remove()
    appointment = proposed(world, own["id"], soon)
    answer(world, appointment["id"], "accept")
    proposed(world, by_hr["id"], soon + timedelta(hours=2))
    world.client.patch(f"{API}/counseling/cases/{alert_id}", headers=world.as_("hr"),
                       json={"hr_notes": "internal only", "next_follow_up_on": (soon + timedelta(days=7)).date().isoformat()})
    world.client.get(f"{API}/counseling/cases/{own['id']}?purpose=preparing", headers=world.as_("hr"))
    with app.app_context():
        send_counseling_reminders(db.session, soon - timedelta(hours=23))  # the 24 h reminders go out
        db.session.remove()
    _populate_prompts(app, world)
    _populate_privacy_budget(app, world)
    _populate_contact_centre(app, world)
    _populate_directory(app, world)
    return {"own": own, "by_hr": by_hr, "alert": alert_id, "appointment": appointment}


def _populate_contact_centre(app, world) -> None:
    """An imported shift, a call seen from the platform, the recovery choice and a finished recovery break."""
    key = world.client.post(f"{API}/api-keys", json={"name": "WFM"}, headers=world.as_("admin")).json["key"]
    start = now_utc().replace(microsecond=0) + timedelta(days=3)
    response = world.client.put(f"{API}/users/{world.ids['agent']}/shifts", headers={"Authorization": f"Bearer {key}"},
                                json={"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat(),
                                      "shifts": [{"start": start.isoformat(),
                                                  "end": (start + timedelta(hours=8)).isoformat()}]})
    assert response.status_code == 200, response.json
    feed = world.client.post(f"{API}/org/shift-feeds", headers=world.as_("admin"),
                             json={"url": "http://127.0.0.1:9/agent.ics", "user_id": world.ids["agent"]})
    assert feed.status_code == 201, feed.json
    assert world.client.put(f"{API}/me/recovery", json={"opted_in": True},
                            headers=world.as_("agent")).status_code == 200
    with app.app_context():
        now = now_utc()
        db.session.add(PlatformContact(org_id=world.org_id, platform="amazon_connect", contact_id="c-1",
                                       user_id=world.ids["agent"], started_at=now - timedelta(minutes=9),
                                       ended_at=now - timedelta(minutes=3), complaint=True, abusive=False))
        db.session.add(RecoveryBreak(org_id=world.org_id, user_id=world.ids["agent"], connector="webhook",
                                     status="restored", minutes=2, requested_at=now - timedelta(minutes=3),
                                     starts_at=now - timedelta(minutes=3), ends_at=now - timedelta(minutes=1),
                                     applied_at=now - timedelta(minutes=3), restored_at=now - timedelta(minutes=1),
                                     attempts=2))
        db.session.commit()
        db.session.remove()


def _populate_directory(app, world) -> None:
    """The directory's link (SCIM) and a single sign-on of the agent."""
    with app.app_context():
        now = now_utc()
        db.session.add(ScimUser(user_id=world.ids["agent"], org_id=world.org_id, user_name="agent@a.test",
                                user_name_key="agent@a.test", external_id="dir-17", attributes={"displayName": "A"}))
        db.session.add(SsoAttempt(org_id=world.org_id, state_hash="s" * 64, nonce="n", provider_verifier="v",
                                  client="app", code_challenge="c", created_at=now, expires_at=now,
                                  returned_at=now, user_id=world.ids["agent"], code_hash="c" * 64))
        db.session.commit()
        db.session.remove()


def _populate_privacy_budget(app, world) -> None:
    """What a release charges: the agent's budget row of this month."""
    with app.app_context():
        now = now_utc()
        db.session.add(PrivacyPersonLedger(user_id=world.ids["agent"], month=now.date().replace(day=1),
                                           org_id=world.org_id, limit_micro=3_000_000, spent_micro=500_000,
                                           team_monthly_micro=0, team_weekly_micro=500_000, pooled_micro=0,
                                           updated_at=now))
        db.session.commit()
        db.session.remove()


def _populate_prompts(app, world) -> None:
    """Settings (nothing planned), one prompt delivered to a webhook device, one call event."""
    settings = {"breathing": {"enabled": False, "every_minutes": 120},
                "breaks": {"enabled": False, "every_minutes": 55, "minutes": 5},
                "after_tough_calls": {"enabled": True, "threshold": 2}, "max_per_day": 12}
    assert world.client.put(f"{API}/me/prompt-settings", json=settings, headers=world.as_("agent")).status_code == 200
    key = world.client.post(f"{API}/api-keys", json={"name": "CTI"}, headers=world.as_("admin")).json["key"]
    response = world.client.post(f"{API}/events/call-ended", headers={"Authorization": f"Bearer {key}"},
                                 json={"user_id": world.ids["agent"], "ended_at": now_utc().isoformat()})
    assert response.status_code == 202, response.json
    with Receiver() as receiver:
        world.client.post(f"{API}/me/devices", headers=world.as_("agent"),
                          json={"channel": "webhook", "url": receiver.url, "secret": SECRET})
        add_prompt(app, world.ids["agent"], now_utc() - timedelta(minutes=1))
        with app.app_context():
            dispatch_due(db.session, now_utc(), Channel(keyring(), allow_private=True, timeout=(1, 1)))
            db.session.remove()
    assert len(receiver.keys) == 1


def test_the_fixture_reaches_every_table_that_can_hold_a_users_rows(app, world):
    _populate(app, world)
    reachable = tables_that_can_hold_a_users_rows()
    populated = set(_owned(app, world.ids["agent"]))
    # Agents lead no team, and the instrument choices are admins' decisions, not anyone's wellbeing data.
    assert reachable - populated == {"team_supervisors", "org_instruments"}


def test_the_export_holds_every_table_with_the_agents_rows(app, world):
    _populate(app, world)
    owned = _owned(app, world.ids["agent"])
    response = world.client.get(f"{API}/me/export", headers=world.as_("agent"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    sections = {table: s.name for s in data_rights.SECTIONS for table in s.tables}
    assert set(sections) <= {t.name for t in db.metadata.sorted_tables}
    for table, keys in owned.items():
        if table in NOT_EXPORTED:
            continue
        assert table in sections, f"{table} holds the agent's rows but no data-rights section exports it"
        assert response.json[sections[table]], table
        for key in keys:
            if isinstance(key, str):
                assert f'"{key}"' in text, (table, key)


def test_the_export_is_the_agents_data_in_plain_words(app, world):
    made = _populate(app, world)
    export = world.client.get(f"{API}/me/export", headers=world.as_("agent")).json
    assert export["format"] == "wellbeing-export/1" and export["user_id"] == world.ids["agent"]
    assert export["profile"]["email"] == "agent@a.test"
    assert [m["team_id"] for m in export["profile"]["team_history"]] == [world.team_a]
    assert export["consents"]["current"]["hr_followup"] is True and len(export["consents"]["history"]) == 2
    cases = {c["id"]: c for c in export["counseling"]["cases"]}
    assert cases[made["own"]["id"]]["reason"] == "after the third complaint call"
    assert cases[made["alert"]]["risk_level_at_opening"] == "high"
    assert "internal only" not in json.dumps(export) and "hr_notes" not in json.dumps(export)
    mine = [r for r in export["counseling"]["reminders"] if r["recipient"] == "you" and r["status"] == "sent"]
    assert [r["kind"] for r in mine] == ["24h"] and mine[0]["message"].startswith("Reminder: your counseling session")
    assert all(r["message"] is None for r in export["counseling"]["reminders"] if r["recipient"] == "hr")
    assert {e["action"] for e in export["access_log"]} >= {"open_case", "read_case", "update_case"}
    assert [r["counts"] for r in export["erasure_receipts"]] == [{
        "diary_entries": 0, "diary_tags": 0, "diary_tombstones": 0, "diary_rollups": 0,
        "assessments": 0, "risk_snapshots": 0, "counseling_reminders": 0, "counseling_case_events": 0, "counseling_appointments": 0, "counseling_cases": 0,
        "prompt_deliveries": 0, "prompts": 0, "call_events": 0, "platform_contacts": 0, "recovery_breaks": 0}]
    assert [e["note"] for e in export["diary"]["entries"]] == ["the printer ate my notes"]
    assert export["diary"]["entries"][0]["triggers"] == ["customer_complaint"]
    assert len(export["diary"]["deleted_entries"]) == 1


def test_erasure_leaves_no_row_in_any_wellbeing_table_referencing_the_agent(app, world):
    _populate(app, world)
    before = _owned(app, world.ids["agent"])
    response = world.client.delete(f"{API}/me/data", headers=world.as_("agent"))
    assert response.status_code == 204 and response.data == b""
    after = _owned(app, world.ids["agent"])
    left = {table: len(keys) for table, keys in after.items() if table not in KEPT_ON_ERASURE}
    assert left == {}, f"rows still reference the agent after erasure: {left}"
    receipt = world.client.get(response.headers["Location"], headers=world.as_("agent")).json
    erased = {table: len(keys) for table, keys in before.items() if table not in KEPT_ON_ERASURE}
    assert receipt["counts"] == erased
    # Events: own case opened, proposed, accepted; HR's opened, proposed; alert's opened, follow-up set.
    # Reminders: 24 h and 1 h to both parties for each of the two sessions, and HR's follow-up nudge.
    # The roll-up of the one entry: its day, hour, emotion, trigger and coping rows.
    assert erased == {"diary_entries": 1, "diary_tags": 2, "diary_tombstones": 1, "diary_rollups": 5,
                      "assessments": 1, "risk_snapshots": 1, "counseling_cases": 3, "counseling_case_events": 7, "counseling_appointments": 2,
                      "counseling_reminders": 9, "prompts": 1, "prompt_deliveries": 1, "call_events": 1,
                      "platform_contacts": 1, "recovery_breaks": 1}


def test_erasure_keeps_other_peoples_data(app, world, session):
    _populate(app, world)
    other = self_refer(world, "agent2", reason="mine, not theirs")
    other_appointment = proposed(world, other["id"], now_utc().replace(microsecond=0) + timedelta(days=5))
    world.client.delete(f"{API}/me/data", headers=world.as_("agent"))
    assert world.client.get(f"{API}/me/counseling/{other['id']}", headers=world.as_("agent2")).json["reason"] == \
        "mine, not theirs"
    hr_view = world.client.get(f"{API}/counseling/cases/{other['id']}", headers=world.as_("hr")).json
    assert [a["id"] for a in hr_view["appointments"]] == [other_appointment["id"]]
    assert world.client.get(f"{API}/me/counseling", headers=world.as_("agent")).json["items"] == []
    assert world.client.get(f"{API}/me/consents", headers=world.as_("agent")).json["hr_followup"] is True


def test_receipts_are_listed_newest_first_and_private(world):
    with pinned(world, T0):
        first = world.client.delete(f"{API}/me/data", headers=world.as_("agent")).headers["Location"]
    with pinned(world, T0 + timedelta(days=1)):
        second = world.client.delete(f"{API}/me/data", headers=world.as_("agent")).headers["Location"]
        listed = world.client.get(f"{API}/me/data/receipts", headers=world.as_("agent")).json["items"]
        assert [r["erased_at"] for r in listed] == ["2030-03-03T01:00:00Z", "2030-03-02T01:00:00Z"]
        assert [r["id"] for r in listed] == [second.rsplit("/", 1)[1], first.rsplit("/", 1)[1]]
        assert_problem(world.client.get(first, headers=world.as_("agent2")), 404)
        assert world.client.get(f"{API}/me/data/receipts", headers=world.as_("agent2")).json["items"] == []


def test_every_role_can_export_and_erase_its_own_data(world):
    for key in ("hr", "supervisor", "admin"):
        export = world.client.get(f"{API}/me/export", headers=world.as_(key)).json
        assert export["profile"]["id"] == world.ids[key] and export["counseling"]["cases"] == []
        assert world.client.delete(f"{API}/me/data", headers=world.as_(key)).status_code == 204


def _purge(app, now):
    with app.app_context():
        try:
            return data_rights.purge_expired(db.session, now)
        finally:
            db.session.remove()


def test_retention_purges_wellbeing_data_older_than_the_organizations_setting(app, world):
    assert world.client.patch(f"{API}/org", json={"retention_days": 30}, headers=world.as_("admin")).status_code == 200
    with pinned(world, T0):
        set_consents(world, "agent", hr_followup=False, team_aggregates=True)
        old = self_refer(world)
        old_appointment = proposed(world, old["id"], T0 + timedelta(days=2))  # reminders due T0+1d, T0+2d-1h
        answer(world, old_appointment["id"], "accept")
        current = self_refer(world, "agent2")
        world.client.get(f"{API}/counseling/cases/{current['id']}", headers=world.as_("hr"))
        world.client.post(f"{API}/assessments", json={"instrument": "burnout1", "answers": {"1": 2}},
                          headers=world.as_("agent"))
        for hours in (2, 0):  # one entry a day before T0 (kept neither), one at T0 (deleted: a tombstone)
            entry = world.client.post(f"{API}/diary", headers=world.as_("agent"), json={
                "occurred_at": (T0 - timedelta(hours=hours)).isoformat(), "emotion": "tired", "intensity": 4,
                "signals": ["headache", "poor_sleep"]})
            assert entry.status_code == 201, entry.json
        assert world.client.delete(f"{API}/diary/{entry.json['id']}", headers=world.as_("agent")).status_code == 204
    with app.app_context():
        assert send_counseling_reminders(db.session, T0 + timedelta(days=1)) == {"sent": 2, "skipped": 0}
        db.session.remove()
    with pinned(world, T0 + timedelta(days=2, hours=1)):  # the 1 h reminders were never sent: now cancelled
        hr_patch_appointment(world, old_appointment["id"], state="completed")
        world.client.patch(f"{API}/counseling/cases/{old['id']}", json={"status": "closed"}, headers=world.as_("hr"))
    # Cutoff T0+1d: only the two access-log entries and the questionnaire result (with its risk snapshot)
    # made at T0 are older, with the diary entry and the tombstone (its two signals go with the entry).
    # The purged entry's roll-up rows (day, hour, emotion, two signals) had no other entry: they go too.
    assert _purge(app, T0 + timedelta(days=31)) == {
        "diary_entries": 1, "diary_tags": 2, "diary_tombstones": 1, "diary_rollups": 5,
        "assessments": 1, "risk_snapshots": 1, "counseling_reminders": 0, "counseling_case_events": 0, "counseling_appointments": 0,
        "counseling_cases": 0, "prompt_deliveries": 0, "prompts": 0, "call_events": 0, "access_log": 2,
        "privacy_person_ledger": 0, "shifts": 0, "shift_coverage": 0, "platform_contacts": 0, "recovery_breaks": 0,
        "platform_events": 0}
    # Cutoff T0+3d: the closed case goes whole (opened, proposed, accepted, completed, closed), with the
    # four settled reminders and the two later log entries; the open case of agent2 stays.
    assert _purge(app, T0 + timedelta(days=33)) == {
        "diary_entries": 0, "diary_tags": 0, "diary_tombstones": 0, "diary_rollups": 0,
        "assessments": 0, "risk_snapshots": 0, "counseling_reminders": 4, "counseling_case_events": 5, "counseling_appointments": 1,
        "counseling_cases": 1, "prompt_deliveries": 0, "prompts": 0, "call_events": 0, "access_log": 2,
        "privacy_person_ledger": 0, "shifts": 0, "shift_coverage": 0, "platform_contacts": 0, "recovery_breaks": 0,
        "platform_events": 0}
    with pinned(world, T0 + timedelta(days=33)):
        mine = world.client.get(f"{API}/me/counseling", headers=world.as_("agent")).json["items"]
        theirs = world.client.get(f"{API}/me/counseling", headers=world.as_("agent2")).json["items"]
        consents = world.client.get(f"{API}/me/consents/history", headers=world.as_("agent")).json["items"]
    assert mine == [] and [c["id"] for c in theirs] == [current["id"]] and len(consents) == 2
