"""Several dispatchers at once, threads here and real scheduler processes killed with SIGKILL: nothing lost or doubled."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from api.prompts.push import push_channel
from tests.conftest import now_utc
from tests.prompts.helpers import API, MONDAY, SECRET, Receiver
from tests.prompts.push_helpers import Browser
from wellbeing.core.db import db, new_id
from wellbeing.models import Prompt
from wellbeing.prompts.dispatch import dispatch_due

ROOT = Path(__file__).resolve().parents[2]


def _device(world, url: str, key: str) -> None:
    response = world.client.post(f"{API}/me/devices", json={"channel": "webhook", "url": url, "secret": SECRET},
                                 headers=world.as_(key))
    assert response.status_code == 201, response.json


def _many_prompts(app, world, due, count: int, valid=timedelta(minutes=10)) -> set[str]:
    rows = []
    for n in range(count):
        user = world.ids["agent" if n % 2 else "agent2"]
        at = due - timedelta(seconds=n)
        rows.append({"id": new_id(), "user_id": user, "kind": "breathing", "exercise_id": "resonance",
                     "source": "schedule", "status": "scheduled", "due_at": at, "valid_until": at + valid,
                     "next_attempt_at": at, "attempts": 0, "created_at": at})
    with app.app_context():
        db.session.execute(insert(Prompt), rows)
        db.session.commit()
        db.session.remove()
    return {row["id"] for row in rows}


def _webpush(world, url: str, key: str) -> None:
    body = {"channel": "webpush", "subscription": Browser().subscription(url)}
    response = world.client.post(f"{API}/me/devices", json=body, headers=world.as_(key))
    assert response.status_code == 201, response.json


def _topics(ids) -> set[str]:
    return {prompt_id.replace("-", "") for prompt_id in ids}


def test_two_concurrent_dispatchers_never_claim_the_same_prompt(app, world, session):
    with Receiver() as receiver, Receiver("push") as push_service:
        _device(world, receiver.url, "agent")
        _device(world, receiver.url, "agent2")
        _webpush(world, push_service.url, "agent")  # a Web Push subscription in the mix
        ids = _many_prompts(app, world, MONDAY, 400)
        agents = {row.id for row in session.execute(select(Prompt.id).where(Prompt.user_id == world.ids["agent"]))}
        start = threading.Barrier(2)
        results = []

        def dispatcher():
            with app.app_context():
                start.wait()
                channel = replace(push_channel(), allow_private=True, max_per_user_hour=10_000)
                results.append(dispatch_due(db.session, MONDAY, channel, batch_size=25))
                db.session.remove()

        threads = [threading.Thread(target=dispatcher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sum(r["claimed"] for r in results) == 400 and all(r["claimed"] > 0 for r in results)
    assert set(receiver.keys) == ids and set(receiver.keys.values()) == {1}
    assert set(push_service.keys) == _topics(agents) and set(push_service.keys.values()) == {1}
    assert session.scalar(select(func.count()).where(Prompt.status == "sent")) == 400


def _scheduler(app, database_url: str, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
           "SECRET_KEY": app.config["SECRET_KEY"], "DATA_KEYS": app.config["DATA_KEYS"],
           "ALLOW_PRIVATE_WEBHOOKS": "1", "PROMPT_CLAIM_LEASE_SECONDS": "3", "PASSWORD_HASH_COST": "low",
           # Two agents get hundreds of prompts here: the hourly flood cap is not what this test is about
           "PUSH_MAX_PER_USER_HOUR": "100000"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)  # polling a real process, not waiting for the pinned clock
    return False


def test_a_scheduler_killed_mid_run_loses_no_prompt_and_repeats_only_with_the_same_key(
        app, world, session, database_url, tmp_path):
    with Receiver() as receiver, Receiver("push") as push_service:
        receiver.delay = 0.02
        _device(world, receiver.url, "agent")
        _device(world, receiver.url, "agent2")
        _webpush(world, push_service.url, "agent2")  # the scheduler encrypts with its own (development) VAPID key
        ids = _many_prompts(app, world, now_utc(), 600, valid=timedelta(hours=1))
        agent2 = {row.id for row in session.execute(select(Prompt.id).where(Prompt.user_id == world.ids["agent2"]))}
        first = _scheduler(app, database_url, tmp_path)
        try:
            assert _wait(lambda: len(receiver.keys) >= 100, 60), "the first scheduler delivered nothing"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        delivered_before_restart = len(receiver.keys)
        assert delivered_before_restart < len(ids), "killed too late to prove anything"
        second = _scheduler(app, database_url, tmp_path)
        try:
            done = _wait(lambda: session.scalar(select(func.count()).where(
                Prompt.id.in_(ids), Prompt.status == "sent")) == len(ids), 90)
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=30)
        assert done, "not every prompt was sent after the restart"
        assert second.returncode == 0, stderr[-2000:]
        assert "scheduler stopped" in stderr
    assert set(receiver.keys) >= ids
    repeated = {key for key, count in receiver.keys.items() if count > 1}
    # Only prompts in flight at the kill can repeat (at most one claimed batch), and each with its own key
    assert len(repeated) <= 200 and all(receiver.keys[key] == 2 for key in repeated)
    assert set(push_service.keys) == _topics(agent2) and max(push_service.keys.values()) <= 2
