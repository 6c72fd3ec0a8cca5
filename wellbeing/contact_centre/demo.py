"""The demo's contact-centre platform: Amazon Connect ids for one team, the rule mapping, recovery breaks switched
on, three days of that team's calls as Amazon Connect would send them, and the recovery breaks they led to."""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from wellbeing.contact_centre import amazon_connect
from wellbeing.contact_centre.platform import receive
from wellbeing.core.db import new_id
from wellbeing.models import PlatformRule, RecoveryBreak, RecoveryOptIn, RecoverySettings, User

INSTANCE = "arn:aws:connect:ap-northeast-1:111122223333:instance/9f3a7c2e-1b4d-4e5f-8a6b-7c8d9e0f1a2b"
_NAMESPACE = uuid.UUID("6f0e8b8e-3c1a-4c52-9d0e-5b7a2f6c1d00")
DAYS = 3


def connect_id(email: str) -> str:
    """The demo agent's Amazon Connect user id (stable per e-mail)."""
    return str(uuid.uuid5(_NAMESPACE, email))


def _event(kind: str, contact: str, agent: str, at: datetime, rule: str | None = None) -> dict:
    stamp = at.isoformat().replace("+00:00", "Z")
    agent_arn = f"{INSTANCE}/agent/{agent}"
    if rule is not None:
        return {"version": "0", "id": new_id(), "detail-type": "Contact Lens Post Call Rules Matched",
                "source": "aws.connect", "time": stamp, "region": "ap-northeast-1", "resources": [],
                "detail": {"version": "1.0", "ruleName": rule, "actionName": rule.lower().replace(" ", "-"),
                           "instanceArn": INSTANCE, "contactArn": f"{INSTANCE}/contact/{contact}",
                           "agentArn": agent_arn}}
    detail = {"contactId": contact, "channel": "VOICE", "instanceArn": INSTANCE, "initiationMethod": "INBOUND",
              "eventType": kind, "agentInfo": {"agentArn": agent_arn}}
    if kind == "CONNECTED_TO_AGENT":
        detail["agentInfo"]["connectedToAgentTimestamp"] = stamp
    else:
        detail["disconnectTimestamp"] = stamp
    return {"version": "0", "id": new_id(), "detail-type": "Amazon Connect Contact Event", "source": "aws.connect",
            "time": stamp, "region": "ap-northeast-1", "resources": [f"{INSTANCE}/contact/{contact}", INSTANCE],
            "detail": detail}


def seed_contact_centre(session: Session, org_id: str, agents: list[User], now: datetime, seed: int) -> int:
    """Link the agents to Amazon Connect, replay their recent calls as platform events, and record the recovery
    breaks the tough runs led to (most restored, a few declined or not applied). Returns the events sent."""
    rng = random.Random(f"{seed}:contact-centre")
    for agent in agents:
        agent.external_ids = {"amazon_connect": connect_id(agent.email)}
        session.add(RecoveryOptIn(user_id=agent.id, opted_in=rng.random() < 0.7, updated_at=now))
    session.add_all([PlatformRule(org_id=org_id, platform="amazon_connect", name="customer sentiment negative",
                                  kind="complaint"),
                     PlatformRule(org_id=org_id, platform="amazon_connect", name="abusive language", kind="abusive")])
    # Switched on, with no connector reachable from a demo: live tough runs show "not applied" in the ledger
    session.add(RecoverySettings(org_id=org_id, enabled=True, minutes=2, connector="webhook",
                                 config={"url": "https://recovery.demo.example/hook"}, updated_at=now))
    session.commit()
    sent = 0
    for agent in agents:
        opted = session.get(RecoveryOptIn, agent.id).opted_in
        for day in range(DAYS, 0, -1):
            at = (now - timedelta(days=day)).replace(hour=1, minute=30, second=0, microsecond=0)
            tough_run = 0
            for _ in range(rng.randint(8, 14)):
                contact = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                start = at + timedelta(seconds=rng.randint(20, 240))
                end = start + timedelta(seconds=rng.randint(120, 720))
                rule = rng.choice(["Customer sentiment negative", "Abusive language"]) if rng.random() < 0.18 else None
                events = [_event("CONNECTED_TO_AGENT", contact, connect_id(agent.email), start),
                          _event("DISCONNECTED", contact, connect_id(agent.email), end)]
                if rule:
                    events.append(_event("", contact, connect_id(agent.email), end + timedelta(seconds=50), rule))
                for event in events:
                    receive(session, org_id, "amazon_connect", amazon_connect.read_event(event), now)
                    sent += 1
                tough_run = tough_run + 1 if rule else 0
                if tough_run >= 2 and opted:
                    _demo_break(session, agent, end + timedelta(seconds=60), rng)
                    tough_run = 0
                at = end + timedelta(seconds=rng.randint(30, 90))
    session.commit()
    return sent


def _demo_break(session: Session, agent: User, at: datetime, rng: random.Random) -> None:
    roll = rng.random()
    item = RecoveryBreak(id=new_id(), org_id=agent.org_id, user_id=agent.id, connector="webhook", minutes=2,
                         requested_at=at, starts_at=at, ends_at=at + timedelta(minutes=2), attempts=2)
    if roll < 0.1:
        item.status, item.declined_at, item.attempts = "declined", at + timedelta(seconds=20), 0
    elif roll < 0.2:
        item.status, item.failed_at, item.attempts = "failed", at + timedelta(minutes=2), 5
        item.failure_reason = "not applied: recovery.demo.example does not resolve"
    else:
        item.status, item.applied_at, item.restored_at = "restored", at, at + timedelta(minutes=2)
    session.add(item)
