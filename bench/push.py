"""Push delivery benchmark: N due prompts across Web Push, FCM, APNs and JPush to local providers, one and two
dispatcher processes, with 1% of the devices on a push service that trickles its answer a byte at a time.

Prints the throughput (prompts settled per second until the last healthy delivery arrived) and the lateness of
the healthy deliveries (arrival minus due time); the trickling ones end at the delivery deadline and are retried.

    python -m bench.push [--prompts N] [--database-url postgresql://...]
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import ipaddress
import json
import multiprocessing
import os
import queue
import socket
import ssl
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import insert

from bench.common import fresh_database
from bench.prompts import _agents, _print, _row

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = ("webpush", "fcm", "apns", "jpush")
PROJECT = "bench"


class _Server(ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True


def _http_provider(port_out, arrivals) -> None:
    """Web Push service, OAuth token endpoint, FCM v1 and JPush v3 in one HTTP/1.1 server."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/token":
                return self._answer(200, {"access_token": "ya29.bench", "expires_in": 3600})
            if self.path.startswith("/wp/"):
                arrivals.put((self.headers.get("Topic", ""), time.time()))
                return self._answer(201, None)
            message = json.loads(body)
            if self.path.endswith("messages:send"):
                arrivals.put((message["message"]["data"]["prompt_id"].replace("-", ""), time.time()))
                return self._answer(200, {"name": "projects/bench/messages/1"})
            arrivals.put((message["notification"]["android"]["extras"]["prompt_id"].replace("-", ""), time.time()))
            return self._answer(200, {"sendno": "0", "msg_id": "1"})

        def _answer(self, status: int, body) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

    server = _Server(("127.0.0.1", 0), Handler)
    port_out.send(server.server_address[1])
    server.serve_forever()


def _apns_provider(port_out, arrivals, cert_file: str) -> None:
    """APNs: HTTP/2 over TLS, answering 200 to every push."""
    import h2.config
    import h2.connection
    import h2.events

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file)
    tls.set_alpn_protocols(["h2"])
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    port_out.send(listener.getsockname()[1])

    def serve(raw) -> None:
        try:
            sock = tls.wrap_socket(raw, server_side=True)
        except OSError:
            return
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False,
                                                                           header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        paths = {}
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
                        paths[event.stream_id] = dict(event.headers).get("apns-collapse-id", "")
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        arrivals.put((paths.pop(event.stream_id).replace("-", ""), time.time()))
                        conn.send_headers(event.stream_id, [(":status", "200"), ("content-length", "0")],
                                          end_stream=True)
                sock.sendall(conn.data_to_send())

    while True:
        raw, _ = listener.accept()
        threading.Thread(target=serve, args=(raw,), daemon=True).start()


def _trickle(port_out) -> None:
    """A push service that answers one byte every half second, forever."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    port_out.send(listener.getsockname()[1])

    def drip(connection) -> None:
        with connection:
            try:
                connection.recv(65536)
                for byte in b"HTTP/1.1 201 Created\r\n" * 100:
                    connection.send(bytes([byte]))
                    time.sleep(0.5)
            except OSError:
                return

    while True:
        connection, _ = listener.accept()
        threading.Thread(target=drip, args=(connection,), daemon=True).start()


def _start(target, *args) -> tuple[multiprocessing.Process, int]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=target, args=(child, *args), daemon=True)
    process.start()
    return process, parent.recv()


def _credentials(folder: Path, http_port: int) -> dict[str, str]:
    """A service account, an APNs key, a test CA and server certificate: the providers' settings."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    def pem(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "fcm.json").write_text(json.dumps({
        "type": "service_account", "project_id": PROJECT, "private_key_id": "k", "private_key": pem(rsa_key).decode(),
        "client_email": f"push@{PROJECT}.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": f"http://127.0.0.1:{http_port}/token"}))
    (folder / "apns.p8").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)

    def certificate(name, key, issuer, signer, ca):
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca = certificate("Bench CA", ca_key, "Bench CA", ca_key, True)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server = certificate("localhost", server_key, "Bench CA", ca_key, False)
    (folder / "apns-server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM) + pem(server_key))
    return {"FCM_CREDENTIALS_FILE": str(folder / "fcm.json"), "FCM_BASE_URL": f"http://127.0.0.1:{http_port}",
            "APNS_KEY_FILE": str(folder / "apns.p8"), "APNS_KEY_ID": "KEY1234567", "APNS_TEAM_ID": "TEAM123456",
            "APNS_TOPIC": "com.example.wellbeing", "PUSH_CA_FILE": str(folder / "ca.pem"),
            "JPUSH_APP_KEY": "bench-key", "JPUSH_MASTER_SECRET": "bench-secret",
            "JPUSH_BASE_URL": f"http://127.0.0.1:{http_port}"}


def _app(database_url: str, instance: str, settings: dict[str, str]):
    from api import create_app
    from api.config import Config
    from wellbeing.core.crypto import generate_key

    env = {"DATABASE_URL": database_url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench-" + "x" * 40,
           "DATA_KEYS": generate_key("bench"), "ALLOW_PRIVATE_WEBHOOKS": "1", "PASSWORD_HASH_COST": "low",
           **settings}
    app = create_app(Config(env))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def _seed(app, agents: list[str], due: datetime, http_port: int, trickle_port: int) -> tuple[dict, set[str]]:
    """One prompt and one device per agent, the channels in turn; every hundredth device trickles."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from api.core.keyring import keyring
    from wellbeing.core.db import db
    from wellbeing.models import Device, Prompt
    from wellbeing.prompts.devices import secret_aad

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    keys = json.dumps({"p256dh": base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
                       "auth": base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()})
    devices, prompts, slow = [], [], set()
    with app.app_context():
        ring = keyring()
        for n, agent in enumerate(agents):
            device_id, prompt_id = str(uuid.uuid4()), str(uuid.uuid4())
            channel, url, secret = CHANNELS[n % 4], None, f"token-{n:08d}-{'a' * 40}"
            if n % 100 == 99:
                channel, url, secret = "webpush", f"http://127.0.0.1:{trickle_port}/wp/{n}", keys
                slow.add(prompt_id.replace("-", ""))
            elif channel == "webpush":
                url, secret = f"http://127.0.0.1:{http_port}/wp/{n}", keys
            devices.append({"id": device_id, "user_id": agent, "channel": channel, "url": url,
                            "environment": "production" if channel == "apns" else None,
                            "secret_ciphertext": ring.encrypt(secret, secret_aad(device_id)), "created_at": due,
                            "permanent_failures": 0})
            prompts.append({"id": prompt_id, "user_id": agent, "kind": "breathing", "exercise_id": "cyclic_sighing",
                            "source": "schedule", "status": "scheduled", "due_at": due,
                            "valid_until": due + timedelta(minutes=10), "next_attempt_at": due, "attempts": 0,
                            "created_at": due})
        db.session.execute(insert(Device), devices)
        db.session.execute(insert(Prompt), prompts)
        db.session.commit()
        db.session.remove()
    return {p["id"].replace("-", ""): due for p in prompts}, slow


def _dispatch_child(app, now: datetime, out) -> None:
    from api.prompts.push import push_channel
    from wellbeing.core.db import db
    from wellbeing.prompts.dispatch import dispatch_due

    with app.app_context():
        db.engine.dispose(close=False)
        out.send(dispatch_due(db.session, now, push_channel(), max_batches=10_000))


def _round(app, agents, processes: int, http_port: int, trickle_port: int, arrivals) -> list[dict]:
    due = datetime.now(timezone.utc)
    due_of, slow = _seed(app, agents, due, http_port, trickle_port)
    context = multiprocessing.get_context("fork")
    pipes = [context.Pipe() for _ in range(processes)]
    children = [context.Process(target=_dispatch_child, args=(app, due, child)) for _, child in pipes]
    began = time.time()
    for child in children:
        child.start()
    counts = [parent.recv() for parent, _ in pipes]
    finished = time.time()
    for child in children:
        child.join(30)
    # The providers report arrivals through a multiprocessing queue whose feeder thread may still be flushing when
    # the dispatchers return (Queue.empty() is only a hint): read until every healthy prompt arrived, or until
    # nothing came for 5 s. Arrivals of an earlier round are read and ignored.
    seen: dict[str, float] = {}
    expected = set(due_of) - slow
    while not expected <= seen.keys():
        try:
            key, at = arrivals.get(timeout=5)
        except queue.Empty:
            break
        seen.setdefault(key, at)
    healthy = {key: at for key, at in seen.items() if key in due_of and key not in slow}
    # Lateness counts from when the prompt was due or the dispatchers started, whichever is later: seeding 10,000
    # prompts and devices (and encrypting their secrets) takes the harness seconds that no scheduler spends.
    lateness = sorted(at - max(due_of[key].timestamp(), began) for key, at in healthy.items())
    last = max(healthy.values()) if healthy else finished
    count = len(due_of)
    label = f"{count} due prompts, 4 channels, 1% trickling, {processes} dispatcher process(es)"

    def pct(p: float) -> float:
        return lateness[min(len(lateness) - 1, int(p / 100 * len(lateness)))] if lateness else float("nan")

    settled = sum(c["sent"] + c["retry"] for c in counts)
    return [_row(label, "throughput (healthy)", len(healthy) / (last - began), "prompts/s",
                 target="> 1000/s", met=len(healthy) / (last - began) > 1000),
            _row(label, "p50 lateness (healthy)", pct(50), "s"),
            _row(label, "p99 lateness (healthy)", pct(99), "s", target="< 3 s", met=pct(99) < 3),
            _row(label, "healthy delivered", len(healthy), "prompts", "healthy due", count - len(slow),
                 "all", len(healthy) == count - len(slow)),
            _row(label, "run until the trickles' deadline", finished - began, "s"),
            # The second round also retries the first round's slow prompts once their retry falls due: >= count.
            _row(label, "settled (sent or to retry)", settled, "prompts", "due", count, "all", settled >= count)]


def run(database_url: str, prompts: int) -> list[dict]:
    rows = []
    arrivals = multiprocessing.get_context("fork").Queue()
    with fresh_database(database_url) as url, tempfile.TemporaryDirectory() as instance:
        http_process, http_port = _start(_http_provider, arrivals)
        trickle_process, trickle_port = _start(_trickle)
        settings = _credentials(Path(instance), http_port)
        apns_process, apns_port = _start(_apns_provider, arrivals, str(Path(instance) / "apns-server.pem"))
        settings["APNS_BASE_URL"] = f"https://localhost:{apns_port}"
        try:
            app = _app(url, instance, settings)
            from wellbeing.core.db import db

            with app.app_context():
                agents = _agents(db.session, 2 * prompts)
                db.session.remove()
            rows += _round(app, agents[:prompts], 1, http_port, trickle_port, arrivals)
            rows += _round(app, agents[prompts:], 2, http_port, trickle_port, arrivals)
            with app.app_context():
                db.engine.dispose()
        finally:
            for process in (http_process, trickle_process, apns_process):
                process.terminate()
                process.join(10)
    label = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    for row in rows:
        row["scenario"] = f"push: {row['scenario']} ({label})"
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=2_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "sqlite://"))
    args = parser.parse_args()
    results = run(args.database_url, args.prompts)
    _print(results)
    out = ROOT / "bench" / "results" / f"push-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "push", "date": dt.date.today().isoformat(), "prompts": args.prompts,
                               "database": args.database_url.split("://")[0], "cpus": os.cpu_count(),
                               "rows": results}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
