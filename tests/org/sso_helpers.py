"""The test OpenID provider (oidc-provider under node, tests/org/oidc_provider) and the sign-in walk through it."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.faults.server import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
APP_REDIRECT = "com.example.wellbeing:/sso"
CLIENT_SECRET = "provider-client-secret-for-tests"


def install_provider() -> None:
    """npm ci once (the pinned package-lock.json); later runs reuse node_modules and need no network."""
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    assert npm, "npm is needed for the single sign-on tests (node v20 and npm)"
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


class OidcProvider:
    """One oidc-provider process on a free port, steered through its /control endpoints."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        install_provider()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([shutil.which("node"), "provider.mjs", str(self.port)], cwd=PROVIDER_DIR,
                                            stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            with contextlib.suppress(OSError):
                self.control("health")
                return
            time.sleep(0.1)
        raise RuntimeError(f"the provider did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def control(self, action: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(f"{self.issuer}/control/{action}", data=json.dumps(body or {}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def clients(self, *clients: dict) -> None:
        """Register clients ({client_id, redirect_uris}); each gets CLIENT_SECRET."""
        self.control("clients", {"clients": [{"client_secret": CLIENT_SECRET, **client} for client in clients]})

    def login_as(self, account: str) -> None:
        self.control("login", {"account": account})

    def tamper(self, **id_token_claims) -> None:
        self.control("tamper", {"id_token": id_token_claims} if id_token_claims else {})

    def rotate(self) -> list[str]:
        return self.control("rotate")["kids"]


def pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def walk(start_url: str, stop_prefix: str, session: requests.Session | None = None, limit: int = 15) -> str:
    """Follow redirects (as a browser would) from the start URL until one leads to ``stop_prefix``; return it."""
    session = session or requests.Session()
    url = start_url
    for _ in range(limit):
        if url.startswith(stop_prefix):
            return url
        response = session.get(url, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), (url, response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
    raise AssertionError(f"no redirect to {stop_prefix} after {limit} hops")


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
