"""The signed webhook channel against a real HTTP receiver on 127.0.0.1, and its URL safety checks."""

import hashlib
import hmac
import json
import socket
import threading
from datetime import datetime, timedelta, timezone

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from wellbeing.prompts.channels.webhook import (
    UnresolvableHostError,
    WebhookURLError,
    check_url,
    deliver,
    parse_retry_after,
    retry_delay,
    sign,
)

SECRET = "s3cret-for-tests"
PAYLOAD = {"id": "prompt-42", "kind": "breathing", "exercise_id": "cyclic_sighing", "title": "循环叹息呼吸"}


@pytest.fixture(scope="module")
def server():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver(server):
    yield server
    server.clear()


def hook_url(server, path="/hook"):
    return f"http://127.0.0.1:{server.port}{path}"


def send(server, path="/hook", **kwargs):
    kwargs.setdefault("allow_private", True)
    return deliver(hook_url(server, path), SECRET, PAYLOAD, "prompt-42", **kwargs)


def test_signature_is_hex_hmac_sha256_of_the_body():
    # RFC 4231 test case 2
    assert sign(b"what do ya want for nothing?", "Jefe") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_receiver_verifies_the_signature_and_sees_the_headers(receiver):
    def verify(request: Request) -> Response:
        expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(request.headers.get("X-Wellbeing-Signature", ""), expected)
        return Response(status=204 if valid else 401)

    receiver.expect_request("/hook", method="POST").respond_with_handler(verify)
    result = send(receiver)
    assert (result.ok, result.status, result.permanent, result.error) == (True, 204, False, None)
    request, _ = receiver.log[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "prompt-42"
    assert json.loads(request.get_data()) == PAYLOAD


def test_a_wrong_secret_fails_the_receivers_check(receiver):
    def verify(request: Request) -> Response:
        expected = "sha256=" + hmac.new(b"other-secret", request.get_data(), hashlib.sha256).hexdigest()
        return Response(status=204 if request.headers["X-Wellbeing-Signature"] == expected else 401)

    receiver.expect_request("/hook").respond_with_handler(verify)
    result = send(receiver)
    assert (result.ok, result.status, result.permanent) == (False, 401, True)


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
def test_client_errors_are_permanent(receiver, status):
    receiver.expect_request("/hook").respond_with_data("no", status=status)
    result = send(receiver)
    assert (result.ok, result.permanent, result.status) == (False, True, status)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(receiver, status):
    receiver.expect_request("/hook").respond_with_data("down", status=status)
    result = send(receiver)
    assert (result.ok, result.permanent, result.status) == (False, False, status)


@pytest.mark.parametrize("status", [408, 429])
def test_timeout_and_rate_limit_answers_are_retried_after_the_asked_delay(receiver, status):
    receiver.expect_request("/hook").respond_with_data("slow down", status=status, headers={"Retry-After": "120"})
    result = send(receiver)
    assert (result.ok, result.permanent, result.status) == (False, False, status)
    assert result.retry_after == timedelta(seconds=120)


def test_a_receiver_slower_than_the_read_timeout_is_retried():
    release = threading.Event()

    def stall(request: Request) -> Response:
        release.wait(5)  # the receiver stalls; the test itself never sleeps
        return Response(status=200)

    # A server of its own: the stalled request finishes after the test and must not reach another test's log
    slow = HTTPServer(host="127.0.0.1", port=0)
    slow.expect_request("/hook").respond_with_handler(stall)
    slow.start()
    try:
        result = send(slow, timeout=(1.0, 0.2))
    finally:
        release.set()
        slow.stop()
    assert (result.ok, result.permanent, result.error) == (False, False, "timed out")


def test_redirects_are_not_followed(receiver):
    receiver.expect_request("/hook").respond_with_data("", status=302, headers={"Location": "/elsewhere"})
    receiver.expect_request("/elsewhere").respond_with_data("", status=200)
    result = send(receiver)
    assert (result.ok, result.permanent, result.status) == (False, True, 302)
    assert [request.path for request, _ in receiver.log] == ["/hook"]


def test_a_refused_connection_is_retried():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = deliver(f"http://127.0.0.1:{port}/hook", SECRET, PAYLOAD, "prompt-42", allow_private=True)
    assert (result.ok, result.permanent, result.status) == (False, False, None)
    assert result.error.startswith("connection failed")


def test_loopback_receiver_is_refused_without_allow_private(receiver):
    receiver.expect_request("/hook").respond_with_data("", status=200)
    result = send(receiver, allow_private=False)
    assert (result.ok, result.permanent) == (False, True)
    # Stored where the agent reads it (the device's last error): says nothing of what the name resolved to
    assert result.error == "the address is not allowed"
    assert receiver.log == []


def test_delivery_connects_to_the_checked_address_with_the_url_host_name(receiver, monkeypatch):
    resolved = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", receiver.port))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: resolved)
    receiver.expect_request("/hook").respond_with_data("", status=200)
    result = deliver(f"http://hooks.example:{receiver.port}/hook", SECRET, PAYLOAD, "k", allow_private=True)
    assert result.ok
    assert receiver.log[0][0].headers["Host"] == f"hooks.example:{receiver.port}"


def test_a_host_that_does_not_resolve_is_retried(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(UnresolvableHostError):
        check_url("https://hooks.example/hook")
    result = deliver("https://hooks.example/hook", SECRET, PAYLOAD, "k")
    assert (result.ok, result.permanent) == (False, False)


@pytest.mark.parametrize("url", [
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "http:///hook",
    "https://user:pw@93.184.215.14/hook",
    "http://93.184.215.14:99999/",
])
def test_urls_that_are_not_plain_http_or_https_are_refused(url):
    with pytest.raises(WebhookURLError):
        check_url(url, allow_private=True)


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://localhost:8080/hook", "loopback"),
    ("http://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
    ("http://10.1.2.3/hook", "private"),
    ("http://192.168.0.10/hook", "private"),
    ("http://100.64.0.1/hook", "private"),  # carrier-grade NAT
    ("http://[::1]/hook", "loopback"),
    ("http://[fc00::5]/hook", "private"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://[::ffff:10.0.0.1]/hook", "private"),
    ("http://[2002:7f00:1::]/hook", "loopback"),  # 6to4 wrapping 127.0.0.1
])
def test_private_and_loopback_targets_are_refused(url, reason):
    with pytest.raises(WebhookURLError, match=reason):
        check_url(url)


@pytest.mark.parametrize("url, reason", [
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://[::]/hook", "unspecified"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://[ff02::1]/hook", "multicast"),
    ("http://240.0.0.1/hook", "reserved"),
])
def test_link_local_multicast_reserved_and_unspecified_are_refused_even_when_private_is_allowed(url, reason):
    with pytest.raises(WebhookURLError, match=reason):
        check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://[::1]/hook",
                                 "http://localhost/hook"])
def test_allow_private_admits_private_and_loopback_receivers(url):
    assert check_url(url, allow_private=True).addresses


def test_public_addresses_are_accepted_with_host_port_and_path():
    target = check_url("https://93.184.215.14/hooks/wellbeing?team=7")
    assert (target.scheme, target.host, target.port) == ("https", "93.184.215.14", 443)
    assert target.path == "/hooks/wellbeing?team=7"
    assert target.addresses == ("93.184.215.14",)
    assert check_url("http://[2606:4700:4700::1111]:8443/").addresses == ("2606:4700:4700::1111",)
    assert check_url("http://[::ffff:93.184.215.14]/").addresses == ("::ffff:93.184.215.14",)


def test_a_name_with_one_internal_address_is_refused(monkeypatch):
    resolved = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fd00::1", 443, 0, 0)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: resolved)
    with pytest.raises(WebhookURLError, match="fd00::1"):
        check_url("https://hooks.example/hook")


def test_retry_delay_doubles_from_thirty_seconds_within_jitter_bounds():
    assert retry_delay(1, rand=lambda: 0.0) == timedelta(seconds=15)
    assert retry_delay(1, rand=lambda: 1.0) == timedelta(seconds=30)
    assert retry_delay(2, rand=lambda: 1.0) == timedelta(seconds=60)
    assert retry_delay(4, rand=lambda: 0.5) == timedelta(seconds=180)  # 240 s, jittered to 3/4


def test_retry_delay_is_capped_at_thirty_minutes():
    assert retry_delay(7, rand=lambda: 1.0) == timedelta(minutes=30)  # 32 min uncapped
    assert retry_delay(7, rand=lambda: 0.0) == timedelta(minutes=15)
    assert retry_delay(10_000, rand=lambda: 1.0) == timedelta(minutes=30)


def test_retry_delay_with_real_randomness_stays_in_bounds():
    for attempt in range(1, 12):
        full = min(timedelta(seconds=30 * 2 ** (attempt - 1)), timedelta(minutes=30))
        assert all(full / 2 <= retry_delay(attempt) <= full for _ in range(50))


def test_retry_delay_counts_attempts_from_one():
    with pytest.raises(ValueError):
        retry_delay(0)


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 10, 21, 7, 27, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == timedelta(seconds=120)
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now) == timedelta(seconds=60)
    assert parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now) == timedelta(0)
    assert parse_retry_after("86400", now) == timedelta(hours=1)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


class _KeepAliveReceiver:
    """An HTTP/1.1 receiver that notes, per request, the client's port and the local address it was reached on.

    `close_after` makes it drop the connection after answering without saying so (as a server's idle timeout
    does), `body` is the answer's body.
    """

    def __init__(self, host="127.0.0.1", body=b"", close_after=False, chunked=False):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                seen.append((self.client_address[1], self.connection.getsockname()[0], self.headers["Idempotency-Key"]))
                self.send_response(200)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
                else:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                self.close_connection = close_after

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, host="127.0.0.1"):
        return f"http://{host}:{self.port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keep_alive():
    made = []

    def make(**kwargs):
        made.append(_KeepAliveReceiver(**kwargs))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def _deliver_to(url, key):
    return deliver(url, SECRET, PAYLOAD, key, allow_private=True)


def test_deliveries_to_one_receiver_share_a_keep_alive_connection(keep_alive):
    receiver = keep_alive(body=b'{"ok":true}')
    results = [_deliver_to(receiver.url(), f"k{n}") for n in range(5)]
    assert all(r.ok and r.status == 200 for r in results)
    assert [key for _, _, key in receiver.seen] == [f"k{n}" for n in range(5)]
    assert len({port for port, _, _ in receiver.seen}) == 1  # one TCP connection carried all five


def test_a_connection_the_receiver_closed_while_idle_is_replaced_and_the_prompt_still_arrives(keep_alive):
    receiver = keep_alive(close_after=True)
    results = [_deliver_to(receiver.url(), f"k{n}") for n in range(3)]
    assert all(r.ok for r in results)
    assert [key for _, _, key in receiver.seen] == ["k0", "k1", "k2"]  # each once: nothing lost, nothing doubled
    assert len({port for port, _, _ in receiver.seen}) == 3


@pytest.mark.parametrize("kwargs", [{"body": b"x" * (64 * 1024)}, {"body": b"chunked", "chunked": True}])
def test_a_large_or_chunked_answer_is_not_read_and_its_connection_is_not_reused(keep_alive, kwargs):
    receiver = keep_alive(**kwargs)
    assert all(_deliver_to(receiver.url(), f"k{n}").ok for n in range(2))
    assert len({port for port, _, _ in receiver.seen}) == 2


def test_a_changed_dns_answer_never_reuses_a_connection_to_the_old_address(keep_alive, monkeypatch):
    receiver = keep_alive(host="0.0.0.0")  # reachable on 127.0.0.1 and 127.0.0.2
    answer = {"address": "127.0.0.1"}
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["address"], receiver.port))])
    url = receiver.url("hooks.example")
    assert _deliver_to(url, "first").ok
    answer["address"] = "127.0.0.2"
    assert _deliver_to(url, "second").ok
    (first_port, first_via, _), (second_port, second_via, _) = receiver.seen
    assert (first_via, second_via) == ("127.0.0.1", "127.0.0.2") and first_port != second_port


def test_idle_connections_stay_bounded_across_many_receivers(keep_alive, monkeypatch):
    from wellbeing.prompts.channels import webhook as webhooks
    monkeypatch.setattr(webhooks._IdleConnections, "TOTAL", 3)
    pool = webhooks._IdleConnections()
    monkeypatch.setattr(webhooks, "_IDLE", pool)
    receivers = [keep_alive() for _ in range(5)]
    for n, receiver in enumerate(receivers):
        assert _deliver_to(receiver.url(), f"k{n}").ok
    assert len(pool) == 3  # the two oldest were closed, not kept
    assert _deliver_to(receivers[-1].url(), "again").ok  # the newest is still reused
    assert len({port for port, _, _ in receivers[-1].seen}) == 1
    assert _deliver_to(receivers[0].url(), "again").ok  # the evicted one is reached on a new connection
    assert len({port for port, _, _ in receivers[0].seen}) == 2
