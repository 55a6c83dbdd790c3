"""Folders mounted into sessions: `POST /session` with `mounts`/`mount_map`/`mount_options`
checks the owner's permission on each folder and stores the mounts the agent will receive
(host paths from the real storage proxy)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.vfolder import vfolder_permissions
from tests.integration.conftest import RunningManager
from tests.integration.test_vfolders import USER, USER2, USER2_UUID, Account, Api, api
from tests.storage_proxy_harness import StorageProxy

__all__ = ("api",)  # the fixture, shared with test_vfolders

pytestmark = pytest.mark.integration

IMAGE = "cr.backend.ai/stable/python:3.9-ubuntu20.04"


def _session_body(name: str, **config: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": IMAGE,
        "type": "interactive",
        "group": "default",
        "domain": "default",
        "enqueueOnly": True,
        "config": {"resources": {"cpu": "1", "mem": "1g"}, **config},
    }


async def _start(api: Api, who: Account = USER, **config: Any) -> tuple[int, Any]:
    name = f"mnt-{secrets.token_hex(3)}"
    return await api.call("POST", "/session", _session_body(name, **config), who=who)


async def _mounts_of(manager: RunningManager, session_id: str) -> tuple[list[Any], list[Any]]:
    async with manager.root.db.begin() as conn:
        stored = await conn.scalar(
            sa.select(sessions.c.vfolder_mounts).where(sessions.c.id == uuid.UUID(session_id))
        )
        per_kernel = (
            await conn.execute(
                sa.select(kernels.c.vfolder_mounts).where(
                    kernels.c.session_id == uuid.UUID(session_id)
                )
            )
        ).all()
    return list(stored or []), [list(row.vfolder_mounts or []) for row in per_kernel]


async def _destroy(api: Api, session_id: str, who: Account = USER) -> None:
    await api.call("DELETE", f"/session/{session_id}", query={"forced": "true"}, who=who)


async def test_a_mounted_folder_reaches_the_session_with_its_proxy_path(
    api: Api, manager: RunningManager, storage_proxy: StorageProxy
) -> None:
    folder = await api.create()
    status, created = await _start(api, mounts=[folder["name"]])
    assert status == 201, created
    try:
        stored, per_kernel = await _mounts_of(manager, created["sessionId"])
        assert per_kernel == [stored]
        (mount,) = stored
        folder_hex = uuid.UUID(folder["id"]).hex
        assert mount["name"] == folder["name"]
        assert mount["vfid"].endswith("/" + folder_hex)
        assert mount["vfid"].startswith("user:")
        assert mount["kernel_path"] == f"/home/work/{folder['name']}"
        assert mount["mount_perm"] == "wd"  # the owner may read, write and delete
        assert mount["usage_mode"] == "general"
        assert mount["vfsubpath"] == "."
        assert mount["host_path"].startswith(str(storage_proxy.volume_path))
        assert mount["host_path"].endswith(folder_hex[4:])
    finally:
        await _destroy(api, created["sessionId"])


async def test_destination_subpath_and_read_only_option(api: Api, manager: RunningManager) -> None:
    data, code = await api.create(), await api.create()
    await api.ok("POST", f"/folders/{data['id']}/mkdir", {"path": ["train"], "parents": True})
    status, created = await _start(
        api,
        mounts=[f"{data['name']}/train", code["name"]],
        mount_map={f"{data['name']}/train": "datasets/train", code["name"]: "/opt/code"},
        mount_options={code["name"]: {"permission": "ro"}},
    )
    assert status == 201, created
    try:
        stored, _ = await _mounts_of(manager, created["sessionId"])
        by_name = {m["name"]: m for m in stored}
        assert by_name[data["name"]]["kernel_path"] == "/home/work/datasets/train"
        assert by_name[data["name"]]["vfsubpath"] == "train"
        assert by_name[data["name"]]["host_path"].endswith("/train")
        assert by_name[code["name"]]["kernel_path"] == "/opt/code"
        assert by_name[code["name"]]["mount_perm"] == "ro"
    finally:
        await _destroy(api, created["sessionId"])


@pytest.mark.parametrize(
    ("config", "status"),
    [
        ({"mounts": ["no-such-folder"]}, 404),
        ({"mounts": ["{f}"], "mount_map": {"{f}": "../escape"}}, 400),
        ({"mounts": ["{f}"], "mount_map": {"{f}": "/home/work"}}, 400),
        ({"mounts": ["{f}/../x"]}, 400),
        ({"mounts": ["{f}", "{g}"], "mount_map": {"{f}": "same", "{g}": "same"}}, 400),
        ({"mounts": ["{f}"], "mount_options": {"{f}": {"permission": "xx"}}}, 400),
    ],
)
async def test_bad_mounts_are_refused_and_nothing_is_queued(
    api: Api, manager: RunningManager, config: dict[str, Any], status: int
) -> None:
    f, g = (await api.create())["name"], (await api.create())["name"]

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{f}", f).replace("{g}", g)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {fill(k): fill(v) for k, v in value.items()}
        return value

    name = f"mnt-bad-{secrets.token_hex(3)}"
    got, body = await api.call("POST", "/session", _session_body(name, **fill(config)), who=USER)
    assert got == status, body
    assert body["type"].startswith("https://api.backend.ai/probs/")
    async with manager.root.db.begin() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).where(sessions.c.name == name)) == 0


async def test_someone_elses_folder_cannot_be_mounted(api: Api) -> None:
    theirs = await api.create(who=USER2)
    status, body = await _start(api, mounts=[theirs["name"]])
    assert status == 404, body


async def test_a_read_only_share_mounts_read_only_and_refuses_more(
    api: Api, manager: RunningManager
) -> None:
    shared = await api.create()
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.insert(vfolder_permissions).values(
                vfolder=uuid.UUID(shared["id"]), user=USER2_UUID, permission="ro"
            )
        )
    status, body = await _start(
        api, who=USER2, mounts=[shared["id"]], mount_options={shared["id"]: {"permission": "rw"}}
    )
    assert status == 403, body
    status, created = await _start(api, who=USER2, mount_ids=[shared["id"]])
    assert status == 201, created
    try:
        stored, _ = await _mounts_of(manager, created["sessionId"])
        assert [m["mount_perm"] for m in stored] == ["ro"]
    finally:
        await _destroy(api, created["sessionId"], who=USER2)


async def test_a_folder_mounted_by_a_live_session_cannot_be_purged(
    api: Api, manager: RunningManager
) -> None:
    folder = await api.create()
    status, created = await _start(api, mounts=[folder["name"]])
    assert status == 201, created
    try:
        await api.ok("DELETE", "/folders", {"id": folder["id"]})
        status, body = await api.call(
            "POST", "/folders/delete-from-trash-bin", {"id": folder["id"]}
        )
        assert status == 409, body
    finally:
        await _destroy(api, created["sessionId"])
        await api.ok("POST", "/folders/restore-from-trash-bin", {"id": folder["id"]})
