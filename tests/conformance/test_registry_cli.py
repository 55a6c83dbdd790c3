"""Registries and rescans with the unmodified `backend.ai` CLI: `admin image rescan` against a
real registry (its progress and the skipped image), then `image list`, `admin image list`,
`admin image alias/dealias` on what it found, and a rescan of a registry that is down."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ai.backend.manager.config.local import ManagerLocalConfig
from tests.conformance.conftest import MANAGER_CLI, ClientRunner
from tests.conftest import free_port, write_manager_toml
from tests.registry_harness import PrivateRegistry, load_pusher, running_registry_sync


def _ok(client: ClientRunner, *args: str) -> str:
    result = client.run(*args, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def _mgr(config: Path, *args: str) -> str:
    done = subprocess.run(
        [str(MANAGER_CLI), "mgr", "-f", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def mgr_toml(manager_config: ManagerLocalConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_manager_toml(manager_config, tmp_path_factory.mktemp("mgr-cli") / "manager.toml")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, mgr_toml: Path) -> Iterator[PrivateRegistry]:
    pusher = load_pusher()
    with running_registry_sync(tmp_path_factory.mktemp("cli-registry")) as reg:
        asyncio.run(pusher.push_images(reg.url, pusher.demo_specs() + pusher.broken_specs()))
        _mgr(mgr_toml, "registry", "add", reg.name, reg.url, "--project", "testing")
        yield reg


def test_admin_image_rescan_list_alias_dealias(
    client: ClientRunner, manager_process: str, registry: PrivateRegistry
) -> None:
    output = _ok(client, "admin", "image", "rescan", "-r", registry.name)
    assert "Started updating the image metadata" in output
    assert "testing/broken:1.0" in output  # "Error reported: ..." for the skipped image
    assert "Finished registry scanning with 1 issues" in output

    python = f"{registry.name}/testing/python:3.11-ubuntu22.04"
    for command in (("image", "list"), ("admin", "image", "list")):
        listing = _ok(client, *command)
        assert "testing/python" in listing and "testing/lua" in listing
        assert registry.name in listing
        assert "testing/broken" not in listing

    added = _ok(client, "admin", "image", "alias", "cf-regpy", python, "--arch", "aarch64")
    assert "An alias has created: cf-regpy" in added
    listing = _ok(client, "--output", "json", "admin", "image", "list")
    assert "cf-regpy" in listing
    removed = _ok(client, "admin", "image", "dealias", "cf-regpy")
    assert "The alias has been removed: cf-regpy" in removed


def test_admin_image_rescan_of_a_registry_that_is_down(
    client: ClientRunner, manager_process: str, mgr_toml: Path
) -> None:
    name = f"127.0.0.1:{free_port()}"
    _mgr(mgr_toml, "registry", "add", name, f"http://{name}")
    result = client.run("admin", "image", "rescan", "-r", name, timeout=120)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "Error occurred: Cannot reach the registry" in output, output


def test_admin_image_rescan_of_an_unknown_registry(
    client: ClientRunner, manager_process: str
) -> None:
    result = client.run("admin", "image", "rescan", "-r", "nowhere.example:1")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "No container registry named" in output
