"""Quotas through the unmodified CLI: a hard limit refuses `session create` (exit 1, the
server's message printed); a soft one keeps the session PENDING with the reason in `info`."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.agent_harness import DummyAgent
from tests.conformance.conftest import CLIENT_VENV, ClientRunner
from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY

POLICY = "cf-quota"
USER = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}
CLI = str(CLIENT_VENV / "bin" / "backend.ai")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def _destroy(client: ClientRunner, name: str) -> None:
    client.run("session", "destroy", "--forced", name, **USER)


@pytest.fixture(scope="module")
def quota_policy(client: ClientRunner) -> Iterator[str]:
    """user@lablup.com's keypair under a policy of 2 cores in total and one session at a time."""
    _ok(
        client.run(
            "admin",
            "keypair-resource-policy",
            "add",
            POLICY,
            "--default-for-unspecified",
            "UNLIMITED",
            "--total-resource-slots",
            json.dumps({"cpu": "2"}),
            "--max-concurrent-sessions",
            "1",
            "--max-containers-per-session",
            "1",
        )
    )
    _ok(client.run("admin", "keypair", "update", USER_ACCESS_KEY, "--resource-policy", POLICY))
    try:
        yield POLICY
    finally:
        client.run("admin", "keypair", "update", USER_ACCESS_KEY, "--resource-policy", "default")
        subprocess.run(
            [CLI, "admin", "keypair-resource-policy", "delete", POLICY],
            cwd=client.workdir,
            env=client.environment(),
            input="y\n",
            capture_output=True,
            text=True,
            timeout=60,
        )


def test_a_session_over_the_keypair_total_is_refused(
    client: ClientRunner, quota_policy: str
) -> None:
    result = client.run(
        "session", "create", "python:3.9", "-t", "cf-q-big", "-r", "cpu=3", "-r", "mem=1g", **USER
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    assert "more than the keypair may ever use" in output, output
    assert "cpu 2" in output, output


def test_more_containers_than_allowed_is_refused(client: ClientRunner, quota_policy: str) -> None:
    result = client.run(
        "session",
        "create",
        "python:3.9",
        "-t",
        "cf-q-cluster",
        "--cluster-size",
        "2",
        "-r",
        "cpu=1",
        **USER,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "at most 1 per session" in output, output


def test_a_second_session_waits_for_the_first_with_the_reason_shown(
    client: ClientRunner, quota_policy: str, dummy_agent: DummyAgent
) -> None:
    try:
        first = client.run(
            "session", "create", "python:3.9", "-t", "cf-q-1", "-r", "cpu=1", "-r", "mem=1g", **USER
        )
        assert "is created and ready" in _ok(first)
        second = _ok(
            client.run(
                "session",
                "create",
                "python:3.9",
                "-t",
                "cf-q-2",
                "--enqueue-only",
                "-r",
                "cpu=1",
                "-r",
                "mem=1g",
                **USER,
            )
        )
        match = UUID_RE.search(second)
        assert match, second
        deadline = time.monotonic() + 20
        info = ""
        while time.monotonic() < deadline:
            info = _ok(client.run("session", "info", match.group(0), **USER))
            if "concurrent sessions" in info:
                break
            time.sleep(0.5)
        assert "PENDING" in info, info
        assert "already has 1 concurrent sessions (limit 1)" in info, info
    finally:
        _destroy(client, "cf-q-2")
        _destroy(client, "cf-q-1")
