"""Virtual folders end to end: a real manager, the real storage proxy (vfs on a temp dir).

Every `/folders` endpoint of the folder lifecycle and the files, each permission boundary
(owner, shared read-only / read-write, project member and non-member, domain admin,
superadmin), name and path rules, policy limits, a purge refused while a session mounts the
folder, a proxy that is down (503, nothing changed), the reconciler, and the upload/download
URLs taken by the real proxy (a TUS PATCH and a GET).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
import yarl

from ai.backend.manager.actions.vfolder import ResolveMountsAction
from ai.backend.manager.errors.base import BackendAIError
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.resource_policy import user_resource_policies
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.vfolder import vfolder_permissions, vfolders
from ai.backend.manager.services.auth.types import AuthenticatedUser
from tests.integration.conftest import RunningManager
from tests.signing import signed_headers
from tests.storage_proxy_harness import StorageProxy

pytestmark = pytest.mark.integration

PROBLEM_BASE = "https://api.backend.ai/probs/"


class Account(TypedDict):
    access_key: str
    secret_key: str


SUPERADMIN: Account = {
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
DOMAIN_ADMIN: Account = {
    "access_key": "AKIAHUKCHDEZGEXAMPLE",
    "secret_key": "cWbsM_vBB4CzTW7JdORRMx8SjGI3-wEXAMPLEKEY",
}
USER: Account = {
    "access_key": "AKIANABBDUSEREXAMPLE",
    "secret_key": "C8qnIo29EZvXkPK_MXcuAakYTy4NYrxwmCEyNPlf",
}
USER2: Account = {
    "access_key": "AKIANATWOUSEREXAMPLE",
    "secret_key": "P7oxTDdzHbEpUSs5v7r7EWj9yKstp8VpZ7SEyA-g",
}
USER_UUID = uuid.UUID("dfa9da54-4b28-432f-be29-c0d680c7a412")
USER2_UUID = uuid.UUID("009fb1a4-487c-4f6e-9b1b-228b94b1d040")
DEFAULT_PROJECT = uuid.UUID("2de2b969-1d04-48a6-af16-0bc8adb3c831")
DOMAIN_ID = uuid.UUID("b9e676dc-e23e-54c6-b350-e83fba4127e9")


def _name(prefix: str = "vf") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


class Api:
    """Signed REST calls to the manager as one of the fixture accounts."""

    def __init__(self, http: aiohttp.ClientSession, manager: RunningManager) -> None:
        self._http = http
        self._manager = manager

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        who: Account = USER,
        query: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        url = yarl.URL(self._manager.base_url + path)
        if query:
            url = url.with_query(query)
        headers = signed_headers(method, url.raw_path_qs, host=self._manager.host, **who)
        data = json.dumps(body) if body is not None else None
        async with self._http.request(method, url, headers=headers, data=data) as resp:
            text = await resp.text()
            try:
                payload = json.loads(text) if text else None
            except ValueError:
                payload = text
            return resp.status, payload

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, payload = await self.call(method, path, body, **kw)
        assert 200 <= status < 300, (status, payload)
        return payload

    async def create(self, name: str | None = None, who: Account = USER, **extra: Any) -> Any:
        body = {"name": name or _name(), "host": None, **extra}
        status, payload = await self.call("POST", "/folders", body, who=who)
        assert status == 201, payload
        return payload

    async def gql(self, query: str, variables: dict[str, Any], who: Account = USER) -> Any:
        headers = signed_headers("POST", "/admin/gql", host=self._manager.host, **who)
        payload = json.dumps({"query": query, "variables": variables})
        async with self._http.post(
            self._manager.base_url + "/admin/gql", headers=headers, data=payload
        ) as resp:
            assert resp.status == 200, await resp.text()
            result = await resp.json()
            assert not result.get("errors"), result
            return result["data"]


@pytest_asyncio.fixture
async def api(
    http: aiohttp.ClientSession, manager: RunningManager, storage_proxy: StorageProxy
) -> AsyncIterator[Api]:
    if not storage_proxy.alive():
        storage_proxy.start()
        await storage_proxy.wait_until_answers()
    manager.root.storage_proxies.invalidate()
    yield Api(http, manager)


def folder_dir(proxy: StorageProxy, quota_scope_id: str, folder_hex: str) -> Path:
    scope = uuid.UUID(quota_scope_id.partition(":")[2]).hex
    return proxy.volume_path / scope / folder_hex[0:2] / folder_hex[2:4] / folder_hex[4:]


async def _status_of(manager: RunningManager, folder_id: str) -> str | None:
    async with manager.root.db.begin() as conn:
        status = await conn.scalar(
            sa.select(vfolders.c.status).where(vfolders.c.id == uuid.UUID(folder_id))
        )
    return str(status) if status is not None else None


async def _wait_gone(path: Path) -> None:
    for _ in range(100):
        if not await asyncio.to_thread(path.exists):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} still exists")


# --- create, list, info, id, rename, options --------------------------------------------------


async def test_create_list_info_rename_and_options(api: Api, storage_proxy: StorageProxy) -> None:
    name = _name()
    created = await api.create(name, usage_mode="data", permission="ro", cloneable=True)
    assert created["name"] == name and created["host"] == storage_proxy.host
    assert created["usage_mode"] == "data" and created["cloneable"] is True
    assert created["ownership_type"] == "user" and created["user"] == str(USER_UUID)
    assert created["is_owner"] is True and created["status"] == "ready"
    assert created["quota_scope_id"] == f"user:{USER_UUID}"
    fid = created["id"]
    assert folder_dir(storage_proxy, created["quota_scope_id"], fid).is_dir()

    listed = await api.ok("GET", "/folders", {"all": False})
    assert [f["name"] for f in listed if f["id"] == fid] == [name]

    got = await api.ok("GET", "/folders/_/id", {"name": name})
    assert uuid.UUID(got["id"]).hex == fid

    info = await api.ok("GET", f"/folders/{fid}")
    for key in ("name", "id", "is_owner", "permission", "status", "numFiles", "type"):
        assert key in info
    assert info["numFiles"] == 0 and info["type"] == "user" and info["usage_mode"] == "data"
    # by name and by dashed uuid too
    assert (await api.ok("GET", f"/folders/{name}"))["id"] == fid
    assert (await api.ok("GET", f"/folders/{uuid.UUID(fid)}"))["id"] == fid

    status, problem = await api.call("POST", "/folders", {"name": name})
    assert status == 409 and problem["type"] == PROBLEM_BASE + "vfolder-already-exists"

    new_name = _name("renamed")
    await api.ok("POST", f"/folders/{fid}/rename", {"new_name": new_name})
    assert (await api.ok("GET", f"/folders/{fid}"))["name"] == new_name
    other = await api.create()
    status, _ = await api.call("POST", f"/folders/{other['id']}/rename", {"new_name": new_name})
    assert status == 409

    await api.ok("POST", f"/folders/{fid}/update-options", {"cloneable": False})
    assert (await api.ok("GET", f"/folders/{fid}"))["cloneable"] is False

    types = await api.ok("GET", "/folders/_/allowed_types")
    assert set(types) == {"user", "group"}


@pytest.mark.parametrize(
    "bad", [".", "..", "a/b", "/abs", "", "   ", "x" * 65, ".bashrc", "a\\b", "tab\there"]
)
async def test_folder_name_rules(api: Api, bad: str) -> None:
    status, problem = await api.call("POST", "/folders", {"name": bad})
    assert status == 400, problem
    fine = await api.create()
    status, _ = await api.call("POST", f"/folders/{fine['id']}/rename", {"new_name": bad})
    assert status == 400


async def test_dot_names_refused_for_project_folders(api: Api) -> None:
    status, _ = await api.call("POST", "/folders", {"name": ".hidden", "group": "default"})
    assert status == 400
    assert (await api.create(".hidden-" + secrets.token_hex(3)))["name"].startswith(".hidden")


async def test_host_must_allow_create(api: Api, manager: RunningManager) -> None:
    status, _ = await api.call("POST", "/folders", {"name": _name(), "host": "local:volume9"})
    assert status == 403
    # the domain, projects and keypair policy all drop create-vfolder on the host
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(groups)
            .where(groups.c.id == DEFAULT_PROJECT)
            .values(allowed_vfolder_hosts={"local:volume1": ["upload-file"]})
        )
    try:
        status, problem = await api.call(
            "POST", "/folders", {"name": _name(), "group": str(DEFAULT_PROJECT)}
        )
        # the domain and the keypair policy still grant it: the union allows it
        assert status == 201, problem
    finally:
        async with manager.root.db.begin() as conn:
            await conn.execute(
                sa.update(groups)
                .where(groups.c.id == DEFAULT_PROJECT)
                .values(
                    allowed_vfolder_hosts={
                        "local:volume1": [
                            "create-vfolder",
                            "modify-vfolder",
                            "delete-vfolder",
                            "mount-in-session",
                            "upload-file",
                            "download-file",
                            "invite-others",
                            "set-user-specific-permission",
                        ]
                    }
                )
            )


async def test_folder_count_and_quota_limits(api: Api, manager: RunningManager) -> None:
    async with manager.root.db.begin() as conn:
        held = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(vfolders)
            .where(
                vfolders.c.user == USER2_UUID,
                vfolders.c.status.not_in(["delete-complete", "delete-error"]),
            )
        )
        await conn.execute(
            sa.update(user_resource_policies)
            .where(user_resource_policies.c.name == "default")
            .values(max_vfolder_count=int(held or 0) + 1, max_quota_scope_size=1000)
        )
    try:
        await api.create(who=USER2)
        status, problem = await api.call("POST", "/folders", {"name": _name()}, who=USER2)
        assert status == 400 and problem["type"] == PROBLEM_BASE + "vfolder-count-limit-exceeded"
        # quota over the policy's maximum
        status, _ = await api.call("POST", "/folders", {"name": _name(), "quota": 2000})
        assert status == 400
    finally:
        async with manager.root.db.begin() as conn:
            await conn.execute(
                sa.update(user_resource_policies)
                .where(user_resource_policies.c.name == "default")
                .values(max_vfolder_count=0, max_quota_scope_size=-1)
            )


# --- files, upload and download through the real proxy ---------------------------------------


async def test_files_and_real_upload_download(
    api: Api, http: aiohttp.ClientSession, storage_proxy: StorageProxy
) -> None:
    folder = await api.create()
    fid = folder["id"]
    result = await api.ok("POST", f"/folders/{fid}/mkdir", {"path": ["a/b", "c"], "parents": True})
    assert sorted(r["item"] for r in result["results"]["success"]) == ["a/b", "c"]
    assert result["results"]["failed"] == []
    status, again = await api.call(
        "POST", f"/folders/{fid}/mkdir", {"path": ["c", "d"], "exist_ok": False}
    )
    assert status == 207
    assert [r["item"] for r in again["results"]["failed"]] == ["c"]

    payload = secrets.token_bytes(100_000)
    ticket = await api.ok(
        "POST", f"/folders/{fid}/request-upload", {"path": "a/data.bin", "size": len(payload)}
    )
    assert ticket["url"] == storage_proxy.client_api.rstrip("/") + "/upload"
    async with http.patch(
        ticket["url"],
        params={"token": ticket["token"]},
        data=payload,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    ) as resp:
        assert resp.status == 204, await resp.text()
        assert int(resp.headers["Upload-Offset"]) == len(payload)

    listing = await api.ok("GET", f"/folders/{fid}/files", query={"path": "a"})
    items = {i["name"]: i for i in listing["items"]}
    assert items["data.bin"]["size"] == len(payload) and items["b"]["type"] == "DIRECTORY"
    datetime.fromisoformat(items["data.bin"]["modified"])
    assert (await api.ok("GET", f"/folders/{fid}"))["numFiles"] >= 1

    ticket = await api.ok("POST", f"/folders/{fid}/request-download", {"path": "a/data.bin"})
    assert ticket["url"] == storage_proxy.client_api.rstrip("/") + "/download"
    async with http.get(ticket["url"], params={"token": ticket["token"]}, ssl=False) as resp:
        assert resp.status == 200
        assert int(resp.headers["Content-Length"]) == len(payload)
        assert await resp.read() == payload

    await api.ok(
        "POST", f"/folders/{fid}/rename-file", {"target_path": "a/data.bin", "new_name": "x.bin"}
    )
    await api.ok("POST", f"/folders/{fid}/move-file", {"src": "a/x.bin", "dst": "c/x.bin"})
    mount = folder_dir(storage_proxy, folder["quota_scope_id"], fid)
    assert (mount / "c" / "x.bin").read_bytes() == payload
    await api.ok("DELETE", f"/folders/{fid}/delete-files", {"files": ["c"], "recursive": True})
    assert not (mount / "c").exists()


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../x", "..", "a/.."])
async def test_path_traversal_refused_before_the_proxy(api: Api, bad: str) -> None:
    fid = (await api.create())["id"]
    cases: list[tuple[str, str, Any, dict[str, str] | None]] = [
        ("POST", "mkdir", {"path": [bad]}, None),
        ("POST", "request-upload", {"path": bad, "size": 1}, None),
        ("POST", "request-download", {"path": bad}, None),
        ("POST", "rename-file", {"target_path": bad, "new_name": "y"}, None),
        ("POST", "move-file", {"src": "ok", "dst": bad}, None),
        ("DELETE", "delete-files", {"files": [bad]}, None),
        ("GET", "files", None, {"path": bad}),
    ]
    for method, op, body, query in cases:
        status, problem = await api.call(method, f"/folders/{fid}/{op}", body, query=query)
        assert status == 400, (op, problem)
    status, _ = await api.call(
        "POST", f"/folders/{fid}/rename-file", {"target_path": "x", "new_name": "../y"}
    )
    assert status == 400


# --- permission boundaries --------------------------------------------------------------------


async def test_other_users_folder_is_invisible(api: Api) -> None:
    mine = await api.create()
    fid = mine["id"]
    for method, path, body in [
        ("GET", f"/folders/{fid}", None),
        ("GET", f"/folders/{fid}/files", None),
        ("POST", f"/folders/{fid}/rename", {"new_name": _name()}),
        ("POST", f"/folders/{fid}/mkdir", {"path": ["x"]}),
        ("POST", f"/folders/{fid}/request-download", {"path": "x"}),
        ("DELETE", "/folders", {"id": fid}),
        ("POST", "/folders/restore-from-trash-bin", {"id": fid}),
        ("POST", "/folders/delete-from-trash-bin", {"id": fid}),
        ("DELETE", f"/folders/{fid}/force", None),
    ]:
        status, _ = await api.call(method, path, body, who=USER2)
        assert status == 404, (method, path, status)
    status, _ = await api.call("GET", "/folders/_/id", {"name": mine["name"]}, who=USER2)
    assert status == 404
    listed = await api.ok("GET", "/folders", {"all": True}, who=USER2)
    assert fid not in {f["id"] for f in listed}
    # a plain user may not purge, even their own
    status, _ = await api.call("POST", "/folders/purge", {"id": fid})
    assert status in (403, 404)


async def test_shared_read_only_then_read_write(api: Api, manager: RunningManager) -> None:
    mine = await api.create()
    fid = mine["id"]
    await api.ok("POST", f"/folders/{fid}/mkdir", {"path": ["docs"]})
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.insert(vfolder_permissions).values(
                vfolder=uuid.UUID(fid), user=USER2_UUID, permission="ro"
            )
        )
    info = await api.ok("GET", f"/folders/{fid}", who=USER2)
    assert info["permission"] == "ro" and info["is_owner"] is False
    assert (await api.ok("GET", "/folders/_/id", {"name": mine["name"]}, who=USER2))["id"]
    names = {i["name"] for i in (await api.ok("GET", f"/folders/{fid}/files", who=USER2))["items"]}
    assert "docs" in names
    await api.ok("POST", f"/folders/{fid}/request-download", {"path": "docs"}, who=USER2)
    listed = await api.ok("GET", "/folders", who=USER2)
    assert fid in {f["id"] for f in listed}
    for method, op, body in [
        ("POST", "mkdir", {"path": ["new"]}),
        ("POST", "request-upload", {"path": "f.txt", "size": 3}),
        ("POST", "rename-file", {"target_path": "docs", "new_name": "d2"}),
        ("DELETE", "delete-files", {"files": ["docs"], "recursive": True}),
        ("POST", "rename", {"new_name": _name()}),
        ("POST", "update-options", {"cloneable": True}),
    ]:
        status, problem = await api.call(method, f"/folders/{fid}/{op}", body, who=USER2)
        assert status == 403, (op, problem)
    status, _ = await api.call("DELETE", "/folders", {"id": fid}, who=USER2)
    assert status == 403

    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(vfolder_permissions)
            .where(vfolder_permissions.c.vfolder == uuid.UUID(fid))
            .values(permission="rw")
        )
    await api.ok("POST", f"/folders/{fid}/mkdir", {"path": ["new"]}, who=USER2)
    await api.ok("POST", f"/folders/{fid}/request-upload", {"path": "f.txt", "size": 3}, who=USER2)
    # still not the owner: no rename, no delete
    status, _ = await api.call("POST", f"/folders/{fid}/rename", {"new_name": _name()}, who=USER2)
    assert status == 403

    data = await api.gql(
        "query($limit:Int!,$offset:Int!){ vfolder_invited_list(limit:$limit, offset:$offset)"
        " { items { id name permission } total_count } }",
        {"limit": 100, "offset": 0},
        who=USER2,
    )
    shared = data["vfolder_invited_list"]
    assert str(uuid.UUID(fid)) in {i["id"] for i in shared["items"]}
    assert shared["total_count"] == len(shared["items"])


@pytest_asyncio.fixture
async def outsider_project(manager: RunningManager) -> AsyncIterator[uuid.UUID]:
    """A project in the default domain the regular users do not belong to (the superadmin
    does)."""
    project = uuid.uuid4()
    admin = uuid.UUID("f38dea23-50fa-42a0-b5ae-338f5f4693f4")
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.insert(groups).values(
                id=project,
                name=_name("proj"),
                domain_name="default",
                resource_policy="default",
                total_resource_slots={},
                allowed_vfolder_hosts={"local:volume1": ["create-vfolder", "delete-vfolder"]},
            )
        )
        await conn.execute(
            sa.insert(association_groups_users).values(user_id=admin, group_id=project)
        )
    yield project


async def test_project_folders_members_and_non_members(
    api: Api, outsider_project: uuid.UUID
) -> None:
    shared = await api.create(group="default")
    assert shared["ownership_type"] == "group" and shared["group"] == str(DEFAULT_PROJECT)
    assert shared["quota_scope_id"] == f"project:{DEFAULT_PROJECT}"
    # another member uses it with the folder's permission (rw), without owning it
    info = await api.ok("GET", f"/folders/{shared['id']}", who=USER2)
    assert info["permission"] == "rw" and info["is_owner"] is False
    await api.ok("POST", f"/folders/{shared['id']}/mkdir", {"path": ["m"]}, who=USER2)
    status, _ = await api.call("DELETE", "/folders", {"id": shared["id"]}, who=USER2)
    assert status == 403

    # a project the user is not in: no folder may be created there, none of its folders seen
    status, _ = await api.call(
        "POST", "/folders", {"name": _name(), "group": str(outsider_project)}
    )
    assert status == 403
    theirs = await api.create(group=str(outsider_project), who=SUPERADMIN)
    status, _ = await api.call("GET", f"/folders/{theirs['id']}")
    assert status == 404
    status, _ = await api.call("GET", "/folders/_/id", {"name": theirs["name"]})
    assert status == 404

    data = await api.gql(
        "query($limit:Int!,$offset:Int!){ vfolder_project_list(limit:$limit, offset:$offset)"
        " { items { id ownership_type } total_count } }",
        {"limit": 100, "offset": 0},
    )
    ids = {i["id"] for i in data["vfolder_project_list"]["items"]}
    assert str(uuid.UUID(shared["id"])) in ids and str(uuid.UUID(theirs["id"])) not in ids


async def test_admins(api: Api) -> None:
    mine = await api.create()
    # the domain admin manages folders of their domain
    info = await api.ok("GET", f"/folders/{mine['id']}", who=DOMAIN_ADMIN)
    assert info["is_owner"] is True
    everything = await api.ok("GET", "/folders", {"all": True}, who=DOMAIN_ADMIN)
    assert mine["id"] in {f["id"] for f in everything}
    own_only = await api.ok("GET", "/folders", {"all": False}, who=DOMAIN_ADMIN)
    assert mine["id"] not in {f["id"] for f in own_only}
    await api.ok("DELETE", "/folders", {"id": mine["id"]}, who=DOMAIN_ADMIN)
    await api.ok("POST", "/folders/purge", {"id": mine["id"]}, who=SUPERADMIN)
    status, _ = await api.call("GET", f"/folders/{mine['id']}", who=SUPERADMIN)
    assert status == 404


# --- trash, restore, delete, purge; a mounted folder ---------------------------------------------


async def test_trash_restore_delete_purge(
    api: Api, manager: RunningManager, storage_proxy: StorageProxy
) -> None:
    folder = await api.create()
    fid, name = folder["id"], folder["name"]
    path = folder_dir(storage_proxy, folder["quota_scope_id"], fid)
    status, _ = await api.call("POST", "/folders/restore-from-trash-bin", {"id": fid})
    assert status == 409  # not in the trash
    status, _ = await api.call("POST", "/folders/delete-from-trash-bin", {"id": fid})
    assert status == 409

    status, _ = await api.call("DELETE", "/folders", {"id": fid})
    assert status == 204
    info = await api.ok("GET", f"/folders/{fid}")
    assert info["status"] == "delete-pending"
    # a trashed folder still resolves by name (the CLI restores by name)
    assert uuid.UUID((await api.ok("GET", "/folders/_/id", {"name": name}))["id"]).hex == fid
    assert fid not in {f["id"] for f in await api.ok("GET", "/folders")}
    status, _ = await api.call("POST", f"/folders/{fid}/mkdir", {"path": ["x"]})
    assert status == 409

    await api.ok("POST", "/folders/restore-from-trash-bin", {"id": fid})
    assert (await api.ok("GET", f"/folders/{fid}"))["status"] == "ready"
    await api.ok("DELETE", "/folders", {"id": fid})
    await api.ok("POST", "/folders/delete-from-trash-bin", {"id": fid})
    assert await _status_of(manager, fid) == "delete-complete"
    await _wait_gone(path)
    # the name is free again
    again = await api.create(name)
    assert again["id"] != fid
    await api.ok("POST", "/folders/purge", {"id": fid}, who=SUPERADMIN)
    assert await _status_of(manager, fid) is None


@pytest_asyncio.fixture
async def mounting_session(manager: RunningManager) -> AsyncIterator[Any]:
    """Insert a RUNNING session mounting the folders given to `mount(...)`; ended after."""
    made: list[uuid.UUID] = []

    async def mount(folder: dict[str, Any]) -> uuid.UUID:
        vfid = f"{folder['quota_scope_id']}/{folder['id']}"
        async with manager.root.db.begin() as conn:
            sgroup = (
                await conn.execute(
                    sa.select(scaling_groups.c.id, scaling_groups.c.name).where(
                        scaling_groups.c.name == "default"
                    )
                )
            ).one()
            session_id = (
                await conn.execute(
                    sa.insert(sessions)
                    .values(
                        name=_name("mounter"),
                        resource_group_id=sgroup.id,
                        scaling_group_name=sgroup.name,
                        domain_name="default",
                        domain_id=DOMAIN_ID,
                        group_id=DEFAULT_PROJECT,
                        user_uuid=USER_UUID,
                        access_key=USER["access_key"],
                        status="RUNNING",
                        vfolder_mounts=[
                            {
                                "name": folder["name"],
                                "vfid": vfid,
                                "vfsubpath": ".",
                                "host_path": "/x",
                                "kernel_path": f"/home/work/{folder['name']}",
                                "mount_perm": "rw",
                                "usage_mode": "general",
                            }
                        ],
                    )
                    .returning(sessions.c.id)
                )
            ).scalar_one()
        made.append(session_id)
        return session_id

    yield mount
    async with manager.root.db.begin() as conn:
        await conn.execute(sa.delete(sessions).where(sessions.c.id.in_(made)))


async def test_mounted_folder_cannot_be_deleted_or_purged(
    api: Api, manager: RunningManager, storage_proxy: StorageProxy, mounting_session: Any
) -> None:
    folder = await api.create()
    fid = folder["id"]
    session_id = await mounting_session(folder)
    await api.ok("DELETE", "/folders", {"id": fid})
    status, problem = await api.call("POST", "/folders/delete-from-trash-bin", {"id": fid})
    assert status == 409 and problem["type"] == PROBLEM_BASE + "vfolder-in-use"
    status, problem = await api.call("POST", "/folders/purge", {"id": fid}, who=SUPERADMIN)
    assert status == 409 and problem["type"] == PROBLEM_BASE + "vfolder-in-use"
    status, _ = await api.call("DELETE", f"/folders/{fid}/force")
    assert status == 409
    assert await _status_of(manager, fid) == "delete-pending"
    assert folder_dir(storage_proxy, folder["quota_scope_id"], fid).is_dir()

    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(sessions).where(sessions.c.id == session_id).values(status="TERMINATED")
        )
    await api.ok("POST", "/folders/purge", {"id": fid}, who=SUPERADMIN)
    assert await _status_of(manager, fid) is None
    await _wait_gone(folder_dir(storage_proxy, folder["quota_scope_id"], fid))


async def test_force_delete(api: Api, manager: RunningManager, storage_proxy: StorageProxy) -> None:
    folder = await api.create()
    await api.ok("DELETE", f"/folders/{folder['id']}/force")
    assert await _status_of(manager, folder["id"]) == "delete-complete"
    await _wait_gone(folder_dir(storage_proxy, folder["quota_scope_id"], folder["id"]))


# --- a proxy that is down; what a crash leaves ---------------------------------------------------


async def test_proxy_down_is_503_and_nothing_changes(
    api: Api, manager: RunningManager, storage_proxy: StorageProxy
) -> None:
    kept = await api.create()
    await api.ok("POST", f"/folders/{kept['id']}/mkdir", {"path": ["keep"]})
    trashed = await api.create()
    await api.ok("DELETE", "/folders", {"id": trashed["id"]})
    await storage_proxy.astop()
    try:
        name = _name()
        status, problem = await api.call("POST", "/folders", {"name": name})
        assert status == 503, problem
        async with manager.root.db.begin() as conn:
            left = await conn.scalar(
                sa.select(sa.func.count()).select_from(vfolders).where(vfolders.c.name == name)
            )
        assert left == 0

        status, _ = await api.call("POST", "/folders/delete-from-trash-bin", {"id": trashed["id"]})
        assert status == 503
        assert await _status_of(manager, trashed["id"]) == "delete-pending"
        status, _ = await api.call("POST", "/folders/purge", {"id": trashed["id"]}, who=SUPERADMIN)
        assert status == 503
        assert await _status_of(manager, trashed["id"]) == "delete-pending"

        for method, op, body in [
            ("POST", "mkdir", {"path": ["y"]}),
            ("POST", "request-upload", {"path": "f", "size": 1}),
            ("POST", "request-download", {"path": "keep"}),
            ("GET", "files", None),
        ]:
            status, _ = await api.call(method, f"/folders/{kept['id']}/{op}", body)
            assert status == 503, op
        # metadata still answers without the proxy
        info = await api.ok("GET", f"/folders/{kept['id']}")
        assert info["status"] == "ready"
    finally:
        storage_proxy.start()
        await storage_proxy.wait_until_answers()
        manager.root.storage_proxies.invalidate()
    await api.ok("POST", "/folders/delete-from-trash-bin", {"id": trashed["id"]})
    names = {i["name"] for i in (await api.ok("GET", f"/folders/{kept['id']}/files"))["items"]}
    assert "keep" in names


async def test_reconciler_finishes_what_a_crash_left(
    api: Api, manager: RunningManager, storage_proxy: StorageProxy
) -> None:
    half_made = await api.create()
    half_deleted = await api.create()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(vfolders)
            .where(vfolders.c.id == uuid.UUID(half_made["id"]))
            .values(status="creating", status_changed=long_ago)
        )
        await conn.execute(
            sa.update(vfolders)
            .where(vfolders.c.id == uuid.UUID(half_deleted["id"]))
            .values(status="delete-ongoing", status_changed=long_ago)
        )
    fresh = await api.create()
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(vfolders)
            .where(vfolders.c.id == uuid.UUID(fresh["id"]))
            .values(status="creating")
        )
    assert await manager.root.vfolder_reconciler.run_once() >= 2
    assert await _status_of(manager, half_made["id"]) is None
    assert await _status_of(manager, half_deleted["id"]) == "delete-complete"
    # a creation that may still be in flight is left alone
    assert await _status_of(manager, fresh["id"]) == "creating"
    for folder in (half_made, half_deleted):
        await _wait_gone(folder_dir(storage_proxy, folder["quota_scope_id"], folder["id"]))


# --- GraphQL --------------------------------------------------------------------------------------

LIST = (
    "query($limit:Int!,$offset:Int!,$group_id:UUID,$filter:String,$order:String){"
    " vfolder_list(limit:$limit, offset:$offset, group_id:$group_id, filter:$filter,"
    " order:$order) { items { id host name status created_at creator group permission"
    " ownership_type user usage_mode max_files max_size last_used num_files cur_size"
    " cloneable unmanaged_path } total_count } }"
)


async def test_gql_vfolder_list_pages_and_scopes(api: Api) -> None:
    for _ in range(3):
        await api.create(who=USER2)
    first = (await api.gql(LIST, {"limit": 2, "offset": 0}, who=USER2))["vfolder_list"]
    total = first["total_count"]
    assert total >= 3 and len(first["items"]) == 2
    seen = [i["id"] for i in first["items"]]
    offset = 2
    while offset < total:
        page = (await api.gql(LIST, {"limit": 2, "offset": offset}, who=USER2))["vfolder_list"]
        assert page["total_count"] == total
        seen += [i["id"] for i in page["items"]]
        offset += len(page["items"])
    assert len(seen) == len(set(seen)) == total
    # the superadmin sees at least as many
    everything = (await api.gql(LIST, {"limit": 1, "offset": 0}, who=SUPERADMIN))["vfolder_list"]
    assert everything["total_count"] >= total

    one = seen[0]
    node = await api.gql(
        "query($id:String!){ vfolder(id:$id) { id name permission } }", {"id": one}, who=USER2
    )
    assert node["vfolder"]["id"] == one
    hidden = await api.gql(
        "query($id:String!){ vfolder(id:$id) { id } }",
        {"id": str(uuid.UUID((await api.create())["id"]))},
        who=USER2,
    )
    assert hidden["vfolder"] is None


async def test_gql_list_statement_count_is_constant(api: Api, manager: RunningManager) -> None:
    counted: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # the list's own statements (an auth lookup on a cold keypair cache is not the list's)
        if "vfolders" in statement:
            counted.append(statement)

    engine = manager.root.db.sync_engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        await api.gql(LIST, {"limit": 1, "offset": 0}, who=SUPERADMIN)
        small = len(counted)
        counted.clear()
        await api.gql(LIST, {"limit": 100, "offset": 0}, who=SUPERADMIN)
        large = len(counted)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert large == small


# --- mounts, for session creation -----------------------------------------------------------------


async def test_resolve_mounts_for_session_creation(
    api: Api, manager: RunningManager, storage_proxy: StorageProxy
) -> None:
    def as_user(user_uuid: uuid.UUID, email: str, access_key: str) -> AuthenticatedUser:
        return AuthenticatedUser(
            access_key=access_key,
            is_admin=False,
            resource_policy="default",
            rate_limit=30000,
            user_uuid=user_uuid,
            email=email,
            role="user",
            domain_name="default",
        )

    owner = as_user(USER_UUID, "user@lablup.com", USER["access_key"])
    other = as_user(USER2_UUID, "user2@lablup.com", USER2["access_key"])
    own = await api.create()
    project = await api.create(group="default", permission="ro")
    resolve = manager.root.processors.vfolder.resolve_mounts
    mounts = await resolve.run(
        ResolveMountsAction(requester=owner, names=[own["name"], project["id"]])
    )
    assert [m.name for m in mounts] == [own["name"], project["name"]]
    assert mounts[0].permission == "wd" and mounts[1].permission == "ro"
    assert mounts[0].vfid == f"{own['quota_scope_id']}/{own['id']}"
    assert Path(mounts[0].host_path) == folder_dir(storage_proxy, own["quota_scope_id"], own["id"])
    assert mounts[1].host == storage_proxy.host

    with pytest.raises(BackendAIError) as refused:
        await resolve.run(ResolveMountsAction(requester=other, names=[own["name"]]))
    assert refused.value.status_code == 404
    await api.ok("DELETE", "/folders", {"id": own["id"]})
    with pytest.raises(BackendAIError) as trashed:
        await resolve.run(ResolveMountsAction(requester=owner, names=[own["id"]]))
    assert trashed.value.status_code == 409
