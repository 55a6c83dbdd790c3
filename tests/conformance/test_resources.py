"""The unmodified client's resource paths: `admin resource query-slots / usage-per-month /
usage-per-period / container-registries` and the SDK's `Resource.list()` (the preset list) and
`Resource.check_presets()`."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.repositories.db import create_engine
from ai.backend.manager.types import KernelStatus
from tests.conformance.conftest import CLIENT_VENV, ClientRunner
from tests.integration.test_resource_presets import (
    DEFAULT_GROUP_ID,
    USER2,
    SeededKernel,
    delete_sessions,
    insert_kernels,
)
from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY

USER_KEYS = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}
GiB = 2**30


def _ok(client: ClientRunner, *args: str, **keys: str) -> str:
    result = client.run(*args, **keys)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def _sdk(client: ClientRunner, code: str, *, access_key: str, secret_key: str) -> Any:
    """Run `code` (which prints one JSON document) with the client venv's python."""
    result = subprocess.run(
        [str(CLIENT_VENV / "bin" / "python"), "-c", code],
        cwd=client.workdir,
        env=client.environment(access_key, secret_key),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def march_kernels(manager_config: ManagerLocalConfig) -> Iterator[None]:
    """Two of user2's kernels in the default project in March 2026 (cpu 2 + 1, mem 4 + 1 GiB)."""

    def ended(start: str, end: str, cpu: int, mem: int) -> SeededKernel:
        return SeededKernel(
            status=KernelStatus.TERMINATED,
            slots={"cpu": Decimal(cpu), "mem": Decimal(mem)},
            freed=True,
            created_at=datetime.fromisoformat(start).replace(tzinfo=UTC),
            terminated_at=datetime.fromisoformat(end).replace(tzinfo=UTC),
        )

    seeded = [
        ended("2026-03-10T10:00:00", "2026-03-12T10:00:00", 2, 4 * GiB),
        ended("2026-03-20T00:00:00", "2026-03-20T06:00:00", 1, GiB),
    ]

    async def insert() -> list[Any]:
        engine = create_engine(manager_config.db)
        try:
            async with engine.begin() as conn:
                return await insert_kernels(conn, seeded)
        finally:
            await engine.dispose()

    async def remove(ids: list[Any]) -> None:
        engine = create_engine(manager_config.db)
        try:
            async with engine.begin() as conn:
                await delete_sessions(conn, ids)
        finally:
            await engine.dispose()

    ids = asyncio.run(insert())
    try:
        yield
    finally:
        asyncio.run(remove(ids))


# --- 27: resource slots --------------------------------------------------------------------------


def test_query_slots(client: ClientRunner) -> None:
    lines = _ok(client, "admin", "resource", "query-slots").splitlines()
    assert "cpu (count)" in lines
    assert "mem (bytes)" in lines


# --- container registries ------------------------------------------------------------------------


def test_container_registries(client: ClientRunner) -> None:
    lines = _ok(client, "admin", "resource", "container-registries").splitlines()
    assert "stable/cr.backend.ai" in lines
    assert _ok(client, "admin", "resource", "docker-registries").splitlines() == lines
    refused = client.run("admin", "resource", "container-registries", **USER_KEYS)
    assert refused.returncode != 0 or "403" in refused.stdout + refused.stderr


# --- usage ---------------------------------------------------------------------------------------


def test_usage_per_month(client: ClientRunner, march_kernels: None) -> None:
    console = _ok(client, "admin", "resource", "usage-per-month", "202603", str(DEFAULT_GROUP_ID))
    lines = console.splitlines()
    assert f"Group: default ({DEFAULT_GROUP_ID})" in lines
    assert "  Domain: default" in lines
    assert "  Containers (2):" in lines
    identities = [line for line in lines if line.startswith("    Identity: ")]
    assert len(identities) == 2
    assert all(line.endswith(f" / {USER2[0]}") for line in identities)
    # the CLI prints the GPU SMP count as "core(s)"; memory is what the kernels were given
    assert "  Total Allocated: 0.0 core(s) / 5368709120 mem (bytes)" in lines
    assert "    Allocated: 0.0 core(s) / 4294967296 mem (bytes)" in lines
    assert "    Duration: 3 day(s) (2026-03-10 10:00:00+00:00 ~ 2026-03-12 10:00:00+00:00)" in lines
    empty = _ok(client, "admin", "resource", "usage-per-month", "202501", str(DEFAULT_GROUP_ID))
    assert empty.strip() == ""


def test_usage_per_period(client: ClientRunner, march_kernels: None) -> None:
    console = _ok(
        client,
        "admin",
        "resource",
        "usage-per-period",
        str(DEFAULT_GROUP_ID),
        "20260301",
        "20260331",
    )
    lines = console.splitlines()
    assert f"Project: default ({DEFAULT_GROUP_ID})" in lines
    assert "  Domain: default" in lines
    assert "  Total CPU / Memory Used: 0.0 (s) / 0 (bytes)" in lines
    assert "  GPU Devices: []" in lines


def test_usage_is_refused_to_plain_users(client: ClientRunner) -> None:
    result = client.run(
        "admin", "resource", "usage-per-month", "202603", str(DEFAULT_GROUP_ID), **USER_KEYS
    )
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr or "ermission" in result.stdout + result.stderr


# --- the SDK: presets ----------------------------------------------------------------------------

_SDK_PRESETS = """
import json
from ai.backend.client.session import Session
with Session() as session:
    listed = session.Resource.list()
    checked = session.Resource.check_presets()
    in_group = session.Resource.check_presets(group="default", scaling_group="default")
print(json.dumps({"listed": listed, "checked": checked, "in_group": in_group}))
"""


def test_sdk_list_and_check_presets(client: ClientRunner) -> None:
    result = _sdk(client, _SDK_PRESETS, access_key=USER_ACCESS_KEY, secret_key=USER_SECRET_KEY)
    listed = {p["name"]: p for p in result["listed"]["presets"]}
    assert listed["cpu01-small"]["resource_slots"] == {"cpu": "1", "mem": "1073741824"}
    assert listed["cpu02-medium"]["shared_memory"] == "1073741824"
    for body in (result["checked"], result["in_group"]):
        assert body["keypair_limits"] == {"cpu": "Infinity", "mem": "Infinity"}
        assert set(body["keypair_using"]) == {"cpu", "mem"}
        assert set(body["keypair_remaining"]) == {"cpu", "mem"}
        assert set(body["scaling_group_remaining"]) == {"cpu", "mem"}
        assert set(body["scaling_groups"]["default"]) == {"using", "remaining"}
        presets = {p["name"]: p for p in body["presets"]}
        assert set(presets["cpu01-small"]) >= {
            "name",
            "resource_slots",
            "shared_memory",
            "allocatable",
        }
        assert isinstance(presets["cpu01-small"]["allocatable"], bool)
    assert list(result["in_group"]["scaling_groups"]) == ["default"]
