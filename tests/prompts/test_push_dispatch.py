"""A dispatcher no receiver can stall, and the caps that keep the service from flooding anyone."""
from __future__ import annotations

import select as io_select
import socket
import threading
import time
from datetime import timedelta

from sqlalchemy import insert, select, update

from tests.helpers import assert_problem
from tests.prompts.helpers import API, MONDAY, SECRET, Receiver, add_prompt
from tests.prompts.push_helpers import dispatch
from wellbeing.core.db import db, new_id
from wellbeing.models import Device, Prompt, PromptDelivery
from wellbeing.prompts.dispatch import LIMITED


def _webhook(world, url: str, key: str = "agent") -> str:
    response = world.client.post(f"{API}/me/devices", json={"channel": "webhook", "url": url, "secret": SECRET},
                                 headers=world.as_(key))
    assert response.status_code == 201, response.json
    return response.json["id"]


class Trickle:
    """A receiver that answers one byte every 0.2 s, forever: per-read timeouts never fire."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        self.closed_at: list[float] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            try:
                for byte in b"HTTP/1.1 200 OK\r\n" * 1000:
                    connection.send(bytes([byte]))
                    # A byte every 0.2 s, watching for the dispatcher to hang up meanwhile
                    readable, _, _ = io_select.select([connection], [], [], 0.2)
                    if self.stop.is_set():
                        return
                    if readable and not connection.recv(1):
                        break
            except OSError:
                pass
            self.closed_at.append(time.monotonic())  # the dispatcher gave up on it

    def close(self) -> None:
        self.stop.set()
        self.server.close()


class BlackHole:
    """An address whose connection attempts are never answered (a listen backlog kept full)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(0)
        self.fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(self.server.getsockname())
            except BlockingIOError:
                pass
            self.fillers.append(filler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"

    def close(self) -> None:
        for filler in self.fillers:
            filler.close()
        self.server.close()


def _prompts(app, user_ids: list[str], count: int, due) -> set[str]:
    rows = []
    for n in range(count):
        at = due - timedelta(seconds=n)
        rows.append({"id": new_id(), "user_id": user_ids[n % len(user_ids)], "kind": "breathing",
                     "exercise_id": "resonance", "source": "schedule", "status": "scheduled", "due_at": at,
                     "valid_until": at + timedelta(minutes=10), "next_attempt_at": at, "attempts": 0,
                     "created_at": at})
    with app.app_context():
        db.session.execute(insert(Prompt), rows)
        db.session.commit()
        db.session.remove()
    return {row["id"] for row in rows}


def test_a_trickling_a_black_hole_and_a_resetting_receiver_hold_back_no_other_agents_prompt(app, world, session):
    trickle, hole = Trickle(), BlackHole()
    with Receiver("reset") as reset, Receiver() as good, Receiver() as good_b:
        try:
            for url in (trickle.url, hole.url, reset.url):
                _webhook(world, url, "agent")
            _webhook(world, good.url, "agent2")
            _webhook(world, good_b.url, "agent_b")
            slow = _prompts(app, [world.ids["agent"]], 3, MONDAY)
            others = _prompts(app, [world.ids["agent2"], world.ids["agent_b"]], 300, MONDAY)
            channel = {"timeout": (2.0, 5.0), "deadline": 3.0, "workers": 16, "max_per_user_hour": 10_000}
            started = time.monotonic()
            counts = dispatch(app, MONDAY, channel, batch_size=50)
            finished = time.monotonic()
        finally:
            trickle.close()
            hole.close()
    assert counts["claimed"] == 303 and counts["sent"] == 300 and counts["retry"] == 3
    assert set(good.keys) | set(good_b.keys) == others
    # Every other agent's prompt arrived while the slow deliveries were still held open ...
    assert trickle.closed_at and max(good.arrived + good_b.arrived) < min(trickle.closed_at)
    # ... and the slow ones ended at their deadline, not when the receiver chose to stop
    assert min(trickle.closed_at) - started < 3.0 + 1.5 and finished - started < 3.0 + 5.0
    log = session.scalars(select(PromptDelivery).where(PromptDelivery.prompt_id.in_(slow))).all()
    assert len(log) == 9 and not any(d.ok or d.permanent for d in log)
    # The resetting receiver, the black hole (connect timeout), the trickle (the overall deadline)
    assert {d.error for d in log} == {"connection failed: ConnectionResetError", "timed out",
                                      "timed out: the delivery deadline passed"}
    assert all(p.status == "scheduled" and p.attempts == 1 for p in session.scalars(
        select(Prompt).where(Prompt.id.in_(slow))))


def test_a_failed_device_among_several_is_retried_alone(app, world, session):
    with Receiver() as good, Receiver("fail") as flaky:
        _webhook(world, good.url)
        flaky_id = _webhook(world, flaky.url)
        prompt_id = add_prompt(app, world.ids["agent"], MONDAY)
        first = dispatch(app, MONDAY)
        prompt = session.get(Prompt, prompt_id)
        assert first["sent"] == 1 and prompt.status == "sent" and prompt.redeliver
        assert MONDAY + timedelta(seconds=15) <= prompt.next_attempt_at <= MONDAY + timedelta(seconds=30)
        flaky.mode = "ok"
        again = dispatch(app, prompt.next_attempt_at)
        assert again["claimed"] == 1 and again["deliveries"] == 1
        assert dispatch(app, prompt.next_attempt_at + timedelta(minutes=1))["claimed"] == 0
    assert good.keys == {prompt_id: 1} and flaky.keys == {prompt_id: 2}  # one 500, then the retry
    session.expire_all()
    prompt = session.get(Prompt, prompt_id)
    assert prompt.status == "sent" and not prompt.redeliver and prompt.sent_at == MONDAY
    assert session.get(Device, flaky_id).last_error == "HTTP 500"


def test_deliveries_per_user_and_hour_are_capped_and_the_rest_wait_in_the_inbox(app, world, session):
    with Receiver() as receiver:
        _webhook(world, receiver.url)
        ids = [add_prompt(app, world.ids["agent"], MONDAY + timedelta(minutes=n)) for n in range(5)]
        channel = {"max_per_user_hour": 3}
        for n in range(5):
            dispatch(app, MONDAY + timedelta(minutes=n), channel)
        assert len(receiver.keys) == 3
        # An hour after the window opened, pushes flow again
        later = add_prompt(app, world.ids["agent"], MONDAY + timedelta(minutes=61))
        dispatch(app, MONDAY + timedelta(minutes=61), channel)
    assert set(receiver.keys) == set(ids[:3]) | {later}
    assert all(session.get(Prompt, i).status == "sent" for i in ids)
    limited = session.scalars(select(PromptDelivery).where(PromptDelivery.error == LIMITED)).all()
    assert sorted(d.prompt_id for d in limited) == sorted(ids[3:])


def test_an_agent_registers_at_most_ten_devices(world):
    for n in range(10):
        _webhook(world, f"http://127.0.0.1:9/hook{n}")
    response = world.client.post(f"{API}/me/devices", headers=world.as_("agent"),
                                 json={"channel": "webhook", "url": "http://127.0.0.1:9/more", "secret": SECRET})
    assert assert_problem(response, 429)["code"] == "device_limit"
    assert response.headers["Retry-After"]
    assert len(world.client.get(f"{API}/me/devices?limit=50", headers=world.as_("agent")).json["items"]) == 10


def test_a_prompt_is_snoozed_at_most_three_times(app, world, session):
    prompt_id = add_prompt(app, world.ids["agent"], MONDAY, status="sent")
    for n in range(3):
        snoozed = world.client.post(f"{API}/me/prompts/{prompt_id}/snooze", json={"minutes": 5 + n},
                                    headers=world.as_("agent"))
        assert snoozed.status_code == 200 and snoozed.json["snoozes"] == n + 1
        session.execute(update(Prompt).where(Prompt.id == prompt_id).values(status="sent"))  # delivered again
        session.commit()
    refused = world.client.post(f"{API}/me/prompts/{prompt_id}/snooze", json={"minutes": 30},
                                headers=world.as_("agent"))
    assert assert_problem(refused, 429)["code"] == "snooze_limit"
    session.expire_all()
    assert session.get(Prompt, prompt_id).snoozes == 3


def test_test_notifications_reach_the_device_five_times_an_hour(app, world, session):
    with Receiver() as receiver:
        device_id = _webhook(world, receiver.url)
        for _ in range(5):
            answer = world.client.post(f"{API}/me/devices/{device_id}/test", headers=world.as_("agent"))
            assert answer.status_code == 200 and answer.json == {"ok": True, "status_code": 204, "error": None}
        refused = world.client.post(f"{API}/me/devices/{device_id}/test", headers=world.as_("agent"))
        # An hour after the window opened the allowance is back
        device = session.get(Device, device_id)
        session.execute(update(Device).where(Device.id == device_id)
                        .values(tests_window_at=device.tests_window_at - timedelta(minutes=61)))
        session.commit()
        later = world.client.post(f"{API}/me/devices/{device_id}/test", headers=world.as_("agent"))
        other = world.client.post(f"{API}/me/devices/{device_id}/test", headers=world.as_("agent2"))
    assert assert_problem(refused, 429)["code"] == "test_limit" and 0 < int(refused.headers["Retry-After"]) <= 3601
    assert later.status_code == 200
    assert_problem(other, 404)
    assert len(receiver.bodies) == 6 and receiver.bodies[0]["kind"] == "test"
    assert receiver.bodies[0]["title"] == "Test notification" and receiver.bodies[0]["prompt_id"] is None
    session.expire_all()
    assert session.get(Device, device_id).last_success_at is not None


def test_the_dispatcher_keeps_push_workers_deliveries_in_flight(tmp_path):
    from api import create_app
    from api.config import Config
    from api.prompts.push import push_channel
    from wellbeing.core.crypto import generate_key
    from wellbeing.prompts.dispatch import WORKERS

    def workers(**extra) -> int:
        env = {"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40,
               "DATA_KEYS": generate_key("workers"), **extra}
        with create_app(Config(env)).app_context():
            return push_channel().workers

    assert workers() == WORKERS == 128
    assert workers(PUSH_WORKERS="7") == 7
    assert workers(PUSH_WORKERS="0") == 1
