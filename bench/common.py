"""What the benchmarks share: throwaway databases, a gunicorn server per target, a closed-loop load generator,
percentiles, and the results table (printed and written as JSON under bench/results/)."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
# The same server settings for the product and its baseline (those of `make run`).
# BENCH_WORKERS / BENCH_THREADS / BENCH_KEEPALIVE override them to measure other settings (docs/benchmarks.md).
WORKERS = os.environ.get("BENCH_WORKERS", "2")
THREADS = os.environ.get("BENCH_THREADS", "4")
GUNICORN = ["--worker-class", "gthread", "--workers", WORKERS, "--threads", THREADS, "--log-level", "warning",
            *(["--keep-alive", os.environ["BENCH_KEEPALIVE"]] if os.environ.get("BENCH_KEEPALIVE") else [])]


@contextlib.contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    """A new empty database: a SQLite file, or a database created on the PostgreSQL server (dropped after)."""
    if not server_url or server_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    base = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its address (host:port) and master process id."""

    address: str
    pid: int

    def worker_pids(self) -> list[int]:
        """The master's worker processes (from /proc)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def connections_per_worker(self) -> dict[int, int]:
        """Established client connections held by each worker (from `ss`): keep-alive connections stay with the
        worker that accepted them, so an uneven split queues requests on one worker while the other idles."""
        import re

        port = self.address.rsplit(":", 1)[1]
        try:
            out = subprocess.run(["ss", "-tnpH", "state", "established", "sport", "=", f":{port}"],
                                 capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return {}
        counts = {pid: 0 for pid in self.worker_pids()}
        for pid in re.findall(r"pid=(\d+)", out):
            if int(pid) in counts:
                counts[int(pid)] += 1
        return counts

    def worker_rss_kib(self) -> dict[int, int]:
        """VmRSS of each worker, in KiB (from /proc/<pid>/status)."""
        sizes = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1])
        return sizes


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve `app_spec` with gunicorn on a free port; yields the base URL once /healthz answers."""
    with serve(app_spec, env) as server:
        yield server.address


@contextlib.contextmanager
def serve(app_spec: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Serve `app_spec` with gunicorn (the settings of GUNICORN) on a free port, until /healthz answers."""
    port = free_port()
    process = subprocess.Popen([PYTHON, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}", app_spec],
                               cwd=ROOT, env=os.environ | (env or {}), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with contextlib.closing(http.client.HTTPConnection("127.0.0.1", port, timeout=2)) as conn:
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {app_spec} did not start")
            time.sleep(0.2)
        yield Server(f"127.0.0.1:{port}", process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@dataclass
class Load:
    """What a load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def run_load(address: str, method: str, path: str, body: Callable[[], bytes | None], headers: dict[str, str],
             connections: int = 8, seconds: float = 8.0, warmup: float = 1.0, expect: tuple[int, ...] = (200, 201)) -> Load:
    """A closed loop: `connections` keep-alive clients send back to back for `seconds` (after a warm-up)."""
    host, port = address.split(":")
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    start_at = time.monotonic() + warmup
    stop_at = start_at + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine: list[float] = []
        ok = errors = 0
        while True:
            payload = body()
            began = time.monotonic()
            if began >= stop_at:
                break
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                response.read()
                good = response.status in expect
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                good = False
            ended = time.monotonic()
            if began >= start_at:
                mine.append((ended - began) * 1000)
                ok, errors = (ok + 1, errors) if good else (ok, errors + 1)
        conn.close()
        with lock:
            latencies.extend(mine)
            counts["ok"] += ok
            counts["errors"] += errors

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(counts["ok"], counts["errors"], seconds, latencies)


def row(scenario: str, metric: str, value: float, unit: str, baseline: str | None = None,
        baseline_value: float | None = None, target: str | None = None, met: bool | None = None) -> dict:
    """One result line; `ratio` is value / baseline_value when there is a baseline."""
    ratio = round(value / baseline_value, 3) if baseline_value else None
    return {"scenario": scenario, "metric": metric, "value": round(value, 3), "unit": unit, "baseline": baseline,
            "baseline_value": None if baseline_value is None else round(baseline_value, 3), "ratio": ratio,
            "target": target, "met": met}


def print_table(rows: list[dict]) -> None:
    header = ("scenario", "metric", "value", "unit", "baseline", "ratio", "target", "met")
    lines = [header] + [tuple("" if r[k] is None else str(r[k] if k != "baseline" else
                                                          f"{r['baseline']} = {r['baseline_value']}")
                              for k in header) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def write_results(name: str, rows: list[dict], meta: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{date.today().isoformat()}.json"
    document = {"benchmark": name, "date": date.today().isoformat(), "machine": {
        "python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}} | meta
    document["rows"] = rows
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
