"""APNs over HTTP/2: a local h2 server over TLS (a test certificate authority, ALPN h2) checks the provider JWT
and the headers; 410 Unregistered disables the device."""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from datetime import timedelta

import h2.config
import h2.connection
import h2.events
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.prompts.helpers import MONDAY
from tests.prompts.push_helpers import dispatch, providers, register, tough_prompt, two_tough_calls
from wellbeing.models import Device
from wellbeing.prompts.channels.apns import ApnsClient
from wellbeing.prompts.providers import DeviceAddress

TEAM, KEY_ID, TOPIC = "TEAM123456", "KEY1234567", "com.example.wellbeing"
GOOD = "a" * 64
GONE = "b" * 64


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _certificate(subject: str, key, issuer_name: str, issuer_key, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Apple:
    """The local APNs: TLS with a certificate from the test CA, HTTP/2 only, provider JWT checked per request."""

    def __init__(self, tmp_path) -> None:
        ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("Test CA", ca_key, "Test CA", ca_key, ca=True)
        cert = _certificate("localhost", server_key, "Test CA", ca_key, ca=False)
        self.ca_file = tmp_path / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (tmp_path / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM) + _pem(server_key))
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(tmp_path / "server.pem")
        self.tls.set_alpn_protocols(["h2"])
        self.signing_key = ec.generate_private_key(ec.SECP256R1())
        self.requests: list[dict] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://localhost:{self.listener.getsockname()[1]}"

    def client(self, **kwargs) -> ApnsClient:
        return ApnsClient(_pem(self.signing_key).decode(), KEY_ID, TEAM, TOPIC, self.url, self.url,
                          str(self.ca_file), **kwargs)

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw: socket.socket) -> None:
        try:
            sock = self.tls.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            return
        assert sock.selected_alpn_protocol() == "h2"
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False,
                                                                           header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        streams: dict[int, dict] = {}
        with sock:
            while True:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = {"headers": dict(event.headers), "body": b""}
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id]["body"] += event.data
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        self._answer(conn, event.stream_id, streams.pop(event.stream_id))
                sock.sendall(conn.data_to_send())

    def _answer(self, conn, stream_id: int, request: dict) -> None:
        headers = request["headers"]
        token = headers["authorization"].removeprefix("bearer ")
        claims = jwt.decode(token, self.signing_key.public_key(), algorithms=["ES256"])
        kid = jwt.get_unverified_header(token)["kid"]
        self.requests.append({**request, "claims": claims, "kid": kid, "payload": json.loads(request["body"])})
        device = headers[":path"].removeprefix("/3/device/")
        if claims["iss"] != TEAM or kid != KEY_ID:
            status, body = 403, {"reason": "InvalidProviderToken"}
        elif device == GONE:
            status, body = 410, {"reason": "Unregistered", "timestamp": 1_700_000_000_000}
        else:
            status, body = 200, None
        data = json.dumps(body).encode() if body else b""
        conn.send_headers(stream_id, [(":status", str(status)), ("apns-id", "6f1c2a1e-0000-4000-8000-000000000001"),
                                      ("content-length", str(len(data)))], end_stream=not data)
        if data:
            conn.send_data(stream_id, data, end_stream=True)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def apple(tmp_path):
    server = Apple(tmp_path)
    yield server
    server.close()


def test_apns_pushes_over_http2_with_a_provider_jwt_and_disables_an_unregistered_token(app, world, session, apple):
    client = apple.client()
    with providers(app, apns=client):
        good = register(world, {"channel": "apns", "token": GOOD, "environment": "sandbox"})
        gone = register(world, {"channel": "apns", "token": GONE, "environment": "production"}, key="agent2")
        two_tough_calls(world, "agent")
        two_tough_calls(world, "agent2")
        assert dispatch(app, MONDAY + timedelta(minutes=6))["sent"] == 2
    prompt = tough_prompt(session, world, "agent")
    [request] = [r for r in apple.requests if r["headers"][":path"] == f"/3/device/{GOOD}"]
    headers = request["headers"]
    assert headers[":method"] == "POST" and headers["apns-push-type"] == "alert" and headers["apns-priority"] == "10"
    assert headers["apns-topic"] == TOPIC and headers["apns-collapse-id"] == prompt.id
    assert headers["apns-expiration"] == str(int(prompt.valid_until.timestamp()))
    assert request["kid"] == KEY_ID and request["claims"]["iss"] == TEAM
    assert request["payload"] == {"aps": {"alert": {"title": "Time for a breather", "body": "Cyclic sighing"},
                                          "sound": "default", "thread-id": "wellbeing-prompts"},
                                  "prompt_id": prompt.id, "kind": "breathing", "exercise_id": "cyclic_sighing",
                                  "valid_until": "2030-03-04T10:16:00Z"}
    assert session.get(Device, good).last_success_at is not None
    device = session.get(Device, gone)
    assert device.disabled_at == MONDAY + timedelta(minutes=6) and device.disabled_reason == "APNs: Unregistered"


def test_the_provider_token_is_reused_for_twenty_minutes_and_renewed_before_an_hour(apple, time_machine):
    client = apple.client()
    time_machine.move_to(dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc), tick=False)
    first = client.provider_token()
    time_machine.move_to(dt.datetime(2026, 12, 7, 9, 20, tzinfo=dt.timezone.utc), tick=False)
    assert client.provider_token() == first  # never more often than every 20 minutes
    time_machine.move_to(dt.datetime(2026, 12, 7, 9, 50, tzinfo=dt.timezone.utc), tick=False)
    renewed = client.provider_token()
    assert renewed != first  # and never older than an hour
    assert jwt.decode(renewed, apple.signing_key.public_key(), algorithms=["ES256"])["iat"] == int(
        dt.datetime(2026, 12, 7, 9, 50, tzinfo=dt.timezone.utc).timestamp())


def test_pushes_share_one_http2_connection(apple):
    client = apple.client()
    address = DeviceAddress("d1", "u1", "apns", None, GOOD, "production")
    message = {"prompt_id": None, "kind": "test", "exercise_id": None, "title": "T", "body": "B",
               "valid_until": "2030-03-04T10:16:00Z"}
    results = [client.send(address, message, timedelta(minutes=10)) for _ in range(3)]
    assert all(r.ok and r.status == 200 for r in results)
    assert apple.connections == 1 and len(apple.requests) == 3
    assert "apns-collapse-id" not in apple.requests[0]["headers"]
