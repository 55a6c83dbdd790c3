"""Fresh credentials: API keypairs (AWS-like) and SSH keypairs (RSA, PEM/OpenSSH)."""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate_api_keypair() -> tuple[str, str]:
    """An access key (`AKIA` + 16 base32 characters) and a URL-safe secret key."""
    access_key = "AKIA" + base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return access_key, secrets.token_urlsafe(30)


def generate_ssh_keypair() -> tuple[str, str]:
    """An RSA-2048 (public OpenSSH, private PEM) pair; slow: call it in a worker thread."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode("ascii")
    )
    return f"{public} work@backend.ai\n", private
