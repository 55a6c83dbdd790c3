"""`/auth`: signature round-trip checks, password change and the caller's SSH keypair."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ai.backend.manager.actions.keypair import (
    GenerateSSHKeypairAction,
    GetSSHKeypairAction,
    SSHKeypair,
    UploadSSHKeypairAction,
)
from ai.backend.manager.actions.user import UpdatePasswordAction
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.api.routing import read_json_object
from ai.backend.manager.errors.base import InvalidAPIParameters


async def test_get(request: web.Request) -> web.Response:
    current_user(request)
    return web.json_response({"authorized": "yes", "echo": ""})


async def test_post(request: web.Request) -> web.Response:
    current_user(request)
    body = await read_json_object(request)
    echo = body.get("echo", "")
    return web.json_response({"authorized": "yes", "echo": echo if isinstance(echo, str) else ""})


def _decrypt(endpoint: str, payload: bytes) -> bytes | None:
    """Undo the client's AES-256-CBC body encryption (used for passwords over plain HTTP)."""
    try:
        iv, encoded = payload.split(b":", 1)
        key = (base64.b64encode(endpoint.encode("ascii")) + iv + iv)[:32]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(base64.b64decode(encoded)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (ValueError, binascii.Error):
        return None


async def _read_secure_body(request: web.Request) -> dict[str, Any]:
    """The JSON body, decrypted first when the client marked it `X-BackendAI-Encoded`."""
    if request.headers.get("X-BackendAI-Encoded", "").lower() != "true":
        return await read_json_object(request)
    raw = await request.read()
    base = f"{request.scheme}://{request.host}"
    for endpoint in (base, base + "/"):
        plain = _decrypt(endpoint, raw)
        if plain is None:
            continue
        try:
            body = json.loads(plain)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(body, dict):
            return body
    raise InvalidAPIParameters("Cannot decode the encrypted request body")


def _required_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise InvalidAPIParameters(f"`{key}` is required and must be a string")
    return value


async def update_password(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await _read_secure_body(request)
    action = UpdatePasswordAction(
        requester=user,
        old_password=_required_str(body, "old_password"),
        new_password=_required_str(body, "new_password"),
        new_password_confirm=_required_str(body, "new_password2"),
    )
    await api_context(request).processors.user.update_password.run(action)
    return web.json_response({})


def _ssh_response(keypair: SSHKeypair) -> web.Response:
    return web.json_response(
        {"ssh_public_key": keypair.public_key, "ssh_private_key": keypair.private_key}
    )


async def get_ssh_keypair(request: web.Request) -> web.Response:
    user = current_user(request)
    result = await api_context(request).processors.keypair.get_ssh_keypair.run(
        GetSSHKeypairAction(requester=user)
    )
    return web.json_response({"ssh_public_key": result.public_key})


async def generate_ssh_keypair(request: web.Request) -> web.Response:
    user = current_user(request)
    result = await api_context(request).processors.keypair.generate_ssh_keypair.run(
        GenerateSSHKeypairAction(requester=user)
    )
    return _ssh_response(result)


async def upload_ssh_keypair(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await read_json_object(request)
    result = await api_context(request).processors.keypair.upload_ssh_keypair.run(
        UploadSSHKeypairAction(
            requester=user,
            public_key=_required_str(body, "pubkey"),
            private_key=_required_str(body, "privkey"),
        )
    )
    return _ssh_response(result)


def register_routes(app: web.Application) -> None:
    for path in ("/auth", "/auth/test"):
        app.router.add_get(path, test_get)
        app.router.add_post(path, test_post)
    app.router.add_post("/auth/update-password", update_password)
    app.router.add_get("/auth/ssh-keypair", get_ssh_keypair)
    app.router.add_patch("/auth/ssh-keypair", generate_ssh_keypair)
    app.router.add_post("/auth/ssh-keypair", upload_ssh_keypair)
