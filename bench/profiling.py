"""The --profile run: py-spy on the gunicorn workers during a single-POST peak, a flame graph (SVG) and the top
frames from collapsed stacks."""
from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bench.common import RESULTS


def start_profile(ctx, seconds: float):
    """py-spy on the gunicorn workers during the single-POST peak: one SVG flame graph, one raw (collapsed) file
    for the top frames. Returns None (and a note) when py-spy is missing or cannot attach."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        ctx.notes.append("profile: py-spy is not installed (pip install -r requirements-dev.txt)")
        return None
    workers = ctx.server.worker_pids()
    stamp = datetime.now().strftime("%Y-%m-%d")
    svg = RESULTS / f"profile-{ctx.label}-{stamp}.svg"
    raw = RESULTS / f"profile-{ctx.label}-{stamp}.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    duration = str(max(2, round(seconds)))
    # Two workers share the load; one is recorded as a flame graph and the other as collapsed stacks.
    processes = [subprocess.Popen([spy, "record", "--pid", str(workers[0]), "--duration", duration, "--rate", "250",
                                   "--nonblocking", "--format", "flamegraph", "--output", str(svg)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
                 subprocess.Popen([spy, "record", "--pid", str(workers[-1]), "--duration", duration, "--rate", "250",
                                   "--nonblocking", "--format", "raw", "--output", str(raw)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)]
    return processes, svg, raw


def finish_profile(ctx, profiler) -> None:
    processes, svg, raw = profiler
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    if not raw.exists() or not svg.exists():
        ctx.notes.append("profile: py-spy could not attach (ptrace?): " + " | ".join(o.strip()[-300:] for o in outputs))
        return
    ctx.notes.append(f"profile: flame graph {svg.relative_to(RESULTS.parent.parent)}")
    ctx.profile_top = top_frames(raw.read_text())


def top_frames(collapsed: str, limit: int = 15) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's collapsed stacks: the functions with the most samples on the stack (inclusive) and at the
    top of it (self), as shares of the busy samples (idle threads waiting for work are left out)."""
    inclusive: dict[str, int] = {}
    self_time: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if any(idle in frames[-1] for idle in ("wait (threading", "select (selectors", "_worker (concurrent",
                                               "accept (socket", "poll (selectors", "sleep (")):
            continue
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        self_time[frames[-1]] = self_time.get(frames[-1], 0) + n
    share = lambda table: [(f, round(100 * c / total, 1)) for f, c in  # noqa: E731
                           sorted(table.items(), key=lambda kv: -kv[1])[:limit]] if total else []
    project = {f: c for f, c in inclusive.items() if "(api/" in f or "(wellbeing/" in f}
    # Libraries below the request: leave out the frames every request passes through (threads, server, dispatch).
    plumbing = ("(threading.py", "(concurrent/", "(gunicorn/", "(flask/app.py", "(flask/views.py", "<module>")
    library = {f: c for f, c in inclusive.items() if f not in project and not any(p in f for p in plumbing)}
    return {"samples": [("busy samples", total)], "inclusive": share(library), "self": share(self_time),
            "project": share(project)}
