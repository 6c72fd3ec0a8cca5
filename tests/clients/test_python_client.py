"""A Python client generated from the live /openapi.json drives the phone app's main flows.

No hand-written HTTP here: `openapi-python-client` (pinned in requirements-dev.txt) generates a package from the
document the running service serves, into a temporary folder, and every call below goes through it over real HTTP.
A wrong document (an undeclared null, a missing status, a body the schema does not describe) breaks the generated
client's parsing and fails this test.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.helpers import PASSWORD
from tests.prompts.helpers import add_prompt
from wellbeing.core.db import db

PACKAGE = "wellbeing_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
TEMPORARY = "temporary-from-admin"


@pytest.fixture(scope="module")
def client_package(live_server, tmp_path_factory):
    """Generate the client from the live document and import it (the generator must raise no warning)."""
    folder = tmp_path_factory.mktemp("python-client")
    spec = requests.get(f"{live_server}/openapi.json", timeout=30).json()
    (folder / "openapi.json").write_text(json.dumps(spec))
    (folder / "config.json").write_text(json.dumps({
        "package_name_override": PACKAGE, "project_name_override": PACKAGE,
        # The charts are bytes: the generator handles binary bodies as application/octet-stream.
        "content_type_overrides": {"image/png": "application/octet-stream", "image/svg+xml": "application/octet-stream"},
    }))
    result = subprocess.run([str(GENERATOR), "generate", "--path", str(folder / "openapi.json"), "--config",
                             str(folder / "config.json"), "--output-path", str(folder / PACKAGE), "--meta", "none"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "WARNING" not in result.stdout and "Warning" not in result.stdout, result.stdout[-3000:]
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _call(module: str, *args, **kwargs):
    """The parsed answer of a generated operation (`sync_detailed`: the status is checked by the caller)."""
    return importlib.import_module(f"{PACKAGE}.api.{module}").sync_detailed(*args, **kwargs)


def _bootstrap(app) -> None:
    from wellbeing.org import organizations
    with app.app_context():
        organizations.bootstrap(db.session, "Client Org", "admin@client.test", PASSWORD, "Asia/Shanghai",
                                datetime.now(timezone.utc))


def test_the_phone_flows_through_the_generated_python_client(app, live_server, client_package):
    _bootstrap(app)
    wc = client_package
    from wellbeing_client.models import (AssessmentCreate, AssessmentCreateAnswers, Batch, BatchEntriesItem,
                                         DeviceCreate, DeviceCreateChannel, EntryCreate, PasswordGrant, PasswordChange,
                                         UserCreate, UserCreateRole)
    anonymous = wc.Client(base_url=live_server, raise_on_unexpected_status=True)

    # The administrator adds the agent with a temporary password (issue 18); the agent chooses their own.
    signed_in = _call("auth.post_api_v1_auth_token", client=anonymous,
                      body=PasswordGrant(email="admin@client.test", password=PASSWORD))
    assert signed_in.status_code == 200, signed_in.content
    admin = wc.AuthenticatedClient(base_url=live_server, token=signed_in.parsed.access_token,
                                   raise_on_unexpected_status=True)
    created = _call("users.post_api_v1_users", client=admin, body=UserCreate(
        email="agent@client.test", name="Agent", role=UserCreateRole.AGENT, password=TEMPORARY))
    assert created.status_code == 201, created.content
    agent_id = created.parsed.id
    refused = _call("auth.post_api_v1_auth_token", client=anonymous,
                    body=PasswordGrant(email="agent@client.test", password=TEMPORARY))
    assert refused.status_code == 403 and refused.parsed.code == "password_change_required"
    changed = _call("auth.post_api_v1_auth_password_change", client=anonymous, body=PasswordChange(
        email="agent@client.test", password=TEMPORARY, new_password=PASSWORD))
    assert changed.status_code == 200, changed.content

    # Refresh: a new pair; the old refresh token is retired.
    refresher = wc.AuthenticatedClient(base_url=live_server, token=changed.parsed.refresh_token)
    refreshed = _call("auth.post_api_v1_auth_refresh", client=refresher)
    assert refreshed.status_code == 200 and refreshed.parsed.access_token != changed.parsed.access_token
    agent = wc.AuthenticatedClient(base_url=live_server, token=refreshed.parsed.access_token,
                                   raise_on_unexpected_status=True)

    # A diary entry, then a batch of queued ones (one of them broken: reported, the others stored).
    now = datetime.now(timezone.utc).replace(microsecond=0)
    entry = _call("diary.post_api_v1_diary", client=agent, body=EntryCreate(
        emotion="frustrated", occurred_at=now - timedelta(minutes=5), intensity=7, note="third angry caller"))
    assert entry.status_code == 201 and entry.parsed.note == "third angry caller"
    queued = [BatchEntriesItem.from_dict({"occurred_at": (now - timedelta(hours=h)).isoformat(), "emotion": "calm",
                                          "intensity": 3}) for h in (2, 3)]
    queued.append(BatchEntriesItem.from_dict({"occurred_at": now.isoformat(), "emotion": "elated", "intensity": 3}))
    batch = _call("diary.post_api_v1_diary_batch", client=agent, body=Batch(entries=queued))
    assert batch.status_code == 200
    assert [result.status for result in batch.parsed.results] == ["created", "created", "error"]
    listed = _call("diary.get_api_v1_diary", client=agent, limit=2)
    assert listed.status_code == 200 and len(listed.parsed.items) == 2 and listed.parsed.next_cursor
    following = _call("diary.get_api_v1_diary", client=agent, limit=2, cursor=listed.parsed.next_cursor)
    assert following.status_code == 200 and len(following.parsed.items) == 1 and following.parsed.next_cursor is None
    insights = _call("diary.get_api_v1_diary_insights", client=agent, days=30)
    assert insights.status_code == 200, insights.content

    # Questionnaires: the offered ones, answer one, then the risk indicator.
    offered = _call("instruments.get_api_v1_instruments", client=agent)
    assert offered.status_code == 200 and "burnout1" in {instrument.id for instrument in offered.parsed}
    answered = _call("assessments.post_api_v1_assessments", client=agent, body=AssessmentCreate(
        instrument="burnout1", answers=AssessmentCreateAnswers.from_dict({"1": 2})))
    assert answered.status_code == 201, answered.content
    history = _call("assessments.get_api_v1_assessments", client=agent)
    assert history.status_code == 200 and [item.id for item in history.parsed.items] == [answered.parsed.id]
    risk = _call("risk.get_api_v1_me_risk", client=agent)
    assert risk.status_code == 200, risk.content

    # Prompts: the inbox, acknowledge a sent one.
    prompt_id = add_prompt(app, agent_id, now - timedelta(minutes=1), status="sent", sent_at=now - timedelta(minutes=1))
    inbox = _call("prompts.get_api_v1_me_prompts", client=agent)
    assert inbox.status_code == 200 and [prompt.id for prompt in inbox.parsed.items] == [prompt_id]
    assert inbox.parsed.items[0].acknowledged_at is None
    acknowledged = _call("prompts.post_api_v1_me_prompts_prompt_id_ack", prompt_id, client=agent)
    assert acknowledged.status_code == 200 and acknowledged.parsed.status == "acknowledged"
    assert acknowledged.parsed.acknowledged_at is not None

    # A push target, then the export of everything the agent owns.
    device = _call("devices.post_api_v1_me_devices", client=agent, body=DeviceCreate(
        channel=DeviceCreateChannel.WEBHOOK, url="http://127.0.0.1:9/hook", secret="s" * 32))
    assert device.status_code == 201 and device.parsed.disabled_at is None
    devices = _call("devices.get_api_v1_me_devices", client=agent)
    assert devices.status_code == 200 and [d.id for d in devices.parsed.items] == [device.parsed.id]
    export = _call("data_rights.get_api_v1_me_export", client=agent)
    assert export.status_code == 200, export.content
    exported = json.loads(export.content)
    assert len(exported["diary"]["entries"]) == 3 and len(exported["assessments"]["results"]) == 1
