"""Signed webhook channel: target URL checks, HMAC signatures, one delivery attempt and its retry policy."""

import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import random
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import urlsplit

from wellbeing.core.clock import utcnow
from wellbeing.prompts.channels.deadline import WATCHDOG

SIGNATURE_HEADER = "X-Wellbeing-Signature"
USER_AGENT = "wellbeing-webhook/1"
DEFAULT_TIMEOUT = (3.0, 10.0)  # (connect, read) seconds
DEFAULT_DEADLINE = 10.0  # seconds for a whole delivery, however the receiver trickles its answer
MAX_ADDRESSES = 3  # addresses of one host tried per delivery
# What a refused address is called wherever the agent may read it: never what the name resolved to
ADDRESS_REFUSED = "the address is not allowed"
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=30)
# A receiver may ask for a pause, but not park the queue for longer than this
MAX_RETRY_AFTER = timedelta(hours=1)
_RETRIED_4XX = (408, 429)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookURLError(ValueError):
    """The URL is not an acceptable webhook target."""


class UnresolvableHostError(WebhookURLError):
    """The host name does not resolve now; it may later, so delivery retries."""


@dataclass(frozen=True)
class WebhookTarget:
    """A checked URL and the addresses it resolved to; delivery connects only to these."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class DeliveryResult:
    """One attempt's outcome: `ok`; else `permanent` (give up) or retry, no sooner than `retry_after` if set."""

    ok: bool
    permanent: bool
    status: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    # The provider says the token or subscription no longer exists: the device is disabled at once
    gone: bool = False


def sign(body: bytes, secret: str) -> str:
    """The signature header value: `sha256=` and the hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def check_url(url: str, allow_private: bool = False) -> WebhookTarget:
    """Parse and resolve a webhook URL, refusing anything but http(s) to public addresses.

    Every address the host resolves to must pass, so a name with one public and one internal
    address is refused. `allow_private` admits private and loopback networks (on-premises
    receivers, tests); link-local (cloud metadata), multicast, reserved and unspecified
    addresses are never a webhook receiver and stay refused.
    """
    target = _parse(url)
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableHostError(f"{target.host} does not resolve") from exc
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        reason = _refusal(ipaddress.ip_address(address.split("%")[0]), allow_private)
        if reason:
            raise WebhookURLError(f"{target.host} resolves to {address}, a {reason} address")
    return WebhookTarget(target.scheme, target.host, target.port, target.path, addresses)


def deliver(
    url: str,
    secret: str,
    payload: dict[str, Any],
    idempotency_key: str,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    *,
    allow_private: bool = False,
    deadline: float = DEFAULT_DEADLINE,
) -> DeliveryResult:
    """POST the payload as signed JSON once, within `deadline` seconds overall, and no redirects followed.

    The URL is checked again here and the connection goes to the addresses that passed, so a
    DNS answer that changed since registration cannot point the request inward. A keep-alive connection
    left idle by an earlier delivery to one of those addresses is reused (no handshake per prompt).
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, secret),
        "Idempotency-Key": idempotency_key,
        "User-Agent": USER_AGENT,
    }
    reply = exchange(url, body, headers, timeout, deadline=deadline, allow_private=allow_private)
    return reply if isinstance(reply, DeliveryResult) else classify(reply.status, reply.retry_after)


@dataclass(frozen=True)
class Reply:
    """A receiver's answer: status, Retry-After as a delay, and the body when it was asked for (else b"")."""

    status: int
    retry_after: timedelta | None
    body: bytes = b""


def exchange(url: str, body: bytes, headers: dict[str, str], timeout: tuple[float, float] = DEFAULT_TIMEOUT, *,
             deadline: float = DEFAULT_DEADLINE, allow_private: bool = False,
             read_body: bool = False) -> "Reply | DeliveryResult":
    """One POST to a checked URL within an overall deadline: the answer, or the failed attempt's result.

    The push channels over HTTP/1.1 (Web Push, FCM, JPush) share this with the webhook: the same address
    checks, pinned connections, keep-alive reuse and deadline.
    """
    try:
        target = check_url(url, allow_private)
    except UnresolvableHostError as exc:
        return DeliveryResult(ok=False, permanent=False, error=str(exc))
    except WebhookURLError:
        return DeliveryResult(ok=False, permanent=True, error=ADDRESS_REFUSED)
    try:
        return _post(target, body, headers, timeout, time.monotonic() + deadline, read_body)
    except _DeadlineExceeded:
        return DeliveryResult(ok=False, permanent=False, error="timed out: the delivery deadline passed")
    except TimeoutError:
        return DeliveryResult(ok=False, permanent=False, error="timed out")
    except (OSError, http.client.HTTPException) as exc:
        return DeliveryResult(ok=False, permanent=False, error=f"connection failed: {exc.__class__.__name__}")


def retry_delay(attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
    """Wait before retry number `attempt` (1 = first retry): 30 s doubling to a 30 min cap, jittered into [half, full].

    The caller waits the longer of this and a receiver's `retry_after`; a prompt past its
    validity expires instead of being retried.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    full = min(RETRY_CAP, RETRY_BASE * 2 ** min(attempt - 1, 16))
    return full / 2 + (full / 2) * rand()


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a delay from `now`, capped; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            delay = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


def _parse(url: str) -> WebhookTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookURLError("only http and https URLs are accepted")
    if parts.username is not None or parts.password is not None:
        raise WebhookURLError("credentials in the URL are not accepted; the signature authenticates us")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise WebhookURLError("invalid port") from exc
    if not parts.hostname:
        raise WebhookURLError("the URL has no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(parts.scheme, parts.hostname, port, path, ())


def _refusal(address: IPAddress, allow_private: bool) -> str | None:
    """Why this address is not a webhook receiver, or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d and 6to4 reach the embedded IPv4 host; judge that host
        address = address.ipv4_mapped or address.sixtofour or address
    if address.is_unspecified:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if address.is_link_local:
        return "link-local"
    # Before the reserved check: ::1 sits inside the reserved ::/8
    if address.is_loopback:
        return None if allow_private else "loopback"
    if address.is_reserved:
        return "reserved"
    return None if allow_private or address.is_global else "private"


class _DeadlineExceeded(Exception):
    """The watchdog ended the delivery at its overall deadline."""


def _post(target: WebhookTarget, body: bytes, headers: dict[str, str], timeout: tuple[float, float],
          deadline: float, read_body: bool = False) -> Reply:
    connect_timeout, read_timeout = timeout
    watch = WATCHDOG.watch(deadline, _Holder())
    connection = _IDLE.take(target)
    reused = connection is not None
    try:
        if connection is None:
            connection = _open(target, min(connect_timeout, watch.remaining()), watch.holder)
        watch.holder.sock = connection.sock

        def exchange() -> http.client.HTTPResponse:
            connection.sock.settimeout(min(read_timeout, watch.remaining()))
            connection.request("POST", target.path, body=body, headers=headers)
            return connection.getresponse()

        try:
            response = exchange()
        except _STALE:
            if not reused or watch.fired:
                raise
            # The receiver closed the idle connection meanwhile: once more on a new one (at least once
            # holds, and the Idempotency-Key lets a receiver drop a repeat).
            connection.close()
            connection = _open(target, min(connect_timeout, watch.remaining()), watch.holder)
            watch.holder.sock = connection.sock
            response = exchange()
        reply = Reply(response.status, parse_retry_after(response.getheader("Retry-After"), utcnow()),
                      _read_limited(response, watch) if read_body else b"")
        reusable = read_body and response.isclosed() and not response.will_close or (
            not read_body and _drained(response, connection.sock))
        if WATCHDOG.release(watch):
            # Cut off at the deadline: what was read may be a truncated answer that only looks complete
            raise _DeadlineExceeded()
        if reusable:
            _IDLE.give(connection)
            connection = None
        return reply
    except (OSError, http.client.HTTPException):
        if WATCHDOG.release(watch):
            raise _DeadlineExceeded() from None
        raise
    finally:
        WATCHDOG.release(watch)
        if connection is not None:
            connection.close()


class _Holder:
    """What the watchdog shuts: the socket of the connection in use (set once it is open)."""

    sock: socket.socket | None = None


# A provider's answer is small (a message id, an error code); more is not read
_BODY_MAX = 64 * 1024


def _read_limited(response: http.client.HTTPResponse, watch) -> bytes:
    # The response's socket (a connection that will close has let go of it already; the response has not)
    try:
        watch.holder.sock.settimeout(watch.remaining())
    except OSError:
        pass
    return response.read(_BODY_MAX)


def _open(target: WebhookTarget, connect_timeout: float, holder: "_Holder") -> "_PinnedHTTPConnection":
    pinned = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = pinned(target, connect_timeout)
    connection.holder = holder
    try:
        connection.connect()
    except BaseException:
        connection.close()
        raise
    return connection


# What a reused keep-alive connection raises when the receiver had closed it.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
# A connection goes back to the pool only after a small body read within a short time: the body is not
# needed, and a slow or large one must not hold the dispatcher.
_REUSE_BODY_MAX = 16 * 1024
_DRAIN_BUDGET = 0.5


def _drained(response: http.client.HTTPResponse, sock: socket.socket) -> bool:
    """Read a small answer body within the budget so the connection can carry the next request."""
    if response.will_close or response.chunked or response.length is None or response.length > _REUSE_BODY_MAX:
        return False
    deadline = time.monotonic() + _DRAIN_BUDGET
    try:
        while response.length:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            sock.settimeout(remaining)
            if not response.read1(response.length):
                return False
    except (OSError, http.client.HTTPException):
        return False
    response.close()
    return True


class _IdleConnections:
    """Keep-alive connections to receivers, idle between deliveries, so a batch of prompts to one receiver does
    not pay a TCP (and TLS) handshake per prompt.

    A connection is keyed by the address it was opened to and is handed out only for a target whose addresses,
    checked again for this delivery, include it: a changed DNS answer never reuses a connection to an address
    it no longer names. Idle ones expire; a forked process starts with none (the sockets are the parent's).
    """

    IDLE_LIMIT = 15.0
    PER_ADDRESS = 128  # as many as a dispatcher has workers (PUSH_WORKERS): a burst to FCM reuses every connection
    TOTAL = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple, list[tuple[float, "_PinnedHTTPConnection"]]] = {}
        self._pid = os.getpid()

    def take(self, target: WebhookTarget) -> "_PinnedHTTPConnection | None":
        """The most recently used live connection to one of the target's checked addresses, or None."""
        stale, found = [], None
        with self._lock:
            if self._pid != os.getpid():
                self._idle, self._pid = {}, os.getpid()
            now = time.monotonic()
            for address in target.addresses:
                idle = self._idle.get((target.scheme, target.host, target.port, address), [])
                while idle and found is None:
                    since, connection = idle.pop()
                    if now - since > self.IDLE_LIMIT:
                        stale.append(connection)
                    else:
                        found = connection
                if found is not None:
                    break
        for connection in stale:
            connection.close()
        return found

    def give(self, connection: "_PinnedHTTPConnection") -> None:
        """Keep the connection for the next delivery; beyond the caps the oldest idle one is closed instead."""
        key = (connection.target.scheme, connection.target.host, connection.target.port, connection.address)
        evicted = []
        with self._lock:
            if self._pid != os.getpid():
                evicted.append(connection)
            else:
                idle = self._idle.setdefault(key, [])
                idle.append((time.monotonic(), connection))
                if len(idle) > self.PER_ADDRESS:
                    evicted.append(idle.pop(0)[1])
                # Many receivers (a webhook per phone) must not pile up open sockets: a bound on them all.
                while sum(len(held) for held in self._idle.values()) > self.TOTAL:
                    oldest = min((held for held in self._idle.values() if held), key=lambda held: held[0][0])
                    evicted.append(oldest.pop(0)[1])
                self._idle = {k: held for k, held in self._idle.items() if held}
        for idle_connection in evicted:
            idle_connection.close()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(held) for held in self._idle.values())


_IDLE = _IdleConnections()


def classify(status: int, retry_after: timedelta | None) -> DeliveryResult:
    """A receiver's HTTP status as a result: 2xx ok, redirects and 4xx (but 408, 429) permanent, else retried."""
    if 200 <= status < 300:
        return DeliveryResult(ok=True, permanent=False, status=status)
    if 300 <= status < 400:
        return DeliveryResult(ok=False, permanent=True, status=status, error="redirect not followed")
    if 400 <= status < 500 and status not in _RETRIED_4XX:
        return DeliveryResult(ok=False, permanent=True, status=status, error=f"HTTP {status}")
    return DeliveryResult(ok=False, permanent=False, status=status, error=f"HTTP {status}", retry_after=retry_after)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the checked addresses only, with the URL's host name in the Host header."""

    def __init__(self, target: WebhookTarget, connect_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self.target = target
        self.holder = _Holder()
        self.address: str | None = None  # the checked address this connection reached

    def connect(self) -> None:
        failure: OSError = OSError("no address to connect to")
        # A name with many addresses (black holes among them) must not multiply the wait
        for address in self.target.addresses[:MAX_ADDRESSES]:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
                self.holder.sock = self.sock
                # http.client writes the headers and the body separately: on a reused connection Nagle's
                # algorithm would hold the body until the receiver's delayed ACK (~40 ms a prompt).
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.address = address
                return
            except OSError as exc:
                failure = exc
        raise failure


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to the checked addresses, verifying the certificate against the URL's host name."""

    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        self.sock = _TLS.wrap_socket(self.sock, server_hostname=self.host)


_TLS = ssl.create_default_context()
