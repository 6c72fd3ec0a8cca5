"""Consents: nothing consented by default, every change recorded with its time and policy version."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.counseling.helpers import API, T0, pinned, set_consents
from tests.helpers import assert_problem
from wellbeing.org.consents import POLICY_VERSION, has_consent
from wellbeing.models import ConsentChange


def test_nothing_is_consented_until_the_agent_chooses(world):
    body = world.client.get(f"{API}/me/consents", headers=world.as_("agent")).json
    assert body == {"team_aggregates": False, "hr_followup": False, "policy_version": None,
                    "current_policy_version": POLICY_VERSION, "updated_at": None}


def test_put_sets_both_consents_and_records_the_first_choice_of_each(world, session):
    with pinned(world, T0):
        body = set_consents(world, "agent", hr_followup=True, team_aggregates=False)
    assert body["hr_followup"] is True and body["team_aggregates"] is False
    assert body["policy_version"] == POLICY_VERSION and body["updated_at"] == "2030-03-02T01:00:00Z"
    rows = session.scalars(select(ConsentChange).where(ConsentChange.user_id == world.ids["agent"])
                           .order_by(ConsentChange.consent)).all()
    assert [(r.consent, r.granted, r.policy_version, r.changed_at) for r in rows] == [
        ("hr_followup", True, POLICY_VERSION, T0), ("team_aggregates", False, POLICY_VERSION, T0)]
    assert has_consent(session, world.ids["agent"], "hr_followup")


def test_history_lists_each_change_newest_first_and_skips_unchanged_values(world):
    with pinned(world, T0):
        set_consents(world, "agent", hr_followup=False, team_aggregates=True)
    with pinned(world, T0 + timedelta(days=1)):
        set_consents(world, "agent", hr_followup=True, team_aggregates=True)
    with pinned(world, T0 + timedelta(days=2)):
        set_consents(world, "agent", hr_followup=False, team_aggregates=True)
        history = world.client.get(f"{API}/me/consents/history", headers=world.as_("agent")).json
    changes = [(h["consent"], h["granted"], h["changed_at"]) for h in history["items"]]
    assert changes[:2] == [("hr_followup", False, "2030-03-04T01:00:00Z"), ("hr_followup", True, "2030-03-03T01:00:00Z")]
    # The first choice records both consents at the same instant (their order is the id's, not meaningful).
    assert sorted(changes[2:]) == [("hr_followup", False, "2030-03-02T01:00:00Z"),
                                   ("team_aggregates", True, "2030-03-02T01:00:00Z")]
    assert all(h["policy_version"] == POLICY_VERSION for h in history["items"])
    assert history["next_cursor"] is None


def test_history_pages_with_a_cursor(world):
    for day in range(3):
        with pinned(world, T0 + timedelta(days=day)):
            set_consents(world, "agent", hr_followup=day % 2 == 0)
    with pinned(world, T0 + timedelta(days=3)):
        first = world.client.get(f"{API}/me/consents/history?limit=2", headers=world.as_("agent")).json
        rest = world.client.get(f"{API}/me/consents/history?limit=2&cursor={first['next_cursor']}",
                                headers=world.as_("agent")).json
    assert [h["changed_at"][:10] for h in first["items"]] == ["2030-03-04", "2030-03-03"]
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None


def test_consents_are_the_callers_own(world):
    set_consents(world, "agent", hr_followup=True)
    assert world.client.get(f"{API}/me/consents", headers=world.as_("agent2")).json["hr_followup"] is False
    assert world.client.get(f"{API}/me/consents/history", headers=world.as_("agent2")).json["items"] == []


def test_put_needs_both_booleans(world):
    for body in ({"hr_followup": True}, {"hr_followup": "yes", "team_aggregates": False},
                 {"hr_followup": 1, "team_aggregates": False}, {"hr_followup": True, "team_aggregates": False, "x": 1}):
        assert_problem(world.client.put(f"{API}/me/consents", json=body, headers=world.as_("agent")), 422)
    assert world.client.get(f"{API}/me/consents", headers=world.as_("agent")).json["updated_at"] is None
