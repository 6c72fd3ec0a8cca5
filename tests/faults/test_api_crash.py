"""kill -9 under concurrent diary writes: a worker, then the whole API. Every acknowledged write survives exactly once.

The real service runs under gunicorn in a subprocess on a throwaway database of this run's kind. Client threads
POST /diary with their own ids; every 2xx is recorded as acknowledged. After one worker and later the whole process
group are killed and the API restarted, each acknowledged id is stored once with exactly the body sent (the note
decrypts to what was sent, every tag is there), and retrying the unacknowledged ids answers 201 or 200, never a copy.
"""
from __future__ import annotations

import http.client
import random
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from tests.faults.server import Server, app_env, bootstrap, migrate

EMOTIONS = ("calm", "frustrated", "anxious", "tired", "happy")
TRIGGERS = ("customer_complaint", "abusive_customer", "kpi_pressure")
SIGNALS = ("headache", "poor_sleep", "low_focus")
COPING = ("deep_breathing", "short_break")


def _body(rng: random.Random, n: int) -> dict:
    at = datetime.now(timezone.utc) - timedelta(hours=1, seconds=n % 100_000)
    return {
        "id": str(uuid.uuid4()), "occurred_at": at.isoformat(), "emotion": rng.choice(EMOTIONS),
        "intensity": rng.randint(1, 10), "stress": rng.randint(0, 10), "after_call": rng.random() < 0.5,
        "triggers": rng.sample(TRIGGERS, rng.randint(1, 3)), "signals": rng.sample(SIGNALS, rng.randint(1, 2)),
        "coping": rng.sample(COPING, rng.randint(1, 2)),
        "note": f"crash-note-{uuid.uuid4().hex} 第{n}条 ümlaut",
    }


class Writers:
    """Client threads posting diary entries back to back; remembers what was sent and what was acknowledged."""

    def __init__(self, server: Server, headers: dict, threads: int = 6, batch_threads: int = 2) -> None:
        self.server, self.headers = server, headers
        self.sent: dict[str, dict] = {}
        self.acked: set[str] = set()
        self.statuses: list[int | str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        self.threads += [threading.Thread(target=self._run_batches, args=(100 + i,), daemon=True)
                         for i in range(batch_threads)]

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        n = 0
        while not self.stop.is_set():
            n += 1
            body = _body(rng, seed * 100_000 + n)
            with self.lock:
                self.sent[body["id"]] = body
            try:
                status, _, _ = self.server.request("POST", "/api/v1/diary", body, self.headers, timeout=10)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                time.sleep(0.02)  # the server is away: do not spin
            with self.lock:
                self.statuses.append(status)
                if isinstance(status, int) and 200 <= status < 300:
                    self.acked.add(body["id"])

    def _run_batches(self, seed: int) -> None:
        """Offline phones catching up: batches of 50; an answered batch acknowledges each created/unchanged entry."""
        rng = random.Random(seed)
        n = 0
        while not self.stop.is_set():
            bodies = []
            for _ in range(50):
                n += 1
                bodies.append(_body(rng, seed * 100_000 + n))
            with self.lock:
                self.sent.update({b["id"]: b for b in bodies})
            try:
                status, answer, _ = self.server.request("POST", "/api/v1/diary/batch", {"entries": bodies}, self.headers,
                                                        timeout=20)
            except (OSError, http.client.HTTPException) as error:
                status, answer = type(error).__name__, None
                time.sleep(0.02)
            with self.lock:
                self.statuses.append(status)
                if status == 200:
                    results = answer["results"]
                    assert [r["status"] for r in results] == ["created"] * len(bodies), results[:3]
                    self.acked.update(r["id"] for r in results)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)

    def wait_for_acks(self, more: int, timeout: float = 30) -> None:
        target = self.acked_count() + more
        deadline = time.monotonic() + timeout
        while self.acked_count() < target:
            assert time.monotonic() < deadline, f"only {self.acked_count()} acknowledged writes; statuses {self.statuses[-20:]}"
            time.sleep(0.02)

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def test_acknowledged_diary_writes_survive_kill_9_of_a_worker_and_of_the_whole_api(fresh_database_url, tmp_path):
    env = app_env(fresh_database_url, tmp_path / "instance")
    migrate(env)
    bootstrap(env)
    log = tmp_path / "gunicorn.log"
    server = Server(env, log, extra_args=("--access-logfile", "-"))  # access lines are checked too
    server.start()
    try:
        admin = server.login("admin@fault.test")
        agent = server.create_user(admin, "agent@fault.test")

        with Writers(server, agent) as writers:
            writers.wait_for_acks(40)
            killed = server.kill_worker()
            writers.wait_for_acks(40)  # writes go on while the master replaces the worker
            workers = server.workers_after_replacing(killed)
            assert killed not in workers and len(workers) == 2, workers
            writers.wait_for_acks(40)  # and after
            server.kill_all()  # now the master and every worker, mid-write
            time.sleep(0.3)  # clients see refused connections while the API is down
        refused = [s for s in writers.statuses if isinstance(s, str)]
        assert refused, "the kill of the whole API was not seen by any client"
        assert all(isinstance(s, str) or s in (200, 201) for s in writers.statuses), set(writers.statuses)

        server.start()
        agent = server.login("agent@fault.test")
        engine = create_engine(fresh_database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, count(*) FROM diary_entries GROUP BY id")).all()
                tag_counts = dict(conn.execute(text(
                    "SELECT entry_id, count(*) FROM diary_tags GROUP BY entry_id")).all())
            stored = {row[0]: row[1] for row in rows}
            assert all(count == 1 for count in stored.values())
            assert writers.acked <= set(stored), f"{len(writers.acked - set(stored))} acknowledged writes lost"
            assert set(stored) <= set(writers.sent)
            # Nothing half-written: every stored entry (acknowledged or not) has all of its tags.
            for entry_id in stored:
                sent = writers.sent[entry_id]
                expected = len(sent["triggers"]) + len(sent["signals"]) + len(sent["coping"])
                assert tag_counts.get(entry_id, 0) == expected, entry_id
            # Exactly the body sent, note decrypted, for every acknowledged write (read back page by page).
            served: dict[str, dict] = {}
            cursor = ""
            while True:
                status, page, _ = server.request("GET", f"/api/v1/diary?limit=500{cursor}", headers=agent)
                assert status == 200, page
                served.update({item["id"]: item for item in page["items"]})
                if not page["next_cursor"]:
                    break
                cursor = f"&cursor={page['next_cursor']}"
            assert set(served) == set(stored)
            for entry_id in writers.acked:
                got, sent = served[entry_id], writers.sent[entry_id]
                for key in ("emotion", "intensity", "stress", "after_call", "triggers", "signals", "coping", "note"):
                    assert got[key] == sent[key], (key, got[key], sent[key])
                assert datetime.fromisoformat(got["occurred_at"]) == datetime.fromisoformat(sent["occurred_at"])
            # Retrying what was never acknowledged, with the same ids: 201 or 200 (a replay), never a copy;
            # singly for a few, the rest as a batch (created, or unchanged when the lost answer's write was stored).
            unacked = [i for i in writers.sent if i not in writers.acked]
            assert unacked
            for entry_id in unacked[:20]:
                status, got, _ = server.request("POST", "/api/v1/diary", writers.sent[entry_id], agent)
                assert status == (200 if entry_id in stored else 201), (status, got)
            rest = unacked[20:]
            for start in range(0, len(rest), 500):
                chunk = rest[start:start + 500]
                status, got, _ = server.request("POST", "/api/v1/diary/batch",
                                                {"entries": [writers.sent[i] for i in chunk]}, agent, timeout=60)
                assert status == 200, got
                assert [r["status"] for r in got["results"]] == [
                    "unchanged" if i in stored else "created" for i in chunk]
            with engine.connect() as conn:
                total, distinct = conn.execute(text("SELECT count(*), count(DISTINCT id) FROM diary_entries")).one()
            assert total == distinct == len(writers.sent)
        finally:
            engine.dispose()
    finally:
        server.stop()
    # The server's own output never carries what the agents wrote or their passwords.
    output = log.read_text(errors="replace")
    assert "crash-note-" not in output and "correct horse battery" not in output
