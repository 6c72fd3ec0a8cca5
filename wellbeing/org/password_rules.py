"""The rules a password chosen by its owner must meet (length, not the e-mail, not the old one, not common)."""
from __future__ import annotations

import functools
from pathlib import Path

from wellbeing.core.errors import Invalid
from wellbeing.org import passwords

MIN_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _refuse(code: str, message: str) -> None:
    raise Invalid(message, fields={"new_password": [message]}, code=code)


def check_new_password(new_password: str, email: str, old_hash: str | None) -> None:
    """Invalid (422, naming the rule) unless the password is fit to be the owner's own."""
    if len(new_password) < MIN_LENGTH:
        _refuse("password_too_short", f"Use at least {MIN_LENGTH} characters.")
    if new_password.strip().lower() == email.strip().lower():
        _refuse("password_is_email", "The password must not be your e-mail address.")
    if new_password.lower() in _common():
        _refuse("password_too_common", "This password is too common; choose another.")
    if old_hash is not None and passwords.verify_password(old_hash, new_password):
        _refuse("password_unchanged", "The new password must differ from the old one.")
