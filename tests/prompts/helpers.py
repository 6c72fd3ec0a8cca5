"""Helpers the prompt tests share: seeded prompts, a pinned session, real webhook receivers in threads."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from wellbeing.core.db import db, new_id
from wellbeing.models import Prompt

API = "/api/v1"
SECRET = "receiver-shared-secret-0123456789"
# Monday 2030-03-04 10:00 UTC: inside the default work hours (Mon-Fri 09:00-18:00) of a UTC agent
MONDAY = datetime(2030, 3, 4, 10, 0, tzinfo=timezone.utc)


def add_prompt(app, user_id: str, due_at: datetime, status: str = "scheduled", kind: str = "breathing",
               valid: timedelta = timedelta(minutes=10), **extra) -> str:
    """Insert one prompt row straight into the ledger; returns its id."""
    with app.app_context():
        prompt = Prompt(id=new_id(), user_id=user_id, kind=kind, exercise_id="resonance", source="schedule",
                        status=status, due_at=due_at, valid_until=due_at + valid, next_attempt_at=due_at,
                        attempts=0, created_at=due_at - timedelta(hours=1), **extra)
        db.session.add(prompt)
        db.session.commit()
        db.session.remove()
        return prompt.id


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # dispatchers open many connections at once


class Receiver:
    """A real HTTP webhook receiver in a thread: `ok` (checks the signature), `fail` (500), `gone` (410),
    `hang` (never answers until closed) or `reset` (drops the connection); or `push`, a Web Push service that
    counts each push by its Topic (the prompt id) and answers 201."""

    def __init__(self, mode: str = "ok", secret: str = SECRET) -> None:
        self.mode, self.secret = mode, secret
        self.keys: Counter[str] = Counter()
        self.bodies: list[dict] = []
        self.bad_signatures = 0
        self.arrived: list[float] = []  # time.monotonic() of each accepted delivery
        self.delay = 0.0  # seconds each answer takes (a receiver with some latency)
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.mode == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    return
                if receiver.mode == "hang":
                    receiver.release.wait(10)
                    return
                if receiver.delay:
                    receiver.release.wait(receiver.delay)
                if receiver.mode == "push":
                    with receiver.lock:
                        receiver.keys[self.headers.get("Topic", "")] += 1
                        receiver.arrived.append(time.monotonic())
                    self.send_response(201)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                with receiver.lock:
                    if not hmac.compare_digest(expected, self.headers.get("X-Wellbeing-Signature", "")):
                        receiver.bad_signatures += 1
                    receiver.keys[self.headers.get("Idempotency-Key", "")] += 1
                    receiver.arrived.append(time.monotonic())
                    receiver.bodies.append(json.loads(body))
                status = {"ok": 204, "fail": 500, "gone": 410}[receiver.mode]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Receiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
