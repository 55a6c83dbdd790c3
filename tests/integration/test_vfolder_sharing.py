"""Sharing folders (invite/accept/reject/leave, project shares, ownership) and cloning them,
against a real manager and the real storage proxy."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.integration.conftest import RunningManager
from tests.integration.sse import read_sse
from tests.signing import signed_headers
from tests.storage_proxy_harness import StorageProxy

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEYS = {
    "admin": ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "domain-admin": ("AKIAHUKCHDEZGEXAMPLE", "cWbsM_vBB4CzTW7JdORRMx8SjGI3-wEXAMPLEKEY"),
    "user": ("AKIANABBDUSEREXAMPLE", "C8qnIo29EZvXkPK_MXcuAakYTy4NYrxwmCEyNPlf"),
    "user2": ("AKIANATWOUSEREXAMPLE", "P7oxTDdzHbEpUSs5v7r7EWj9yKstp8VpZ7SEyA-g"),
    "monitor": ("AKIANAMONITOREXAMPLE", "7tuEwF1J7FfK41vOM4uSSyWCUWjPBolpVwvgkSBu"),
}
EMAIL = {
    "admin": "admin@lablup.com",
    "domain-admin": "domain-admin@lablup.com",
    "user": "user@lablup.com",
    "user2": "user2@lablup.com",
}
USER2_UUID = "009fb1a4-487c-4f6e-9b1b-228b94b1d040"


@dataclass
class Api:
    http: aiohttp.ClientSession
    manager: RunningManager
    host: str  # the folder host, `proxy:volume`

    async def call(
        self, who: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        access, secret = KEYS[who]
        headers = signed_headers(
            method, path, host=self.manager.host, access_key=access, secret_key=secret
        )
        data = json.dumps(body).encode() if body is not None else None
        async with self.http.request(
            method, self.manager.base_url + path, headers=headers, data=data
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except json.JSONDecodeError:
                return resp.status, text

    async def ok(self, who: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, payload = await self.call(who, method, path, body)
        assert status // 100 == 2, (method, path, status, payload)
        return payload

    async def create(self, who: str, name: str, **extra: Any) -> str:
        created = await self.ok(who, "POST", "/folders", {"name": name, "host": self.host, **extra})
        return str(created["id"])

    async def info(self, who: str, folder_id: str) -> tuple[int, Any]:
        return await self.call(who, "GET", f"/folders/{folder_id}")

    async def invitations(self, who: str) -> list[dict[str, Any]]:
        return list((await self.ok(who, "GET", "/folders/invitations/list"))["invitations"])


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    manager: RunningManager, storage_proxy: StorageProxy, http: aiohttp.ClientSession
) -> AsyncIterator[Api]:
    manager.root.storage_proxies.invalidate()
    yield Api(http, manager, storage_proxy.host)


# --- invitations ------------------------------------------------------------------------------


async def test_invite_accept_use_and_leave(api: Api) -> None:
    name = _name("shared")
    folder = await api.create("user", name)
    invited = await api.ok(
        "user", "POST", f"/folders/{folder}/invite", {"perm": "ro", "user_ids": [EMAIL["user2"]]}
    )
    assert invited == {"invited_ids": [EMAIL["user2"]]}

    [invitation] = [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    assert invitation["inviter"] == EMAIL["user"]
    assert invitation["invitee"] == EMAIL["user2"]
    assert invitation["perm"] == "ro" and invitation["state"] == "pending"
    assert uuid.UUID(invitation["vfolder_id"]) == uuid.UUID(folder)
    # before accepting, the folder is not theirs to see
    assert (await api.info("user2", folder))[0] == 404

    await api.ok("user2", "POST", "/folders/invitations/accept", {"inv_id": invitation["id"]})
    assert not [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    status, info = await api.info("user2", folder)
    assert status == 200
    assert info["permission"] == "ro" and info["is_owner"] is False
    # reading is allowed, writing is not
    assert (await api.call("user2", "GET", f"/folders/{folder}/files?path=."))[0] == 200
    status, _ = await api.call(
        "user2", "POST", f"/folders/{folder}/request-upload", {"path": "x.txt", "size": 1}
    )
    assert status == 403

    await api.ok("user2", "POST", f"/folders/{folder}/leave", {"shared_user_uuid": None})
    assert (await api.info("user2", folder))[0] == 404
    # the owner cannot leave their own folder
    assert (await api.call("user", "POST", f"/folders/{folder}/leave", {}))[0] == 400


async def test_only_the_owner_invites_and_never_twice(api: Api) -> None:
    name = _name("guarded")
    folder = await api.create("user", name)
    body = {"perm": "rw", "user_ids": [EMAIL["user2"]]}
    # a superadmin sees the folder but does not own it
    assert (await api.call("admin", "POST", f"/folders/{folder}/invite", body))[0] == 403
    # someone who cannot see it gets 404
    assert (await api.call("user2", "POST", f"/folders/{folder}/invite", body))[0] == 404
    # not oneself, not nobody, not an unknown address
    own = {"perm": "rw", "user_ids": [EMAIL["user"]]}
    assert (await api.call("user", "POST", f"/folders/{folder}/invite", own))[0] == 400
    empty = {"perm": "rw", "user_ids": []}
    assert (await api.call("user", "POST", f"/folders/{folder}/invite", empty))[0] == 400
    ghost = {"perm": "rw", "user_ids": ["nobody@example.com"]}
    assert (await api.call("user", "POST", f"/folders/{folder}/invite", ghost))[0] == 404
    bad_perm = {"perm": "xx", "user_ids": [EMAIL["user2"]]}
    assert (await api.call("user", "POST", f"/folders/{folder}/invite", bad_perm))[0] == 400

    assert (await api.ok("user", "POST", f"/folders/{folder}/invite", body))["invited_ids"] == [
        EMAIL["user2"]
    ]
    # a second invitation while one is pending adds nothing
    assert (await api.ok("user", "POST", f"/folders/{folder}/invite", body))["invited_ids"] == []
    mine = [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    assert len(mine) == 1
    await api.ok("user2", "POST", "/folders/invitations/accept", {"inv_id": mine[0]["id"]})
    # once they hold it, inviting them again is a conflict
    assert (await api.call("user", "POST", f"/folders/{folder}/invite", body))[0] == 409


async def test_reject_and_withdraw(api: Api) -> None:
    name = _name("declined")
    folder = await api.create("user", name)
    body = {"perm": "rw", "user_ids": [EMAIL["user2"]]}

    await api.ok("user", "POST", f"/folders/{folder}/invite", body)
    [inv] = [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    # a third party cannot drop it
    status, _ = await api.call(
        "domain-admin", "DELETE", "/folders/invitations/delete", {"inv_id": inv["id"]}
    )
    assert status == 403
    await api.ok("user2", "DELETE", "/folders/invitations/delete", {"inv_id": inv["id"]})
    assert not [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    # a rejected invitation cannot be accepted any more
    status, _ = await api.call(
        "user2", "POST", "/folders/invitations/accept", {"inv_id": inv["id"]}
    )
    assert status == 404
    assert (await api.info("user2", folder))[0] == 404

    # the inviter withdraws a new one
    await api.ok("user", "POST", f"/folders/{folder}/invite", body)
    [inv2] = [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    assert inv2["id"] != inv["id"]
    await api.ok("user", "DELETE", "/folders/invitations/delete", {"inv_id": inv2["id"]})
    assert not [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    # accepting someone else's invitation is refused as if it did not exist
    await api.ok("user", "POST", f"/folders/{folder}/invite", body)
    [inv3] = [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    status, _ = await api.call(
        "domain-admin", "POST", "/folders/invitations/accept", {"inv_id": inv3["id"]}
    )
    assert status == 404
    status, _ = await api.call("user2", "POST", "/folders/invitations/accept", {"inv_id": "zz"})
    assert status == 400


async def test_the_inviter_sees_and_changes_sent_invitations(api: Api) -> None:
    name = _name("offered")
    folder = await api.create("user", name)
    await api.ok("user", "POST", f"/folders/{folder}/invite", {"user_ids": [EMAIL["user2"]]})
    sent = await api.ok("user", "GET", "/folders/invitations/list-sent")
    [inv] = [i for i in sent["invitations"] if i["vfolder_name"] == name]
    assert inv["invitee"] == EMAIL["user2"] and inv["perm"] == "rw"
    # only the inviter changes it
    path = f"/folders/invitations/update/{inv['id']}"
    assert (await api.call("user2", "POST", path, {"perm": "ro"}))[0] == 403
    await api.ok("user", "POST", path, {"perm": "ro"})
    [seen] = [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    assert seen["perm"] == "ro"
    await api.ok("user2", "POST", "/folders/invitations/accept", {"inv_id": inv["id"]})
    assert (await api.info("user2", folder))[1]["permission"] == "ro"
    # a settled invitation no longer changes
    assert (await api.call("user", "POST", path, {"perm": "rw"}))[0] == 404


async def test_accept_refuses_a_name_the_invitee_already_uses(api: Api) -> None:
    name = _name("same")
    folder = await api.create("user", name)
    await api.create("user2", name)
    await api.ok("user", "POST", f"/folders/{folder}/invite", {"user_ids": [EMAIL["user2"]]})
    [inv] = [i for i in await api.invitations("user2") if i["vfolder_name"] == name]
    status, problem = await api.call(
        "user2", "POST", "/folders/invitations/accept", {"inv_id": inv["id"]}
    )
    assert status == 409, problem
    # still pending: they may rename their folder and accept then
    assert [i["id"] for i in await api.invitations("user2") if i["vfolder_name"] == name] == [
        inv["id"]
    ]


async def test_project_folders_are_not_shared_by_invitation(api: Api) -> None:
    folder = await api.create("domain-admin", _name("proj"), group="default")
    status, _ = await api.call(
        "domain-admin",
        "POST",
        f"/folders/{folder}/invite",
        {"perm": "ro", "user_ids": [EMAIL["user"]]},
    )
    assert status == 400


# --- direct shares of project folders ---------------------------------------------------------


async def test_share_and_unshare_a_project_folder(api: Api) -> None:
    name = _name("team")
    folder = await api.create("domain-admin", name, group="default", permission="ro")
    status, info = await api.info("user", folder)
    assert status == 200 and info["permission"] == "ro"

    # users do not share; user folders are not shared directly
    share = {"permission": "rw", "emails": [EMAIL["user"]]}
    assert (await api.call("user", "POST", f"/folders/{folder}/share", share))[0] == 403
    own = await api.create("user", _name("mine"))
    assert (await api.call("admin", "POST", f"/folders/{own}/share", share))[0] == 400
    ghost = {"permission": "rw", "emails": ["nobody@example.com"]}
    assert (await api.call("domain-admin", "POST", f"/folders/{folder}/share", ghost))[0] == 404

    shared = await api.ok("domain-admin", "POST", f"/folders/{folder}/share", share)
    assert shared == {"shared_emails": [EMAIL["user"]]}
    assert (await api.info("user", folder))[1]["permission"] == "rw"
    assert (await api.info("user2", folder))[1]["permission"] == "ro"

    listed = await api.ok("user", "GET", f"/folders/_/shared?vfolder_id={folder}")
    [entry] = listed["shared"]
    assert entry["vfolder_name"] == name and entry["type"] == "project"
    assert entry["shared_to"]["email"] == EMAIL["user"] and entry["perm"] == "rw"
    assert entry["status"] == "ready"

    unshared = await api.ok(
        "domain-admin", "DELETE", f"/folders/{folder}/unshare", {"emails": [EMAIL["user"]]}
    )
    assert unshared == {"unshared_emails": [EMAIL["user"]]}
    assert (await api.info("user", folder))[1]["permission"] == "ro"
    listed = await api.ok("admin", "GET", f"/folders/_/shared?vfolder_id={folder}")
    assert listed["shared"] == []


# --- administration of shares and ownership ---------------------------------------------------


async def test_set_and_remove_a_users_share(api: Api) -> None:
    folder = await api.create("user", _name("granted"))
    body = {"vfolder": folder, "user": USER2_UUID, "perm": "rw"}
    # only administrators (or the owner) change who holds a share
    assert (await api.call("user2", "POST", "/folders/_/shared", body))[0] == 404
    await api.ok("domain-admin", "POST", "/folders/_/shared", body)
    status, info = await api.info("user2", folder)
    assert status == 200 and info["permission"] == "rw"

    # the owner sees the share; an unrelated user does not
    mine = await api.ok("user", "GET", "/folders/_/shared")
    assert any(
        e["vfolder_id"] == str(uuid.UUID(folder)) and e["shared_to"]["uuid"] == USER2_UUID
        for e in mine["shared"]
    )
    everyone = await api.ok("monitor", "GET", "/folders/_/shared")
    assert any(e["vfolder_id"] == str(uuid.UUID(folder)) for e in everyone["shared"])

    await api.ok("user", "POST", "/folders/_/shared", {**body, "perm": None})
    assert (await api.info("user2", folder))[0] == 404


async def test_change_ownership(api: Api) -> None:
    name = _name("handover")
    folder = await api.create("user", name)
    body = {"vfolder": folder, "user_email": EMAIL["user2"]}
    assert (await api.call("user", "POST", "/folders/_/change-ownership", body))[0] == 403
    ghost = {"vfolder": folder, "user_email": "nobody@example.com"}
    assert (await api.call("admin", "POST", "/folders/_/change-ownership", ghost))[0] == 404

    await api.ok("domain-admin", "POST", "/folders/_/change-ownership", body)
    status, info = await api.info("user2", folder)
    assert status == 200 and info["is_owner"] is True and info["user"] == USER2_UUID
    assert (await api.info("user", folder))[0] == 404

    # the new owner already has a folder of that name: refused
    clash = await api.create("user", name)
    status, _ = await api.call(
        "admin",
        "POST",
        "/folders/_/change-ownership",
        {"vfolder": clash, "user_email": EMAIL["user2"]},
    )
    assert status == 409
    # project folders do not change hands
    project = await api.create("domain-admin", _name("projown"), group="default")
    status, _ = await api.call(
        "admin",
        "POST",
        "/folders/_/change-ownership",
        {"vfolder": project, "user_email": EMAIL["user2"]},
    )
    assert status == 400


# --- clone ------------------------------------------------------------------------------------


async def _follow(api: Api, task_id: str) -> list[tuple[str, dict[str, Any]]]:
    rel = f"/events/background-task?task_id={task_id}"
    access, secret = KEYS["user"]
    headers = signed_headers(
        "GET", rel, host=api.manager.host, access_key=access, secret_key=secret
    )
    async with api.http.get(api.manager.base_url + rel, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return [(m.event, m.data) for m in await read_sse(resp, timeout=60)]


async def test_clone_copies_a_folder_with_progress_events(api: Api) -> None:
    source = await api.create("user", _name("origin"), cloneable=True)
    await api.ok("user", "POST", f"/folders/{source}/mkdir", {"path": ["inner/deeper"]})
    target_name = _name("copy")
    started = await api.ok(
        "user",
        "POST",
        f"/folders/{source}/clone",
        {
            "target_name": target_name,
            "target_host": api.host,
            "usage_mode": "general",
            "permission": "rw",
        },
    )
    assert started["name"] == target_name and started["ownership_type"] == "user"
    assert started["status"] == "cloning"
    events = await _follow(api, started["bgtask_id"])
    names = [name for name, _ in events]
    assert names[-2:] == ["bgtask_done", "server_close"], events
    assert "bgtask_updated" in names or len(names) == 2

    status, info = await api.info("user", started["id"])
    assert status == 200 and info["status"] == "ready" and info["is_owner"] is True
    listed = await api.ok("user", "GET", f"/folders/{started['id']}/files?path=inner")
    assert [item["name"] for item in listed["items"]] == ["deeper"]


async def test_clone_rules(api: Api) -> None:
    plain = await api.create("user", _name("plain"))
    body = {"target_name": _name("nope"), "target_host": None}
    assert (await api.call("user", "POST", f"/folders/{plain}/clone", body))[0] == 403

    source = await api.create("user", _name("cloneable"), cloneable=True)
    taken = _name("taken")
    await api.create("user", taken)
    dup = {"target_name": taken}
    assert (await api.call("user", "POST", f"/folders/{source}/clone", dup))[0] == 409
    for bad in ("..", "a/b", ""):
        status, _ = await api.call("user", "POST", f"/folders/{source}/clone", {"target_name": bad})
        assert status == 400, bad
    elsewhere = {"target_name": _name("far"), "target_host": "other:volume9"}
    assert (await api.call("user", "POST", f"/folders/{source}/clone", elsewhere))[0] == 400
    # someone who cannot see the folder cannot clone it
    assert (await api.call("user2", "POST", f"/folders/{source}/clone", body))[0] == 404


async def test_a_failed_clone_leaves_no_folder(api: Api, storage_proxy: StorageProxy) -> None:
    source = await api.create("user", _name("vanishing"), cloneable=True)
    # the bytes disappear behind the manager's back: the proxy's copy fails
    hex_id = uuid.UUID(source).hex
    removed = [p for p in storage_proxy.volume_path.rglob(hex_id[4:]) if p.is_dir()]
    assert removed, f"no directory of {source} under {storage_proxy.volume_path}"
    for path in removed:
        shutil.rmtree(path)
    target_name = _name("ghost")
    started = await api.ok("user", "POST", f"/folders/{source}/clone", {"target_name": target_name})
    events = await _follow(api, started["bgtask_id"])
    assert [name for name, _ in events][-2:] == ["bgtask_failed", "server_close"], events
    assert events[-2][1]["message"]
    assert (await api.info("user", started["id"]))[0] == 404


async def _wait_status(api: Api, folder: str, wanted: int, status: str | None = None) -> Any:
    for _ in range(100):
        code, info = await api.info("user", folder)
        if code == wanted and (status is None or info["status"] == status):
            return info
        await asyncio.sleep(0.1)
    raise AssertionError(f"{folder} never reached {wanted} {status}: {code} {info}")


async def test_a_proxys_clone_report_settles_the_copy(
    api: Api, storage_proxy: StorageProxy
) -> None:
    """Whichever manager hears the proxy's anycast settles a CLONING copy (the one that
    started the clone may be gone)."""
    from ai.backend.manager.events.vfolder_clone import (
        VFolderCloneFailureEvent,
        VFolderCloneSuccessEvent,
    )
    from ai.backend.manager.repositories.vfolder import VFolderRepository
    from ai.backend.manager.types import VFolderOperationStatus as S

    folders = VFolderRepository(api.manager.root.db)
    done, failed = await api.create("user", _name("settled")), await api.create("user", _name("x"))
    for folder in (done, failed):
        await folders.transition(uuid.UUID(folder), expect=[S.READY], to=S.CLONING)
    scope = "user:dfa9da54-4b28-432f-be29-c0d680c7a412"
    events = api.manager.root.events
    await events.anycast(
        VFolderCloneSuccessEvent(vfid="src", dst_vfid=f"{scope}/{uuid.UUID(done).hex}"),
        source="storage-proxy",
    )
    await events.anycast(
        VFolderCloneFailureEvent(
            vfid="src", dst_vfid=f"{scope}/{uuid.UUID(failed).hex}", message="disk full"
        ),
        source="storage-proxy",
    )
    await _wait_status(api, done, 200, "ready")
    await _wait_status(api, failed, 404)
    hex_id = uuid.UUID(failed).hex
    assert not [p for p in storage_proxy.volume_path.rglob(hex_id[4:]) if p.is_dir()]


async def test_a_sharee_clones_into_a_folder_of_their_own(api: Api) -> None:
    source = await api.create("user", _name("lent"), cloneable=True)
    await api.ok("user", "POST", f"/folders/{source}/mkdir", {"path": ["data"]})
    await api.ok(
        "admin", "POST", "/folders/_/shared", {"vfolder": source, "user": USER2_UUID, "perm": "ro"}
    )
    started = await api.ok(
        "user2", "POST", f"/folders/{source}/clone", {"target_name": _name("mine")}
    )
    assert started["user"] == USER2_UUID
    access, secret = KEYS["user2"]
    rel = f"/events/background-task?task_id={started['bgtask_id']}"
    headers = signed_headers(
        "GET", rel, host=api.manager.host, access_key=access, secret_key=secret
    )
    async with api.http.get(api.manager.base_url + rel, headers=headers) as resp:
        assert [m.event for m in await read_sse(resp, timeout=60)][-2:] == [
            "bgtask_done",
            "server_close",
        ]
    status, info = await api.call("user2", "GET", f"/folders/{started['id']}")
    assert status == 200 and info["is_owner"] is True and info["permission"] == "wd"
    listed = await api.ok("user2", "GET", f"/folders/{started['id']}/files?path=.")
    assert [item["name"] for item in listed["items"]] == ["data"]
    # the source's owner does not see the copy
    assert (await api.info("user", started["id"]))[0] == 404


async def test_only_a_superadmin_makes_someone_else_leave(api: Api) -> None:
    folder = await api.create("user", _name("evicted"))
    grant = {"vfolder": folder, "user": USER2_UUID, "perm": "rw"}
    await api.ok("admin", "POST", "/folders/_/shared", grant)
    on_behalf = {"shared_user_uuid": USER2_UUID}
    assert (await api.call("user", "POST", f"/folders/{folder}/leave", on_behalf))[0] == 403
    await api.ok("admin", "POST", f"/folders/{folder}/leave", on_behalf)
    assert (await api.info("user2", folder))[0] == 404
    # nothing left to leave
    assert (await api.call("admin", "POST", f"/folders/{folder}/leave", on_behalf))[0] == 404


async def test_proxy_down_clone_is_503_and_sharing_still_works(
    api: Api, storage_proxy: StorageProxy
) -> None:
    source = await api.create("user", _name("steady"), cloneable=True)
    target_name = _name("never")
    await storage_proxy.astop()
    try:
        status, problem = await api.call(
            "user", "POST", f"/folders/{source}/clone", {"target_name": target_name}
        )
        assert status == 503, problem
        # no half-made copy
        status, _ = await api.call("user", "GET", "/folders/_/id", {"name": target_name})
        assert status == 404
        # sharing is metadata only: it does not need the proxy
        await api.ok("user", "POST", f"/folders/{source}/invite", {"user_ids": [EMAIL["user2"]]})
        [inv] = [
            i for i in await api.invitations("user2") if uuid.UUID(i["vfolder_id"]).hex == source
        ]
        await api.ok("user2", "POST", "/folders/invitations/accept", {"inv_id": inv["id"]})
    finally:
        storage_proxy.start()
        await storage_proxy.wait_until_answers()
        api.manager.root.storage_proxies.invalidate()
    # and the clone works once the proxy is back
    started = await api.ok("user", "POST", f"/folders/{source}/clone", {"target_name": target_name})
    events = await _follow(api, started["bgtask_id"])
    assert [name for name, _ in events][-2:] == ["bgtask_done", "server_close"], events


async def test_the_reconciler_settles_clones_nobody_follows(api: Api) -> None:
    """A copy left CLONING (its manager stopped, the proxy's report lost) is settled from the
    proxy task's stored state, or marked ERROR once older than the clone timeout."""
    import sqlalchemy as sa

    from ai.backend.manager.events.bgtask import BgtaskDoneEvent, BgtaskFailedEvent
    from ai.backend.manager.models.vfolder import vfolders
    from ai.backend.manager.repositories.vfolder import VFolderRepository
    from ai.backend.manager.repositories.vfolder_sharing import VFolderSharingRepository
    from ai.backend.manager.types import VFolderOperationStatus as S

    root = api.manager.root
    folders, sharing = VFolderRepository(root.db), VFolderSharingRepository(root.db)
    done, failed, silent, ancient, fresh = [
        await api.create("user", _name(n)) for n in ("rdone", "rfail", "rsilent", "rold", "rnew")
    ]
    tasks = {done: uuid.uuid4(), failed: uuid.uuid4(), silent: uuid.uuid4()}
    for folder in (done, failed, silent, ancient, fresh):
        await folders.transition(uuid.UUID(folder), expect=[S.READY], to=S.CLONING)
        if folder in tasks:
            await sharing.note_clone_task(uuid.UUID(folder), str(tasks[folder]))
    ages = {done: 20 * 60, failed: 20 * 60, silent: 20 * 60, ancient: 25 * 3600, fresh: 0}
    async with root.db.begin() as conn:
        for folder, seconds in ages.items():
            await conn.execute(
                sa.update(vfolders)
                .where(vfolders.c.id == uuid.UUID(folder))
                .values(status_changed=sa.func.now() - sa.text(f"interval '{seconds} seconds'"))
            )
    for event in (
        BgtaskDoneEvent(task_id=tasks[done], message="copied"),
        BgtaskFailedEvent(task_id=tasks[failed], message="disk full"),
    ):
        await root.events.broadcast_with_cache(event, source="proxy", cache_id=event.cache_id)

    assert await root.clone_reconciler.run_once() >= 3
    assert (await api.info("user", done))[1]["status"] == "ready"
    assert (await api.info("user", failed))[0] == 404
    assert (await api.info("user", ancient))[1]["status"] == "error"
    # no word from its task yet, but not old enough to give up; and one too recent to look at
    assert (await api.info("user", silent))[1]["status"] == "cloning"
    assert (await api.info("user", fresh))[1]["status"] == "cloning"


async def test_several_shares_at_once(api: Api) -> None:
    folder = await api.create("domain-admin", _name("batch"), group="default", permission="ro")
    user_uuid = "dfa9da54-4b28-432f-be29-c0d680c7a412"
    body = {
        "vfolder": folder,
        "user_perm_list": [
            {"user_id": user_uuid, "perm": "rw"},
            {"user_id": USER2_UUID, "perm": "wd"},
        ],
    }
    assert (await api.call("user", "POST", "/folders/_/sharing", body))[0] == 403
    status, _ = await api.call("domain-admin", "POST", "/folders/_/sharing", body)
    assert status == 201
    assert (await api.info("user", folder))[1]["permission"] == "rw"
    assert (await api.info("user2", folder))[1]["permission"] == "wd"
    body = {"vfolder": folder, "user_perm_list": [{"user_id": USER2_UUID, "perm": None}]}
    assert (await api.call("admin", "POST", "/folders/_/sharing", body))[0] == 201
    assert (await api.info("user2", folder))[1]["permission"] == "ro"
    ghost = {"vfolder": folder, "user_perm_list": [{"user_id": str(uuid.uuid4()), "perm": "rw"}]}
    assert (await api.call("admin", "POST", "/folders/_/sharing", ghost))[0] == 404
