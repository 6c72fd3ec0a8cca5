"""`make run` installs only what running needs; `make test` adds the test tools (read from make's dry run)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _dry_run(target: str) -> str:
    if shutil.which("make") is None:
        pytest.fail("make is not installed")
    result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_the_runtime_requirements_only():
    commands = _dry_run("run")
    assert "-r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands


def test_make_test_installs_the_test_tools_too():
    commands = _dry_run("test")
    assert "-r requirements.txt" in commands and "-r requirements-dev.txt" in commands
