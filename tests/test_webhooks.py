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

from wellbeing.webhooks import (
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
    assert "loopback" in result.error
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
