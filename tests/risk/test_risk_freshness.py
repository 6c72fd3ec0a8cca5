"""A risk indicator that is never stale: expired results are recomputed on read and by the hourly job."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import now_utc
from tests.risk.test_risk_snapshots import CBI_C1, URL, snapshots, submit
from wellbeing.models import RiskSnapshot
from wellbeing.risk.model import MODEL_VERSION
from wellbeing.risk.snapshots import refresh_stale_risk


@pytest.fixture
def now():
    moment = now_utc().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        yield moment


def test_a_90_day_old_cbi_reads_as_insufficient_data_without_any_new_input(world, session, now):
    submit(world, "cbi", CBI_C1)
    fresh = world.client.get(URL, headers=world.as_("agent")).json
    assert (fresh["level"], fresh["score"]) == ("moderate", 67.9)
    stored = snapshots(session, world.ids["agent"])
    assert len(stored) == 1 and stored[0].expires_at == now + timedelta(days=35)
    later = now + timedelta(days=90)
    with time_machine.travel(later, tick=False):
        body = world.client.get(URL, headers=world.login("agent")).json
    assert (body["level"], body["score"], body["factors"]) == ("insufficient_data", None, [])
    assert len(snapshots(session, world.ids["agent"])) == 1  # a read never writes
    assert refresh_stale_risk(session, later) == 1
    newest = snapshots(session, world.ids["agent"])[-1]
    assert (newest.level, newest.score, newest.computed_at, newest.expires_at) == ("insufficient_data", None, later,
                                                                                    None)
    assert refresh_stale_risk(session, later + timedelta(hours=1)) == 0  # current again: nothing to do


def test_a_result_of_an_older_model_version_is_recomputed_and_the_old_one_keeps_its_label(world, session, now):
    submit(world, "cbi", CBI_C1)
    old = snapshots(session, world.ids["agent"])[0]
    old.model_version = "heuristic-blend-v1"
    session.commit()
    body = world.client.get(URL, headers=world.as_("agent")).json
    assert body["model_version"] == MODEL_VERSION == "heuristic-blend-v2"
    assert refresh_stale_risk(session, now + timedelta(minutes=1)) == 1
    rows = session.scalars(select(RiskSnapshot).where(RiskSnapshot.user_id == world.ids["agent"])
                           .order_by(RiskSnapshot.id)).all()
    assert [row.model_version for row in rows] == ["heuristic-blend-v1", "heuristic-blend-v2"]
