"""Password hashing with Argon2id (argon2-cffi), with the cost set once at start-up."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both failures cost the same time.
_dummy_hash = _hasher.hash("not-a-real-password")


def configure(time_cost: int, memory_cost: int) -> None:
    """Set the Argon2 cost (tests use a cheap one; production keeps the library defaults)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
    _dummy_hash = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same effort when there is no stored hash."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the stored hash was made with other parameters than the current ones."""
    return _hasher.check_needs_rehash(stored_hash)
