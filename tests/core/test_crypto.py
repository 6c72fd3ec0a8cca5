"""Tests for encryption at rest: AES-256-GCM tokens bound to their row, with key rotation."""

import base64

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wellbeing.core.crypto import DecryptionError, generate_key, parse_data_keys

KEY_OLD = bytes(range(32))
KEY_NEW = bytes(range(100, 132))
ROW = b"diary_entry:0190a3f2"
NOTE = "第三个投诉电话之后，我需要深呼吸。"


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def _body(token: str) -> bytes:
    encoded = token.split(".")[2]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def _token(body: bytes, kid: str = "old") -> str:
    return f"v1.{kid}.{_b64(body)}"


@pytest.fixture
def old_ring():
    return parse_data_keys(f"old:{_b64(KEY_OLD)}")


@pytest.fixture
def rotated_ring():
    return parse_data_keys(f"new:{_b64(KEY_NEW)},old:{_b64(KEY_OLD)}")


def test_round_trip_returns_the_plaintext(old_ring):
    assert old_ring.decrypt(old_ring.encrypt(NOTE, ROW), ROW) == NOTE


def test_empty_text_round_trips(old_ring):
    assert old_ring.decrypt(old_ring.encrypt("", ROW), ROW) == ""


def test_token_is_version_kid_and_nonce_with_ciphertext(old_ring):
    token = old_ring.encrypt("hello", ROW)
    assert token.startswith("v1.old.")
    assert "=" not in token
    assert len(_body(token)) == 12 + 5 + 16  # nonce, 5 plaintext bytes, GCM tag


def test_token_is_standard_aes_gcm_with_the_row_as_associated_data(old_ring):
    body = _body(old_ring.encrypt("hello", ROW))
    assert AESGCM(KEY_OLD).decrypt(body[:12], body[12:], ROW) == b"hello"


def test_same_plaintext_gets_a_fresh_nonce_each_time(old_ring):
    assert old_ring.encrypt(NOTE, ROW) != old_ring.encrypt(NOTE, ROW)


def test_ciphertext_copied_to_another_row_fails(old_ring):
    token = old_ring.encrypt(NOTE, ROW)
    with pytest.raises(DecryptionError, match="failed authentication"):
        old_ring.decrypt(token, b"diary_entry:someone-else")


def test_tampered_ciphertext_fails(old_ring):
    body = bytearray(_body(old_ring.encrypt(NOTE, ROW)))
    body[20] ^= 0x01
    with pytest.raises(DecryptionError, match="failed authentication"):
        old_ring.decrypt(_token(bytes(body)), ROW)


def test_token_relabelled_with_another_kid_fails(rotated_ring):
    token = rotated_ring.encrypt(NOTE, ROW)
    with pytest.raises(DecryptionError, match="failed authentication"):
        rotated_ring.decrypt(token.replace("v1.new.", "v1.old."), ROW)


def test_unknown_key_id_fails(old_ring, rotated_ring):
    token = rotated_ring.encrypt(NOTE, ROW)
    with pytest.raises(DecryptionError, match="no key with id 'new'"):
        old_ring.decrypt(token, ROW)


@pytest.mark.parametrize("token", ["", "v2.old.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "v1.old",
                                   "v1.old.!!!!", "v1.old.AAAA", "v1.o.ld.AAAA", "v1.old.A"])
def test_malformed_tokens_fail_cleanly(old_ring, token):
    with pytest.raises(DecryptionError):
        old_ring.decrypt(token, ROW)


def test_decryption_errors_reveal_neither_plaintext_nor_key(old_ring):
    body = bytearray(_body(old_ring.encrypt(NOTE, ROW)))
    body[-1] ^= 0x80
    with pytest.raises(DecryptionError) as failure:
        old_ring.decrypt(_token(bytes(body)), ROW)
    shown = str(failure.value) + repr(failure.value)
    assert NOTE not in shown
    assert _b64(KEY_OLD) not in shown
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_keyring_repr_shows_key_ids_only(rotated_ring):
    assert repr(rotated_ring) == "Keyring(primary='new', kids=['new', 'old'])"


def test_old_key_still_decrypts_after_a_new_primary_is_added(old_ring, rotated_ring):
    old_token = old_ring.encrypt(NOTE, ROW)
    assert rotated_ring.decrypt(old_token, ROW) == NOTE


def test_new_tokens_use_the_primary_key(rotated_ring):
    assert rotated_ring.encrypt(NOTE, ROW).startswith("v1.new.")


def test_needs_rotation_only_for_tokens_under_a_non_primary_key(old_ring, rotated_ring):
    assert rotated_ring.needs_rotation(old_ring.encrypt(NOTE, ROW))
    assert not rotated_ring.needs_rotation(rotated_ring.encrypt(NOTE, ROW))


def test_rotate_reencrypts_under_the_primary_key(old_ring, rotated_ring):
    rotated = rotated_ring.rotate(old_ring.encrypt(NOTE, ROW), ROW)
    assert rotated.startswith("v1.new.")
    assert parse_data_keys(f"new:{_b64(KEY_NEW)}").decrypt(rotated, ROW) == NOTE


def test_rotated_token_stays_bound_to_its_row(old_ring, rotated_ring):
    rotated = rotated_ring.rotate(old_ring.encrypt(NOTE, ROW), ROW)
    with pytest.raises(DecryptionError):
        rotated_ring.decrypt(rotated, b"diary_entry:other")


def test_rotate_leaves_primary_tokens_unchanged(rotated_ring):
    token = rotated_ring.encrypt(NOTE, ROW)
    assert rotated_ring.rotate(token, ROW) == token


def test_parse_accepts_padding_and_spaces_around_entries():
    padded = base64.urlsafe_b64encode(KEY_NEW).decode()
    ring = parse_data_keys(f" new:{padded} , old:{_b64(KEY_OLD)} ")
    assert ring.kids == ["new", "old"]
    assert ring.primary == "new"


@pytest.mark.parametrize("value, message", [
    ("", "DATA_KEYS is empty"),
    ("   ", "DATA_KEYS is empty"),
    ("old", "entry 1: expected kid:key"),
    (f"old:{_b64(KEY_OLD)},", "entry 2: expected kid:key"),
    (f"bad.kid:{_b64(KEY_OLD)}", "entry 1: key id must be"),
    ("old:not+base64/url", r"entry 1 \(old\): key is not base64url"),
    ("old:A", r"entry 1 \(old\): key is not base64url"),
    (f"old:{_b64(bytes(16))}", r"entry 1 \(old\): key is 16 bytes, expected 32"),
    (f"old:{_b64(KEY_OLD)},old:{_b64(KEY_NEW)}", "entry 2: duplicate key id 'old'"),
])
def test_malformed_data_keys_are_rejected_with_a_clear_message(value, message):
    with pytest.raises(ValueError, match=message):
        parse_data_keys(value)


def test_data_keys_errors_never_echo_the_key():
    short_key = _b64(b"secret-sixteen-b")
    with pytest.raises(ValueError) as failure:
        parse_data_keys(f"old:{short_key}")
    assert short_key not in str(failure.value)


def test_generated_key_is_a_parseable_32_byte_entry():
    entry = generate_key("2026q1")
    kid, encoded = entry.split(":")
    assert kid == "2026q1"
    assert len(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))) == 32
    ring = parse_data_keys(entry)
    assert ring.decrypt(ring.encrypt(NOTE, ROW), ROW) == NOTE


def test_generated_keys_differ_and_get_an_id_when_none_is_given():
    first, second = generate_key(), generate_key()
    assert first != second
    assert parse_data_keys(f"{first},{second}").kids == [first.split(":")[0], second.split(":")[0]]


def test_generate_key_rejects_an_unusable_key_id():
    with pytest.raises(ValueError, match="key id must be"):
        generate_key("a:b")
