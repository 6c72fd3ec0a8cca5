"""Overall deadlines for deliveries: a watchdog thread shuts a delivery's socket when its time is up.

Socket timeouts apply to each read, so a receiver that trickles one byte every few seconds would keep a
delivery open for as long as it likes; the watchdog ends it at the deadline whatever the receiver does.
"""
from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from typing import Any


class Watch:
    """One delivery under watch: `holder.sock` is shut at `deadline` (time.monotonic) unless released first."""

    __slots__ = ("deadline", "holder", "fired", "done")

    def __init__(self, deadline: float, holder: Any) -> None:
        self.deadline, self.holder, self.fired, self.done = deadline, holder, False, False

    def remaining(self) -> float:
        """Seconds left (never below a millisecond, so a timeout of it still raises instead of blocking)."""
        return max(self.deadline - time.monotonic(), 0.001)


class Watchdog:
    """A single daemon thread with a heap of deadlines (one thread per process, not one per delivery)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._pid: int | None = None

    def watch(self, deadline: float, holder: Any) -> Watch:
        """Start watching `holder` (anything with a `sock` attribute, read when the deadline comes)."""
        entry = Watch(deadline, holder)
        with self._lock:
            if self._pid != os.getpid():
                # A forked process has no watchdog thread of its own yet
                self._heap, self._pid = [], os.getpid()
                threading.Thread(target=self._run, name="delivery-watchdog", daemon=True).start()
            heapq.heappush(self._heap, (deadline, next(self._seq), entry))
            self._lock.notify()
        return entry

    def release(self, entry: Watch) -> bool:
        """Stop watching; True if the deadline had already fired (the holder's socket is shut)."""
        with self._lock:
            entry.done = True
            return entry.fired

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap:
                    self._lock.wait()
                deadline, _, entry = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._heap)
                if entry.done:
                    continue
                entry.fired = True
                sock = getattr(entry.holder, "sock", None)
                if sock is not None:
                    try:
                        # The plain socket's shutdown: an SSLSocket's own would drop its TLS state under the
                        # reading thread; this wakes that thread's blocked read with an end of stream instead
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                    except OSError:
                        pass


WATCHDOG = Watchdog()
