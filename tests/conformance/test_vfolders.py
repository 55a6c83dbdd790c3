"""Checklist section D with the unmodified `backend.ai` CLI against our manager, the real storage
proxy (vfs volume `local:volume1`) and a real dummy agent: create, mkdir, upload, ls, download
byte for byte, mv, rm, rename, mount into a session, delete to the trash bin, restore, purge.

The steps depend on each other, so they run in file order against one folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid

import pytest

from ai.backend.manager.config.local import DatabaseConfig
from tests.agent_harness import DummyAgent
from tests.conformance.conftest import ClientRunner
from tests.storage_proxy_harness import StorageProxy

HOST = "local:volume1"
FOLDER = "cf-vf"
RENAMED = "cf-vf2"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ok(result: object) -> str:
    stdout = getattr(result, "stdout", "")
    stderr = getattr(result, "stderr", "")
    output = f"{stdout}{stderr}"
    assert getattr(result, "returncode", 1) == 0, output
    assert "Traceback" not in output, output
    return output


@pytest.fixture(scope="module")
def payload(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    # Not a multiple of any chunk size, and not text.
    return os.urandom(3 * 2**20 + 12345)


@pytest.fixture(scope="module")
def folder(client: ClientRunner, storage_proxy: StorageProxy) -> str:
    output = _ok(client.run("vfolder", "create", FOLDER, HOST))
    assert FOLDER in output
    return FOLDER


def _list_names(client: ClientRunner) -> set[str]:
    result = client.run("--output", "json", "vfolder", "list")
    _ok(result)
    return {item["name"] for item in json.loads(result.stdout)["items"]}


def test_list_hosts_offers_the_proxy_volume(
    client: ClientRunner, storage_proxy: StorageProxy
) -> None:
    output = _ok(client.run("vfolder", "list-hosts"))
    assert HOST in output


def test_created_folder_is_listed_and_described(client: ClientRunner, folder: str) -> None:
    assert folder in _list_names(client)
    output = _ok(client.run("vfolder", "info", folder))
    assert folder in output
    assert "Status: ready" in output


def test_a_second_folder_with_the_same_name_is_refused(client: ClientRunner, folder: str) -> None:
    result = client.run("vfolder", "create", folder, HOST)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output


def test_mkdir_upload_ls_and_download_byte_for_byte(
    client: ClientRunner, folder: str, payload: bytes
) -> None:
    _ok(client.run("vfolder", "mkdir", folder, "dir1"))
    source = client.workdir / "payload.bin"
    source.write_bytes(payload)
    try:
        _ok(client.run("vfolder", "upload", folder, "payload.bin", timeout=120))
    finally:
        source.unlink()
    listing = _ok(client.run("vfolder", "ls", folder))
    assert "payload.bin" in listing
    assert "dir1" in listing
    target = client.workdir / "downloaded"
    target.mkdir()
    _ok(client.run("vfolder", "download", folder, "payload.bin", "-b", str(target), timeout=120))
    assert (target / "payload.bin").read_bytes() == payload


def test_mv_and_rm(client: ClientRunner, folder: str) -> None:
    _ok(client.run("vfolder", "mv", folder, "payload.bin", "dir1/payload.bin"))
    listing = _ok(client.run("vfolder", "ls", folder, "dir1"))
    assert "payload.bin" in listing
    result = client.run("vfolder", "rm", folder, "dir1/payload.bin", input="y\n")
    _ok(result)
    listing = _ok(client.run("vfolder", "ls", folder, "dir1"))
    assert "payload.bin" not in listing


def test_rename(client: ClientRunner, folder: str) -> None:
    _ok(client.run("vfolder", "rename", folder, RENAMED))
    names = _list_names(client)
    assert RENAMED in names
    assert folder not in names


def _stored_mounts(database: DatabaseConfig, session_id: str) -> list[dict[str, object]]:
    """What the manager stored (and sent the agent) for the session's mounts."""
    result = subprocess.run(
        [
            "psql", "-h", database.addr.host, "-p", str(database.addr.port), "-U", database.user,
            "-d", database.name, "-qAt", "-c",
            f"SELECT vfolder_mounts FROM sessions WHERE id = '{session_id}'",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return list(json.loads(result.stdout or "[]") or [])


def test_mount_into_a_session(
    client: ClientRunner, folder: str, dummy_agent: DummyAgent, schema_database: DatabaseConfig
) -> None:
    output = _ok(
        client.run(
            "session",
            "create",
            "python:3.9",
            "-t",
            "cf-mnt",
            "-r",
            "cpu=1",
            "-r",
            "mem=1g",
            "-m",
            RENAMED,
        )
    )
    match = UUID_RE.search(output)
    assert match, output
    try:
        # RUNNING: the real agent took the mount in the kernel's creation config
        assert "is created and ready" in output, output
        (mount,) = _stored_mounts(schema_database, match.group(0))
        assert mount["name"] == RENAMED
        assert mount["kernel_path"] == f"/home/work/{RENAMED}"
    finally:
        _ok(client.run("session", "destroy", "--forced", match.group(0)))


def test_mounting_a_folder_that_does_not_exist_is_refused(
    client: ClientRunner, folder: str, dummy_agent: DummyAgent
) -> None:
    result = client.run(
        "session",
        "create",
        "python:3.9",
        "-t",
        "cf-mnt-bad",
        "-r",
        "cpu=1",
        "-m",
        f"no-such-{uuid.uuid4().hex[:6]}",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output


def test_delete_restore_delete_and_purge(client: ClientRunner, folder: str) -> None:
    _ok(client.run("vfolder", "delete", RENAMED))
    assert RENAMED not in _list_names(client) or _trashed(client, RENAMED)
    _ok(client.run("vfolder", "restore", RENAMED))
    _ok(client.run("vfolder", "info", RENAMED))
    _ok(client.run("vfolder", "delete", RENAMED))
    _ok(client.run("vfolder", "purge", RENAMED))
    result = client.run("vfolder", "info", RENAMED)
    assert result.returncode != 0, result.stdout + result.stderr


def _trashed(client: ClientRunner, name: str) -> bool:
    result = client.run("--output", "json", "vfolder", "list")
    _ok(result)
    return any(
        item["name"] == name and str(item.get("status", "")).lower().startswith("delete")
        for item in json.loads(result.stdout)["items"]
    )
