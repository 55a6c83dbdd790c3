"""Sharing and cloning folders with the unmodified `backend.ai` CLI against a manager
subprocess and the real storage proxy."""

from __future__ import annotations

import secrets
import subprocess

import pytest

from tests.conformance.conftest import CLIENT_VENV, ClientRunner
from tests.storage_proxy_harness import StorageProxy

USER = ("AKIANABBDUSEREXAMPLE", "C8qnIo29EZvXkPK_MXcuAakYTy4NYrxwmCEyNPlf")
USER2 = ("AKIANATWOUSEREXAMPLE", "P7oxTDdzHbEpUSs5v7r7EWj9yKstp8VpZ7SEyA-g")


@pytest.fixture
def cli(client: ClientRunner, storage_proxy: StorageProxy) -> ClientRunner:
    return client


def _as(cli: ClientRunner, who: tuple[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = cli.run(*args, access_key=who[0], secret_key=who[1])
    return result


def _interactive(
    cli: ClientRunner, who: tuple[str, str], stdin: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLIENT_VENV / "bin" / "backend.ai"), *args],
        cwd=cli.workdir,
        env=cli.environment(*who),
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output and "Error" not in output, output
    return output


def test_invite_accept_use_and_leave(cli: ClientRunner) -> None:
    name = f"cli-shared-{secrets.token_hex(3)}"
    _ok(_as(cli, USER, "vfolder", "create", name, "local:volume1"))
    out = _ok(_as(cli, USER, "vfolder", "invite", name, "user2@lablup.com", "-p", "ro"))
    assert "Invitation sent to:" in out and "user2@lablup.com" in out

    listing = _interactive(cli, USER2, "", "vfolder", "invitations")
    assert "user@lablup.com" in listing.stdout and "read-only" in listing.stdout, listing
    # the invitations come oldest first; ours is the last one listed
    count = listing.stdout.count("user@lablup.com")
    out = _ok(_interactive(cli, USER2, f"{count}\na\n", "vfolder", "invitations"))
    assert f"You can now access vfolder {name}" in out

    info = _ok(_as(cli, USER2, "vfolder", "info", name))
    assert name in info and "ro" in info
    _ok(_as(cli, USER2, "vfolder", "ls", name))
    out = _ok(_as(cli, USER2, "vfolder", "leave", name))
    assert f'Left the shared virtual folder "{name}"' in out
    assert _as(cli, USER2, "vfolder", "info", name).returncode != 0


def test_clone_follows_the_background_task(cli: ClientRunner) -> None:
    name = f"cli-origin-{secrets.token_hex(3)}"
    _ok(_as(cli, USER, "vfolder", "create", name, "local:volume1", "--cloneable"))
    _ok(_as(cli, USER, "vfolder", "mkdir", name, "inside"))
    target = f"cli-copy-{secrets.token_hex(3)}"
    out = _ok(_as(cli, USER, "vfolder", "clone", name, target, "local:volume1"))
    assert "Cloning the vfolder is complete." in out
    listed = _ok(_as(cli, USER, "vfolder", "ls", target))
    assert "inside" in listed
    info = _ok(_as(cli, USER, "vfolder", "info", target))
    assert "ready" in info.lower()


def _folder_id(cli: ClientRunner, who: tuple[str, str], name: str) -> str:
    info = _ok(_as(cli, who, "vfolder", "info", name))
    return info.split("(ID: ", 1)[1].split(")", 1)[0]


def test_admin_lists_shares_and_hands_a_folder_over(cli: ClientRunner) -> None:
    name = f"cli-handover-{secrets.token_hex(3)}"
    _ok(_as(cli, USER, "vfolder", "create", name, "local:volume1"))
    folder_id = _folder_id(cli, USER, name)
    _ok(_as(cli, USER, "vfolder", "invite", name, "user2@lablup.com"))
    out = _ok(_interactive(cli, USER2, "\n", "vfolder", "invitations"))
    count = out.count("user@lablup.com")
    _ok(_interactive(cli, USER2, f"{count}\na\n", "vfolder", "invitations"))

    shared = _ok(cli.run("admin", "vfolder", "list-shared-vfolders"))
    assert f'Virtual folder "{name}"' in shared and "user2@lablup.com" in shared
    info = _ok(cli.run("admin", "vfolder", "shared-vfolder-info", folder_id))
    assert "user2@lablup.com" in info and "Permission: rw" in info

    # the share goes when the sharee becomes the owner
    _ok(cli.run("admin", "vfolder", "change-vfolder-ownership", folder_id, "user2@lablup.com"))
    assert "- Owner: True" in _ok(_as(cli, USER2, "vfolder", "info", name))
    assert _as(cli, USER, "vfolder", "info", name).returncode != 0
    assert "user2@lablup.com" not in _ok(
        cli.run("admin", "vfolder", "shared-vfolder-info", folder_id)
    )
