"""TypeScript types generated from the live /openapi.json type-check the phone flows (tests/clients/phone_flows.ts).

`openapi-typescript` and `typescript` are pinned in tests/clients/package.json (+ package-lock.json); `make test`
installs them with `npm ci` into tests/clients/node_modules (git-ignored).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
BIN = HERE / "node_modules" / ".bin"
TSCONFIG = {"compilerOptions": {"strict": True, "noEmit": True, "target": "ES2022", "module": "ES2022",
                                "moduleResolution": "bundler", "lib": ["ES2022", "DOM"]},
            "files": ["phone_flows.ts"]}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


def _types(spec: dict, folder: Path) -> None:
    if not (BIN / "openapi-typescript").exists() or not (BIN / "tsc").exists():
        pytest.fail("tests/clients/node_modules is missing: run `make test` (or `npm ci` in tests/clients)")
    (folder / "openapi.json").write_text(json.dumps(spec))
    # A property with a default is optional in a request: the document says so, the types must too.
    generated = _run(str(BIN / "openapi-typescript"), "openapi.json", "-o", "schema.d.ts",
                     "--default-non-nullable", "false", cwd=folder)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    shutil.copy(HERE / "phone_flows.ts", folder / "phone_flows.ts")
    (folder / "tsconfig.json").write_text(json.dumps(TSCONFIG))


def test_the_phone_flows_type_check_against_types_generated_from_the_live_document(live_server, tmp_path):
    _types(requests.get(f"{live_server}/openapi.json", timeout=30).json(), tmp_path)
    checked = _run(str(BIN / "tsc"), "-p", "tsconfig.json", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_undeclared_null_breaks_the_type_check(live_server, tmp_path):
    """The check can fail: the same flows against a document where acknowledged_at lost `nullable`."""
    spec = requests.get(f"{live_server}/openapi.json", timeout=30).json()
    del spec["components"]["schemas"]["Prompt"]["properties"]["acknowledged_at"]["nullable"]
    _types(spec, tmp_path)
    checked = _run(str(BIN / "tsc"), "-p", "tsconfig.json", cwd=tmp_path)
    assert checked.returncode != 0 and "phone_flows.ts" in checked.stdout, checked.stdout
