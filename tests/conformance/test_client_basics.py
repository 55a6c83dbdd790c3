"""Checklist section A with the unmodified `backend.ai` CLI (backend.ai-client 26.9.6)."""

from __future__ import annotations

import json

from tests.conformance.conftest import ClientRunner
from tests.signing import ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY


def test_config_negotiates_the_api_version(client: ClientRunner) -> None:
    result = client.run("config")
    assert result.returncode == 0, result.stderr
    assert "Server version: 26.9.6 (API: v9.20250722)" in result.stdout
    assert "Negotiated API version: (9, '20250722')" in result.stdout


def test_admin_keypair_info_shows_the_superadmin(client: ClientRunner) -> None:
    result = client.run("--output", "json", "admin", "keypair", "info")
    assert result.returncode == 0, result.stdout + result.stderr
    item = json.loads(result.stdout)["items"][0]
    assert item["access_key"] == ADMIN_ACCESS_KEY
    assert item["secret_key"] == ADMIN_SECRET_KEY
    assert item["is_admin"] is True
    assert item["user_id"] == "admin@lablup.com"


def test_admin_keypair_info_console_output(client: ClientRunner) -> None:
    result = client.run("admin", "keypair", "info")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ADMIN_ACCESS_KEY in result.stdout
    assert "Admin Lablup" in result.stdout


def test_wrong_secret_key_fails_with_the_servers_message(client: ClientRunner) -> None:
    result = client.run("admin", "keypair", "info", secret_key="not-the-secret")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Signature mismatch" in output
    assert "Traceback" not in output
