"""Authenticated encryption at rest for free text (diary and counseling notes), with rotating keys."""

import base64
import binascii
import os
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96-bit random nonces: NIST SP 800-38D's recommended size for GCM
_KID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class DecryptionError(Exception):
    """A token could not be decrypted; the message never contains plaintext, ciphertext or key material."""


class Keyring:
    """AES-256-GCM keys by key id: the first (primary) key encrypts, every key decrypts."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self.primary = keys[0][0]
        # Built once: AESGCM objects are reused on every call, no per-call key setup or derivation.
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}

    def __repr__(self) -> str:
        return f"Keyring(primary={self.primary!r}, kids={list(self._ciphers)!r})"

    @property
    def kids(self) -> list[str]:
        """The key ids, primary first."""
        return list(self._ciphers)

    def encrypt(self, plaintext: str, aad: bytes) -> str:
        """Encrypt with the primary key into `v1.<kid>.<base64url(nonce|ciphertext)>`, bound to `aad`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.primary].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return f"{TOKEN_VERSION}.{self.primary}.{_b64encode(nonce + sealed)}"

    def decrypt(self, token: str, aad: bytes) -> str:
        """Decrypt a token made by `encrypt` with the same `aad`; raises DecryptionError otherwise."""
        kid, blob = _split(token)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise DecryptionError(f"no key with id {kid!r} in the keyring")
        try:
            plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication (tampered, wrong row or wrong key)") from None
        return plain.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """Whether the token was encrypted with a key other than the primary one."""
        return _split(token)[0] != self.primary

    def rotate(self, token: str, aad: bytes) -> str:
        """The token re-encrypted under the primary key; unchanged if it already uses it."""
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, aad), aad)


def parse_data_keys(value: str) -> Keyring:
    """Parse the DATA_KEYS format `kid1:base64url-32-byte-key,kid2:...`; raises ValueError naming the problem."""
    entries = [entry.strip() for entry in value.split(",")]
    if entries == [""]:
        raise ValueError("DATA_KEYS is empty: expected kid:base64url-key[,kid:key...]")
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate(entries, start=1):
        kid, key = _parse_entry(position, entry)
        if any(kid == seen for seen, _ in keys):
            raise ValueError(f"DATA_KEYS entry {position}: duplicate key id {kid!r}")
        keys.append((kid, key))
    return Keyring(keys)


def _parse_entry(position: int, entry: str) -> tuple[str, bytes]:
    kid, sep, encoded = entry.partition(":")
    if not sep:
        raise ValueError(f"DATA_KEYS entry {position}: expected kid:key")
    if not _KID.match(kid):
        raise ValueError(f"DATA_KEYS entry {position}: key id must be 1-32 of A-Z a-z 0-9 _ -")
    key = _b64decode(encoded)
    if key is None:
        raise ValueError(f"DATA_KEYS entry {position} ({kid}): key is not base64url")
    if len(key) != KEY_BYTES:
        raise ValueError(f"DATA_KEYS entry {position} ({kid}): key is {len(key)} bytes, expected {KEY_BYTES}")
    return kid, key


def generate_key(kid: str | None = None) -> str:
    """A new `kid:key` entry for DATA_KEYS (put it first to make it the primary key)."""
    kid = kid or f"k{secrets.token_hex(4)}"
    if not _KID.match(kid):
        raise ValueError("key id must be 1-32 of A-Z a-z 0-9 _ -")
    return f"{kid}:{_b64encode(AESGCM.generate_key(bit_length=256))}"


def _split(token: str) -> tuple[str, bytes]:
    version, _, rest = token.partition(".")
    kid, _, encoded = rest.partition(".")
    if version != TOKEN_VERSION:
        raise DecryptionError("not a v1 token")
    blob = _b64decode(encoded)
    if not _KID.match(kid) or blob is None:
        raise DecryptionError("malformed token")
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("token too short")
    return kid, blob


def _b64decode(text: str) -> bytes | None:
    """Strict base64url (padding optional); None when `text` is not valid base64url."""
    if not _B64URL.match(text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        return None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
