"""Privacy regression: every GET route each non-owner role can reach, scanned for what only the owner may see.

A demo organization is seeded (diary history with notes, assessments, risk, counseling), one agent (the owner)
adds marked notes, an assessment and a self-referral with a reason. Then other agents, supervisors, HR, the admin
and another organization's admin GET every GET route of the URL map (API and console), with the path ids
substituted by objects that exist (ids are found generically from the table a placeholder names, so routes added
later are scanned too). No body may hold a diary note, the referral reason (outside HR), another agent's e-mail or
id (where the role sees no people), any diary entry id, or a per-person wellbeing value next to a person.
"""
from __future__ import annotations

import html
import itertools
import json
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.console.helpers import browser, sign_in
from tests.helpers import PASSWORD

API = "/api/v1"
DEMO = "demo.example"
SKIPPED = {"static", "docs_assets", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "console.static"}
CONSOLE = ("console.", "console_root.")
MARK = uuid.uuid4().hex[:10]
OWNER_NOTES = [f"owner-note-{MARK} my supervisor shouted at me", f"所有者笔记-{MARK} 我想辞职"]
REASON = f"referral-reason-{MARK} panic attacks before shifts"
# Keys that hold a per-person wellbeing value: never beside a person in a supervisor's or admin's answer.
WELLBEING_KEYS = re.compile(r"(score|risk|severity|band|intensity|stress|emotion|valence|mood|answers|note|"
                            r"probability|phq|gad|who5|burnout)", re.I)
PERSON_KEYS = {"user_id", "agent_id", "email", "agent", "user"}
# Placeholders that name no table.
FIXED_IDS = {"instrument_id": ["phq4", "gad7"], "metric": ["burnout_risk", "participation", "high_risk_share"],
             # SCIM's discovery documents (the scan's people hold no SCIM token: every SCIM route is 401 to them).
             "name": ["User", "Group"], "schema_id": ["urn:ietf:params:scim:schemas:core:2.0:User"]}


def _singulars(name: str) -> list[str]:
    return [name + "s", name + "es", name[:-1] + "ies" if name.endswith("y") else name + "s", name]


def _ids_for(session, placeholder: str, owner_id: str, org_id: str) -> list[str]:
    """Up to four ids for ``<placeholder>``: the owner's first, then others of the seeded organization."""
    if placeholder in FIXED_IDS:
        return FIXED_IDS[placeholder]
    from wellbeing.core.db import db

    base = placeholder.removesuffix("_id")
    names = _singulars(base)
    tables = [t for t in db.metadata.sorted_tables if t.name in names] or [
        t for t in db.metadata.sorted_tables if any(t.name.endswith("_" + n) for n in names)]
    assert tables, f"the privacy scan cannot find objects for <{placeholder}>: name its table in FIXED_IDS"
    table = tables[0]
    order = []
    if "user_id" in table.c:
        order.append((table.c.user_id == owner_id).desc())
    if "org_id" in table.c:
        order.append((table.c.org_id == org_id).desc())
    rows = session.execute(select(table.c.id).order_by(*order, table.c.id).limit(4)).scalars().all()
    return [str(r) for r in rows] or [str(uuid.uuid4())]  # nothing of that kind yet: the route's 404 is scanned


def _urls(rule: str, values: dict[str, list[str]], cap: int = 4) -> list[str]:
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
    if not names:
        return [rule]
    urls = []
    for combo in itertools.islice(itertools.product(*(values[n] for n in names)), cap):
        url = rule
        for name, value in zip(names, combo):
            url = re.sub(r"<(?:[^:<>]+:)?" + name + ">", value, url, count=1)
        urls.append(url)
    return urls


def _get_rules(app, console: bool) -> list[str]:
    return sorted({r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in SKIPPED
                   and r.endpoint.startswith(CONSOLE) == console})


@pytest.fixture
def seeded(app, client, session):
    from api.core.keyring import keyring
    from wellbeing import demo
    from wellbeing.org import organizations
    from wellbeing.core.clock import utcnow
    from wellbeing.core.db import db
    from wellbeing.models import User

    with app.app_context():
        summary = demo.seed_demo(db.session, utcnow(), agents=16, teams=2, months=1, keyring=keyring())
        organizations.bootstrap(db.session, "Other Org", "admin@other.test", PASSWORD, "UTC", utcnow())
    emails = {"owner": f"agent1-1@{DEMO}", "agent_same_team": f"agent1-2@{DEMO}", "agent_other_team": f"agent2-1@{DEMO}",
              "supervisor": f"supervisor1@{DEMO}", "supervisor_other": f"supervisor2@{DEMO}", "hr": f"hr@{DEMO}",
              "admin": f"admin@{DEMO}", "other_admin": "admin@other.test"}
    passwords = {k: PASSWORD if k == "other_admin" else demo.DEMO_PASSWORD for k in emails}
    headers = {}
    for key, email in emails.items():
        response = client.post(f"{API}/auth/token", json={"email": email, "password": passwords[key]})
        assert response.status_code == 200, (email, response.json)
        headers[key] = {"Authorization": f"Bearer {response.json['access_token']}"}
    owner = headers["owner"]
    now = utcnow()
    for n, note in enumerate(OWNER_NOTES):
        response = client.post(f"{API}/diary", headers=owner, json={
            "occurred_at": (now - timedelta(hours=n + 1)).isoformat(), "emotion": "wronged", "intensity": 9,
            "triggers": ["abusive_customer"], "note": note})
        assert response.status_code == 201, response.json
    # The demo holds the owner's recent PHQ-4 (a retake inside its interval is refused): a first WHO-5, alert firing.
    response = client.put(f"{API}/org/instruments", headers=headers["admin"],
                          json={"enabled": ["cbi", "phq4", "burnout1", "who5"]})
    assert response.status_code == 200, response.json
    response = client.post(f"{API}/assessments", headers=owner,
                           json={"instrument": "who5", "answers": {str(n): 0 for n in range(1, 6)}})
    assert response.status_code == 201 and response.json["alerts"], response.json
    response = client.post(f"{API}/me/counseling", headers=owner, json={"reason": REASON})
    assert response.status_code == 201, response.json

    # An organization API key (an integration) is scanned like a role.
    key = client.post(f"{API}/api-keys", json={}, headers=headers["admin"])
    assert key.status_code == 201, key.json
    headers["api_key"] = {"Authorization": f"Bearer {key.json['key']}"}

    # An erasure request by another agent, so receipt routes have something to show.
    leaver = client.post(f"{API}/auth/token", json={"email": f"agent2-6@{DEMO}", "password": demo.DEMO_PASSWORD}).json
    response = client.delete(f"{API}/me/data", headers={"Authorization": f"Bearer {leaver['access_token']}"})
    assert response.status_code in (202, 204), response.status_code

    users = {u.email: u for u in session.scalars(select(User))}
    agents = {e: u.id for e, u in users.items() if u.role == "agent" and e.endswith("@" + DEMO)}
    notes = demo_notes(session, app)
    assert set(OWNER_NOTES) <= set(notes)
    entry_ids = dict(session.execute(text("SELECT id, user_id FROM diary_entries")).all())
    values = {}
    owner_id = users[emails["owner"]].id
    for rule in _get_rules(app, False) + _get_rules(app, True):
        for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule):
            if name not in values:
                values[name] = _ids_for(session, name, owner_id, summary.org_id)
    # A user id path: the owner, another agent and a supervisor (not just the first rows by id).
    values["user_id"] = [owner_id, agents[emails["agent_same_team"]], users[emails["supervisor"]].id]
    return {"emails": emails, "passwords": passwords, "headers": headers, "agents": agents, "notes": notes,
            "entry_ids": entry_ids, "values": values, "owner_id": owner_id,
            "user_ids": {e: u.id for e, u in users.items()}, "names": {e: u.name for e, u in users.items()}}


def demo_notes(session, app) -> dict[str, set[str]]:
    """Every note stored in the diary, decrypted (the demo's and the owner's), with its writer's id."""
    from api.core.keyring import keyring
    from wellbeing.diary.entries import note_aad

    with app.app_context():
        ring = keyring()
    rows = session.execute(text(
        "SELECT id, user_id, note_ciphertext FROM diary_entries WHERE note_ciphertext IS NOT NULL")).all()
    assert len(rows) > len(OWNER_NOTES), "the demo seeded no notes to look for"
    # The demo's notes repeat across agents: a text may show only to the agents who wrote it.
    notes: dict[str, set[str]] = {}
    for entry_id, user_id, ct in rows:
        notes.setdefault(ring.decrypt(ct, note_aad(entry_id)), set()).add(user_id)
    return notes


def _person_values(node, person_markers: set[str], path: str = "") -> list[str]:
    """Paths of wellbeing-looking keys inside any JSON object that names one of the people."""
    found = []
    if isinstance(node, dict):
        names_person = any(isinstance(v, str) and v in person_markers for v in node.values()) or any(
            k in PERSON_KEYS and isinstance(v, (dict, str)) and v for k, v in node.items())
        if names_person:
            found += [f"{path}.{k}" for k, v in node.items() if WELLBEING_KEYS.search(k) and v not in (None, [], {})]
        for k, v in node.items():
            found += _person_values(v, person_markers, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _person_values(v, person_markers, f"{path}[{i}]")
    return found


def _readable(response) -> str:
    """The body as a person would read it: JSON with its \\u escapes decoded, HTML with entities decoded."""
    raw = response.get_data(as_text=True)
    if response.mimetype in ("application/json", "application/problem+json") and raw:
        return raw + "\n" + json.dumps(json.loads(raw), ensure_ascii=False)
    if response.mimetype == "text/html":
        return raw + "\n" + html.unescape(raw)
    return raw


def _scan(role: str, url: str, response, world: dict, failures: list[str]) -> None:
    if response.mimetype == "image/png":
        return
    body = _readable(response)
    where = f"{role} GET {url} ({response.status_code})"
    own = world["emails"].get(role)
    own_id = world["user_ids"].get(own)
    for note, writers in world["notes"].items():
        if note in body and own_id not in writers:
            failures.append(f"{where}: diary note {note[:30]!r}")
    if REASON in body and role != "hr":
        failures.append(f"{where}: the self-referral reason")
    leaked_entries = [i for i, writer in world["entry_ids"].items() if i in body and writer != own_id]
    if leaked_entries:
        failures.append(f"{where}: diary entry ids {leaked_entries[:2]}")
    own = world["emails"].get(role)
    sees_people = role in ("admin", "hr")  # the admin manages accounts; HR handles counseling cases
    if not sees_people:
        for email, user_id in world["agents"].items():
            if email != own and (email in body or (user_id in body and user_id not in url)):
                failures.append(f"{where}: agent {email}" + (" (e-mail)" if email in body else " (id)"))
                break
            name = world["names"][email]
            if email != own and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", body):
                failures.append(f"{where}: agent name {name!r}")
                break
    if role != "hr":
        if response.mimetype in ("application/json", "application/problem+json"):
            markers = set(world["agents"]) | set(world["agents"].values())
            markers -= {own, own_id}
            values = _person_values(json.loads(response.get_data(as_text=True)), markers)
            if values:
                failures.append(f"{where}: per-person wellbeing values at {values[:3]}")


def test_no_role_but_the_owner_sees_notes_reasons_or_per_person_wellbeing(app, client, seeded):
    failures: list[str] = []
    scanned = 0
    reached = set()
    for role, headers in seeded["headers"].items():
        if role == "owner":
            continue
        for rule in _get_rules(app, False):
            for url in _urls(rule, seeded["values"]):
                response = client.get(url, headers=headers)
                assert response.status_code < 500, (role, url, response.status_code)
                scanned += 1
                if response.status_code == 200:
                    reached.add((role, rule))
                _scan(role, url, response, seeded, failures)
    # The console, for the roles that may sign in to it (agents are never kept signed in).
    for role in ("supervisor", "supervisor_other", "hr", "admin", "other_admin"):
        console = browser(app)
        signed = sign_in(console, seeded["emails"][role], seeded["passwords"][role])
        assert signed.status_code in (302, 303), (role, signed.status_code)
        for rule in _get_rules(app, True):
            for url in _urls(rule, seeded["values"]):
                response = console.get(url)
                assert response.status_code < 500, (role, url, response.status_code)
                scanned += 1
                if response.status_code == 200:
                    reached.add((role, rule))
                _scan(role, url, response, seeded, failures)
    assert not failures, "\n".join(failures[:40])
    # The scan reached what each role may see (so an empty scan cannot pass).
    assert ("supervisor", "/console/supervisor/teams/<team_id>") in reached
    assert ("hr", "/api/v1/counseling/cases/<case_id>") in reached
    assert ("admin", "/api/v1/users/<user_id>") in reached
    assert ("agent_same_team", "/api/v1/me") in reached
    assert scanned > 200


def test_the_owner_does_see_their_own_notes(client, seeded):
    """The scan's markers are real: the owner's own diary holds them (else the scan would prove nothing)."""
    body = _readable(client.get(f"{API}/diary?limit=500", headers=seeded["headers"]["owner"]))
    assert all(note in body for note in OWNER_NOTES)
    mine = client.get(f"{API}/me/counseling", headers=seeded["headers"]["owner"]).json
    case_id = (mine.get("items") or mine)[0]["id"] if isinstance(mine, dict) else mine[0]["id"]
    case = client.get(f"{API}/counseling/cases/{case_id}", headers=seeded["headers"]["hr"])
    assert case.status_code == 200 and REASON in _readable(case)  # HR reads the reason the agent gave


def test_the_scan_reports_each_kind_of_leak(seeded):
    """The scan itself is checked: planted leaks of each kind are reported (so a quiet scan means something)."""
    from flask import Response

    owner_email = seeded["emails"]["owner"]
    owner_id = seeded["owner_id"]
    note = next(iter(n for n in seeded["notes"] if n.startswith("owner-note-")))
    entry_id = next(i for i, writer in seeded["entry_ids"].items() if writer == owner_id)
    planted = {
        "note": {"text": note},
        "reason": {"text": REASON},
        "entry id": {"ref": entry_id},
        "e-mail": {"who": owner_email},
        "name": {"who": seeded["names"][owner_email]},
        "per-person value": {"people": [{"user_id": owner_id, "risk_score": 0.8}]},
    }
    for kind, body in planted.items():
        failures: list[str] = []
        _scan("supervisor", "/planted", Response(json.dumps(body, ensure_ascii=False), mimetype="application/json"),
              seeded, failures)
        assert failures, f"a planted {kind} was not reported"
    html_failures: list[str] = []
    _scan("supervisor", "/planted", Response(f"<p>{html.escape(note)}</p>", mimetype="text/html"), seeded, html_failures)
    assert html_failures
