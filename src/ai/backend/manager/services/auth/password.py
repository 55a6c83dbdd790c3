"""Password hashing: PBKDF2-HMAC-SHA256 strings `pbkdf2_sha256$<rounds>$<salt hex>$<hash hex>`.

Hashing takes a noticeable fraction of a second by design; call these from a worker thread
(`asyncio.to_thread`) when on the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

ALGORITHM: Final = "pbkdf2_sha256"
DEFAULT_ROUNDS: Final = 600_000
SALT_BYTES: Final = 32
# Prefixes of strings that are already hashes (fixtures keep them as they are).
KNOWN_HASH_PREFIXES: Final = (f"{ALGORITHM}$",)


def _derive(plain: str, salt: bytes, rounds: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", plain.encode("utf-8"), salt, rounds)


def hash_password(plain: str, *, rounds: int = DEFAULT_ROUNDS) -> str:
    """Hash a password with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(plain, salt, rounds)
    return f"{ALGORITHM}${rounds}${salt.hex()}${digest.hex()}"


def is_password_hash(value: str) -> bool:
    """Whether `value` looks like a hash this module (or a compatible one) produced."""
    return value.startswith(KNOWN_HASH_PREFIXES)


def verify_password(plain: str, hashed: str | None) -> bool:
    """Check `plain` against a stored hash; malformed or empty hashes never match."""
    if not hashed:
        return False
    parts = hashed.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        return False
    _, rounds_text, salt_hex, digest_hex = parts
    try:
        rounds = int(rounds_text)
        salt = bytes.fromhex(salt_hex)
        expected = bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if rounds <= 0 or not expected:
        return False
    return hmac.compare_digest(_derive(plain, salt, rounds), expected)
