"""Local fake platforms for the recovery connectors: real HTTP servers in threads that check each request's
credentials the way the platform would and record the agent state changes they accepted."""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
                   r"/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})")
_STATUS_PATH = re.compile(r"^/users/(?P<instance>[^/]+)/(?P<user>[^/]+)/status$")


class FakeAmazonConnect:
    """Amazon Connect's PutUserStatus (PUT /users/{InstanceId}/{UserId}/status): the SigV4 signature is checked
    with botocore against the known secret key; accepted changes are recorded as (user id, agent status id)."""

    def __init__(self, access_key: str, secret_key: str, region: str = "ap-northeast-1") -> None:
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.changes: list[tuple[str, str]] = []
        self.refused: list[str] = []
        self.fail_next = 0  # answer this many requests with a 500 first
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                problem = fake._check(self, body)
                if problem is not None:
                    with fake.lock:
                        fake.refused.append(problem)
                    return self._answer(403, {"__type": "AccessDeniedException", "message": problem})
                with fake.lock:
                    if fake.fail_next:
                        fake.fail_next -= 1
                        return self._answer(500, {"__type": "InternalServiceException", "message": "try again"})
                match = _STATUS_PATH.match(self.path)
                if match is None:
                    return self._answer(404, {"__type": "ResourceNotFoundException", "message": self.path})
                status = json.loads(body)["AgentStatusId"]
                with fake.lock:
                    fake.changes.append((match["user"], status))
                self._answer(200, {})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status >= 400:
                    self.send_header("x-amzn-ErrorType", body["__type"])
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _check(self, handler: BaseHTTPRequestHandler, body: bytes) -> str | None:
        match = _AUTH.fullmatch(handler.headers.get("Authorization", ""))
        if match is None:
            return "no SigV4 authorization"
        if match["key"] != self.access_key or match["service"] != "connect" or match["region"] != self.region:
            return "unknown key, service or region"
        signed = match["signed"].split(";")
        headers = {name: handler.headers[name] for name in signed if handler.headers.get(name) is not None}
        request = AWSRequest(method=handler.command, url=f"http://{handler.headers['host']}{handler.path}",
                             data=body, headers=headers)
        request.context["timestamp"] = handler.headers["X-Amz-Date"]
        auth = SigV4Auth(Credentials(self.access_key, self.secret_key), "connect", self.region)
        expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        return None if expected == match["signature"] else "signature mismatch"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FakeAmazonConnect":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FakeGenesys:
    """Genesys Cloud's login host (POST /oauth/token, client credentials in Basic auth) and API host (PATCH
    /api/v2/users/{id}/presences/purecloud with the issued bearer token), on one local server."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        import base64
        import secrets

        self.client_id, self.client_secret = client_id, client_secret
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.changes: list[tuple[str, str]] = []
        self.refused: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = "Basic " + base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
                if self.path != "/oauth/token" or body != b"grant_type=client_credentials" \
                        or self.headers.get("Authorization") != expected:
                    fake.refused.append("bad client credentials")
                    return self._answer(401, {"error": "invalid_client"})
                fake.token_requests += 1
                token = secrets.token_urlsafe(24)
                fake.tokens.add(token)
                self._answer(200, {"access_token": token, "token_type": "bearer", "expires_in": 86399})

            def do_PATCH(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                scheme, _, token = self.headers.get("Authorization", "").partition(" ")
                match = re.fullmatch(r"/api/v2/users/([^/]+)/presences/purecloud", self.path)
                if scheme != "Bearer" or token not in fake.tokens:
                    fake.refused.append("bad token")
                    return self._answer(401, {"code": "bad.credentials"})
                if match is None:
                    return self._answer(404, {"code": "not.found"})
                fake.changes.append((match[1], body["presenceDefinition"]["id"]))
                self._answer(200, {"presenceDefinition": body["presenceDefinition"], "source": "PURECLOUD"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
