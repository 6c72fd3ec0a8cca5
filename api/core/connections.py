"""Keep-alive connections that survive an early answer, and the server's own errors as problem+json.

An answer given before the request body was read (413 for an over-size body, 401 on a batch with an expired
token, a body sent to GET /healthz) leaves that body on the connection. gunicorn's gthread worker then drains at
most 64 KiB within 5 s and otherwise closes the connection *after* having answered "Connection: keep-alive": a
client that meanwhile sent its next request on that connection sees "connection closed without response" instead
of an answer (a phone then retries the batch instead of refreshing its token).

``UnreadBodyGuard`` fixes that at the root, for every endpoint and every server:

- a body of at most the size cap (``MAX_CONTENT_LENGTH``) that the application did not read is drained after the
  response has gone out, so the connection stays usable for the next request;
- a body over the cap (declared, or found while streaming a chunked one) is never read by the application: the
  response says ``Connection: close`` and the server closes the connection after it, having first read what the
  client is still sending (bounded in bytes and time) so that the client reads the answer rather than a reset.

gunicorn treats ``Connection`` as a hop-by-hop header and ignores it in a WSGI response; the hooks in the repository's
``gunicorn.conf.py`` (``pre_request``/``post_request`` below) let the guard mark gunicorn's request to be closed.
The same file replaces gunicorn's HTML error page (414 for an over-long request line, 400, 431 ...) with a
problem+json document.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable

from werkzeug.wsgi import ClosingIterator

PROBLEM = "application/problem+json"
CLOSE_KEY = "wellbeing.close_connection"
# How long and how much the guard reads of a body nobody wanted, after the answer went out.
DRAIN_SECONDS = 2.0
DRAIN_OVER_CAP_FACTOR = 4  # past the cap, read at most this many caps before closing anyway

_served = threading.local()  # gunicorn's request object of the request this thread serves


class _CountingInput:
    """``wsgi.input`` that remembers how much was read and whether its end was seen."""

    def __init__(self, stream) -> None:
        self._stream, self.read_bytes, self.at_end = stream, 0, False

    def _count(self, data: bytes, size: int | None) -> bytes:
        self.read_bytes += len(data)
        if not data and size != 0:
            self.at_end = True
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self._stream.read() if size is None or size < 0 else self._stream.read(size), size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._count(self._stream.readline() if size is None or size < 0 else self._stream.readline(size), size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines = self._stream.readlines(hint)
        self._count(b"".join(lines), None if lines else -1)
        return lines

    def __iter__(self):
        return iter(self.readline, b"")


class UnreadBodyGuard:
    """WSGI middleware: an unread request body never breaks the next request on a kept-alive connection."""

    def __init__(self, app: Callable, cap: int | None) -> None:
        self.app, self.cap = app, cap

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = _CountingInput(environ["wsgi.input"])
        environ["wsgi.input"] = body
        length = _content_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if length is None and not chunked:
            return self.app(environ, start_response)  # no body at all

        def start(status: str, headers: list, exc_info=None):
            if self._over_cap(length, body):
                close_after_response(environ)
            if environ.get(CLOSE_KEY):
                headers = [(k, v) for k, v in headers if k.lower() != "connection"] + [("Connection", "close")]
            return start_response(status, headers, exc_info)

        return ClosingIterator(self.app(environ, start), [lambda: self._finish(environ, body, length)])

    def _over_cap(self, length: int | None, body: _CountingInput) -> bool:
        if not self.cap:
            return False
        if length is not None:
            return length > self.cap and body.read_bytes < length
        return body.read_bytes > self.cap and not body.at_end

    def _finish(self, environ: dict, body: _CountingInput, length: int | None) -> None:
        """After the response went out: read the rest of the body, or make sure the connection closes."""
        if body.at_end or (length is not None and body.read_bytes >= length):
            return
        if not environ.get("wsgi.input_terminated") and length is None:
            close_after_response(environ)  # a server that cannot tell us where a chunked body ends
            return
        closing = bool(environ.get(CLOSE_KEY))
        limit = (self.cap or 0) * (DRAIN_OVER_CAP_FACTOR if closing else 1) or None
        if not _drain(environ, body, length, limit) and not closing:
            close_after_response(environ)


def _content_length(environ: dict) -> int | None:
    try:
        value = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return value if value >= 0 else None


def _drain(environ: dict, body: _CountingInput, length: int | None, limit: int | None) -> bool:
    """Read and discard the rest of the body; True when its end was reached within the limits."""
    sock = environ.get("gunicorn.socket")
    prior = sock.gettimeout() if isinstance(sock, socket.socket) else None
    deadline = time.monotonic() + DRAIN_SECONDS
    try:
        while True:
            wanted = 65536 if length is None else min(65536, length - body.read_bytes)
            if wanted <= 0:
                return True
            if limit is not None and body.read_bytes >= limit:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if isinstance(sock, socket.socket):
                sock.settimeout(remaining)
            if not body.read(wanted):
                return True
    except (OSError, ValueError):
        return False  # the client went away or broke the framing: nothing more to read
    finally:
        if isinstance(sock, socket.socket):
            try:
                sock.settimeout(prior)
            except OSError:
                pass


def close_after_response(environ: dict) -> None:
    """Close the connection once this response is sent (``Connection: close``, and gunicorn told so)."""
    environ[CLOSE_KEY] = True
    request = getattr(_served, "request", None)
    if request is not None:
        request.must_close = True


# --- gunicorn server hooks (loaded by gunicorn.conf.py) -------------------------------------------------------

def pre_request(worker, req) -> None:
    """Remember gunicorn's request object for this thread, so the guard can mark it to be closed."""
    _served.request = req


def post_request(worker, req, environ, resp) -> None:
    _served.request = None


def problem_error_page(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error answer (before the app runs: 400, 414, 431 ...) as RFC 9457 problem+json."""
    from gunicorn import util

    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                       "detail": _server_detail(status_int, mesg)}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM}\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def _server_detail(status: int, message: str) -> str:
    if status == 414:
        return "The request line (method, path and query) is too long."
    if status == 431:
        return "The request's header fields are too large."
    return message[:200]
