"""Instructions per request under callgrind: the one CPU measure a shared machine cannot disturb.

Throughput and CPU seconds move with whatever else the two cores run (the same bare endpoint measured 2,400 and
7,500 req/s in one day). valgrind's callgrind counts the instructions the process executes, which repeat to the
thousandth for the same code and inputs. The measured process (this module run as a script, under valgrind with
instrumentation off) builds the app, warms up, switches counting on with ``callgrind_control`` for N requests,
dumps and switches it off again; the parent reads the dump's total. Requests go through Flask's test client, as
in the in-process CPU scenario: no server, no network, only the application's own work.

    python -m bench.instructions echo|post|insights N   (the environment names the database and the tokens)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 30


def available() -> bool:
    return bool(shutil.which("valgrind") and shutil.which("callgrind_control"))


def count(kind: str, requests: int, env: dict[str, str]) -> float:
    """Instructions per request of `kind` (echo: the bare Flask endpoint; post: POST /diary; insights: a year)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}.%p",
                        sys.executable, "-m", "bench.instructions", kind, str(requests)],
                       cwd=ROOT, env=os.environ | env, check=True, capture_output=True, timeout=1800)
        # The dump callgrind_control -d asked for (callgrind.out.<pid>.1) covers exactly the measured requests; its
        # "totals" line is the count (the final file's "summary" can wrap around after toggling).
        (dump,) = Path(tmp).glob("callgrind.out.*.1")
        total = next(int(line.split()[1]) for line in dump.read_text(errors="replace").splitlines()
                     if line.startswith("totals:"))
    return total / requests


def sender(kind: str, client, authorization: str | None = None):
    """One request of `kind` through a Flask test client, its status checked: echo (the bare endpoint's client),
    post (POST /diary, a new id each time) or insights (a year); `authorization` is the Authorization header."""
    from bench import loadgen
    from bench.suite import _diary_template

    template = _diary_template()
    headers = {"Authorization": authorization} if authorization else {}

    def send():
        if kind == "echo":
            assert client.post("/echo", data=template, content_type="application/json").status_code == 201
        elif kind == "post":
            body = template.replace(loadgen.ID_PLACEHOLDER, str(uuid.uuid4()))
            response = client.post("/api/v1/diary", data=body, content_type="application/json", headers=headers)
            assert response.status_code == 201, response.data
        else:
            assert client.get("/api/v1/diary/insights?days=365", headers=headers).status_code == 200
    return send


def _requests(kind: str):
    if kind == "echo":
        from bench.baseline_app import app as bare

        return sender(kind, bare.test_client())
    from api import create_app

    return sender(kind, create_app().test_client(), os.environ["BENCH_TOKEN"])


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True, timeout=120)


def main(kind: str, requests: int) -> None:
    send = _requests(kind)
    for _ in range(WARMUP):
        send()
    _control("-i", "on")
    for _ in range(requests):
        send()
    _control("-d")
    _control("-i", "off")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
