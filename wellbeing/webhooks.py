"""Signed webhook channel: target URL checks, HMAC signatures, one delivery attempt and its retry policy."""

import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import urlsplit

from wellbeing.clock import utcnow

SIGNATURE_HEADER = "X-Wellbeing-Signature"
USER_AGENT = "wellbeing-webhook/1"
DEFAULT_TIMEOUT = (3.0, 10.0)  # (connect, read) seconds
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
) -> DeliveryResult:
    """POST the payload as signed JSON once, with (connect, read) timeouts and no redirects followed.

    The URL is checked again here and the connection goes to the addresses that passed, so a
    DNS answer that changed since registration cannot point the request inward.
    """
    try:
        target = check_url(url, allow_private)
    except UnresolvableHostError as exc:
        return DeliveryResult(ok=False, permanent=False, error=str(exc))
    except WebhookURLError as exc:
        return DeliveryResult(ok=False, permanent=True, error=str(exc))
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, secret),
        "Idempotency-Key": idempotency_key,
        "User-Agent": USER_AGENT,
    }
    try:
        status, retry_after = _post(target, body, headers, timeout)
    except TimeoutError:
        return DeliveryResult(ok=False, permanent=False, error="timed out")
    except (OSError, http.client.HTTPException) as exc:
        return DeliveryResult(ok=False, permanent=False, error=f"connection failed: {exc.__class__.__name__}")
    return _classify(status, retry_after)


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


def _post(
    target: WebhookTarget, body: bytes, headers: dict[str, str], timeout: tuple[float, float]
) -> tuple[int, timedelta | None]:
    connect_timeout, read_timeout = timeout
    pinned = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = pinned(target, connect_timeout)
    try:
        connection.connect()
        connection.sock.settimeout(read_timeout)
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        # The body is not needed: the status says it all, and a slow body must not hold the worker
        return response.status, parse_retry_after(response.getheader("Retry-After"), utcnow())
    finally:
        connection.close()


def _classify(status: int, retry_after: timedelta | None) -> DeliveryResult:
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
        self._addresses = target.addresses

    def connect(self) -> None:
        failure: OSError = OSError("no address to connect to")
        for address in self._addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
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
