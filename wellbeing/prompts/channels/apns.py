"""Apple Push Notification service: HTTP/2 (h2 over TLS with ALPN) and token-based authentication (an ES256
JWT signed with the team's .p8 key), one request per device token.

Apple's rules for the provider token: refresh it no more often than every 20 minutes and never use one older than
an hour; we make a new one after 50 minutes. Connections stay open between pushes (Apple asks for that) and each
request has an overall deadline: every read waits only for what is left of it.
"""
from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import jwt

from wellbeing.prompts.channels.webhook import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, DeliveryResult, classify

TOKEN_REFRESH = 50 * 60  # seconds: within Apple's window of 20 to 60 minutes
GONE = ("Unregistered", "BadDeviceToken", "DeviceTokenNotForTopic")
STALE_TOKEN = ("ExpiredProviderToken", "InvalidProviderToken")
IDLE_PER_ORIGIN = 128  # as many as a dispatcher has workers (PUSH_WORKERS): no handshake per push under load


class ApnsClient:
    """Pushes to one app (`topic`, its bundle id) with the team's signing key."""

    def __init__(self, key_pem: str, key_id: str, team_id: str, topic: str, base_url: str, sandbox_url: str,
                 ca_file: str | None = None) -> None:
        self.key_pem, self.key_id, self.team_id, self.topic = key_pem, key_id, team_id, topic
        self.origins = {"production": urlsplit(base_url), "sandbox": urlsplit(sandbox_url)}
        self.tls = ssl.create_default_context()
        if ca_file:
            self.tls.load_verify_locations(ca_file)
        self.tls.set_alpn_protocols(["h2"])
        self._lock = threading.Lock()
        self._token: tuple[float, str] | None = None
        self._idle: dict[tuple[str, int], list[_Connection]] = {}

    @classmethod
    def from_files(cls, key_file: str, key_id: str, team_id: str, topic: str, base_url: str, sandbox_url: str,
                   ca_file: str | None = None) -> "ApnsClient":
        with open(key_file, encoding="utf-8") as file:
            return cls(file.read(), key_id, team_id, topic, base_url, sandbox_url, ca_file)

    def provider_token(self) -> str:
        """The current provider JWT, made anew when it is 50 minutes old (or was refused)."""
        with self._lock:
            now = time.time()
            if self._token is None or now - self._token[0] >= TOKEN_REFRESH:
                token = jwt.encode({"iss": self.team_id, "iat": int(now)}, self.key_pem, algorithm="ES256",
                                   headers={"kid": self.key_id})
                self._token = (now, token)
            return self._token[1]

    def forget_token(self, token: str) -> None:
        """Apple refused this token: the next push makes a new one (only this once, not on every refusal)."""
        with self._lock:
            if self._token and self._token[1] == token:
                self._token = None

    def send(self, address, message: dict[str, Any], ttl: timedelta, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
             deadline: float = DEFAULT_DEADLINE) -> DeliveryResult:
        """One notification to the device token, in the device's environment."""
        origin = self.origins["sandbox" if address.environment == "sandbox" else "production"]
        token = self.provider_token()
        headers = [("apns-push-type", "alert"), ("apns-priority", "10"), ("apns-topic", self.topic),
                   ("apns-expiration", str(_expiration(message, ttl))), ("authorization", f"bearer {token}")]
        if message.get("prompt_id"):
            headers.append(("apns-collapse-id", message["prompt_id"]))
        body = json.dumps(apns_payload(message), ensure_ascii=False, separators=(",", ":")).encode()
        ends = time.monotonic() + deadline
        try:
            status, answer = self._request(origin, f"/3/device/{address.secret}", headers, body, timeout[0], ends)
        except TimeoutError:
            return DeliveryResult(ok=False, permanent=False, error="timed out")
        except (OSError, h2.exceptions.ProtocolError, ConnectionError) as exc:
            return DeliveryResult(ok=False, permanent=False, error=f"connection failed: {exc.__class__.__name__}")
        reason = _reason(answer)
        if reason in GONE:
            return DeliveryResult(ok=False, permanent=True, gone=True, status=status, error=f"APNs: {reason}")
        if reason in STALE_TOKEN:
            self.forget_token(token)
            return DeliveryResult(ok=False, permanent=False, status=status, error=f"APNs: {reason}")
        result = classify(status, None)
        if reason and not result.ok:
            return DeliveryResult(ok=False, permanent=result.permanent, status=status, error=f"APNs: {reason}")
        return result

    def _request(self, origin, path: str, headers: list[tuple[str, str]], body: bytes, connect_timeout: float,
                 ends: float) -> tuple[int, bytes]:
        host, port = origin.hostname, origin.port or 443
        connection = self._take((host, port))
        if connection is None:
            connection = _Connection.open(host, port, self.tls, min(connect_timeout, _left(ends)))
        try:
            status, answer = connection.request(
                [(":method", "POST"), (":scheme", "https"), (":authority", origin.netloc), (":path", path),
                 *headers, ("content-type", "application/json"), ("content-length", str(len(body)))], body, ends)
        except BaseException:
            connection.close()
            raise
        self._give((host, port), connection)
        return status, answer

    def _take(self, key) -> "_Connection | None":
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                connection = idle.pop()
                if connection.usable():
                    return connection
                connection.close()
        return None

    def _give(self, key, connection: "_Connection") -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if connection.usable() and len(idle) < IDLE_PER_ORIGIN:
                idle.append(connection)
                return
        connection.close()


class _Connection:
    """One HTTP/2 connection to APNs, used by one push at a time."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock
        self.h2 = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True,
                                                                             header_encoding="utf-8"))
        self.h2.initiate_connection()
        self.sock.sendall(self.h2.data_to_send())
        self.closed = False

    @classmethod
    def open(cls, host: str, port: int, tls: ssl.SSLContext, timeout: float) -> "_Connection":
        raw = socket.create_connection((host, port), timeout)
        try:
            sock = tls.wrap_socket(raw, server_hostname=host)
        except BaseException:
            raw.close()
            raise
        if sock.selected_alpn_protocol() != "h2":
            sock.close()
            raise ConnectionError("the server does not speak HTTP/2")
        return cls(sock)

    def usable(self) -> bool:
        return not self.closed and self.h2.state_machine.state != h2.connection.ConnectionState.CLOSED

    def request(self, headers: list[tuple[str, str]], body: bytes, ends: float) -> tuple[int, bytes]:
        stream = self.h2.get_next_available_stream_id()
        self.h2.send_headers(stream, headers)
        self.h2.send_data(stream, body, end_stream=True)
        self.sock.settimeout(_left(ends))
        self.sock.sendall(self.h2.data_to_send())
        status, answer = 0, b""
        while True:
            self.sock.settimeout(_left(ends))  # each read waits only for what is left of the deadline
            data = self.sock.recv(65536)
            if not data:
                self.closed = True
                raise ConnectionError("APNs closed the connection")
            for event in self.h2.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                    status = int(dict(event.headers)[":status"])
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                    answer += event.data
                    self.h2.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream:
                    raise ConnectionError("APNs reset the stream")
                elif isinstance(event, h2.events.ConnectionTerminated):
                    self.closed = True
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                    self.sock.sendall(self.h2.data_to_send())
                    return status, answer
            self.sock.sendall(self.h2.data_to_send())
            if self.closed:
                raise ConnectionError("APNs ended the connection")

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


def apns_payload(message: dict[str, Any]) -> dict[str, Any]:
    """The alert the phone shows, and the prompt's fields beside `aps` for the app."""
    custom = {key: value for key, value in message.items() if value is not None and key not in ("title", "body")}
    return {"aps": {"alert": {"title": message["title"], "body": message["body"]}, "sound": "default",
                    "thread-id": "wellbeing-prompts"}, **custom}


def _expiration(message: dict[str, Any], ttl: timedelta) -> int:
    """When APNs stops trying: the end of the prompt's validity (UNIX seconds)."""
    valid_until = message.get("valid_until")
    if valid_until:
        return int(datetime.fromisoformat(valid_until.replace("Z", "+00:00")).timestamp())
    return int(time.time() + ttl.total_seconds())


def _reason(answer: bytes) -> str | None:
    try:
        reason = json.loads(answer or b"{}").get("reason")
    except (ValueError, AttributeError):
        return None
    return str(reason)[:60] if reason else None


def _left(ends: float) -> float:
    left = ends - time.monotonic()
    if left <= 0:
        raise TimeoutError("the delivery deadline passed")
    return left
