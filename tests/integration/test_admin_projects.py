"""Domains, projects (groups) and scaling groups over signed `POST /admin/gql`, and
`GET /scaling-groups`: every operation, every role boundary, and the cascade refusals."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypedDict
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.models.agent import agents
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.scaling_group import (
    scaling_groups,
    sgroups_for_domains,
    sgroups_for_groups,
    sgroups_for_keypairs,
)
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import vfolders
from ai.backend.manager.types import SessionStatus, VFolderOwnershipType
from tests.integration.conftest import RunningManager
from tests.signing import signed_headers

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
MONITOR: Account = {
    "access_key": "AKIANAMONITOREXAMPLE",
    "secret_key": "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",
}
USER_UUID = uuid.UUID("dfa9da54-4b28-432f-be29-c0d680c7a412")
USER2_UUID = uuid.UUID("009fb1a4-487c-4f6e-9b1b-228b94b1d040")
DEFAULT_PROJECT = uuid.UUID("2de2b969-1d04-48a6-af16-0bc8adb3c831")

DOMAIN_FIELDS = (
    "name description is_active created_at total_resource_slots allowed_vfolder_hosts"
    " allowed_docker_registries integration_id"
)
GROUP_FIELDS = (
    "id name description is_active created_at domain_name total_resource_slots"
    " allowed_vfolder_hosts integration_id"
)
SG_FIELDS = (
    "name description is_active is_public created_at driver driver_opts scheduler"
    " scheduler_opts use_host_network wsproxy_addr wsproxy_api_token"
)

CREATE_DOMAIN = (
    "mutation($name: String!, $input: DomainInput!) {"
    " create_domain(name: $name, props: $input) { ok msg domain { name } } }"
)
MODIFY_DOMAIN = (
    "mutation($name: String!, $input: ModifyDomainInput!) {"
    " modify_domain(name: $name, props: $input) { ok msg } }"
)
DELETE_DOMAIN = "mutation($name: String!) { delete_domain(name: $name) { ok msg } }"
PURGE_DOMAIN = "mutation($name: String!) { purge_domain(name: $name) { ok msg } }"
CREATE_GROUP = (
    "mutation($name: String!, $input: GroupInput!) {"
    " create_group(name: $name, props: $input) { ok msg group { id domain_name name } } }"
)
MODIFY_GROUP = (
    "mutation($gid: UUID!, $input: ModifyGroupInput!) {"
    " modify_group(gid: $gid, props: $input) { ok msg } }"
)
DELETE_GROUP = "mutation($gid: UUID!) { delete_group(gid: $gid) { ok msg } }"
PURGE_GROUP = "mutation($gid: UUID!) { purge_group(gid: $gid) { ok msg } }"
CREATE_SG = (
    "mutation($name: String!, $input: CreateScalingGroupInput!) {"
    " create_scaling_group(name: $name, props: $input) { ok msg scaling_group { name } } }"
)
MODIFY_SG = (
    "mutation($name: String!, $input: ModifyScalingGroupInput!) {"
    " modify_scaling_group(name: $name, props: $input) { ok msg } }"
)
DELETE_SG = "mutation($name: String!) { delete_scaling_group(name: $name) { ok msg } }"
ASSOC_DOMAIN = (
    "mutation($scaling_group: String!, $domain: String!) {"
    " associate_scaling_group_with_domain(scaling_group: $scaling_group, domain: $domain)"
    " { ok msg } }"
)
DISSOC_DOMAIN = (
    "mutation($scaling_group: String!, $domain: String!) {"
    " disassociate_scaling_group_with_domain(scaling_group: $scaling_group, domain: $domain)"
    " { ok msg } }"
)
DISSOC_ALL_DOMAIN = (
    "mutation($domain: String!) {"
    " disassociate_all_scaling_groups_with_domain(domain: $domain) { ok msg } }"
)
ASSOC_GROUP = (
    "mutation($scaling_group: String!, $user_group: UUID!) {"
    " associate_scaling_group_with_user_group(scaling_group: $scaling_group,"
    " user_group: $user_group) { ok msg } }"
)
DISSOC_GROUP = (
    "mutation($scaling_group: String!, $user_group: String!) {"
    " disassociate_scaling_group_with_user_group(scaling_group: $scaling_group,"
    " user_group: $user_group) { ok msg } }"
)
DISSOC_ALL_GROUP = (
    "mutation($group_id: UUID!) {"
    " disassociate_all_scaling_groups_with_group(user_group: $group_id) { ok msg } }"
)
ASSOC_KEYPAIR = (
    "mutation($scaling_group: String!, $access_key: String!) {"
    " associate_scaling_group_with_keypair(scaling_group: $scaling_group,"
    " access_key: $access_key) { ok msg } }"
)
DISSOC_KEYPAIR = (
    "mutation($scaling_group: String!, $access_key: String!) {"
    " disassociate_scaling_group_with_keypair(scaling_group: $scaling_group,"
    " access_key: $access_key) { ok msg } }"
)


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


class Gql:
    """Signed GraphQL calls as one of the fixture accounts."""

    def __init__(self, http: aiohttp.ClientSession, manager: RunningManager) -> None:
        self._http = http
        self._manager = manager

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, who: Account = SUPERADMIN
    ) -> dict[str, Any]:
        headers = signed_headers("POST", "/admin/gql", host=self._manager.host, **who)
        payload = json.dumps({"query": query, "variables": variables or {}})
        async with self._http.post(
            self._manager.base_url + "/admin/gql", headers=headers, data=payload
        ) as resp:
            assert resp.status == 200, await resp.text()
            result: dict[str, Any] = await resp.json()
            return result

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, who: Account = SUPERADMIN
    ) -> dict[str, Any]:
        result = await self.raw(query, variables, who)
        assert "errors" not in result, result["errors"]
        data: dict[str, Any] = result["data"]
        return data

    async def mutate(
        self, query: str, variables: dict[str, Any] | None = None, who: Account = SUPERADMIN
    ) -> dict[str, Any]:
        """The single root field's `{ok, msg, ...}` of a mutation."""
        data = await self.data(query, variables, who)
        (payload,) = data.values()
        assert isinstance(payload, dict)
        return payload

    async def refused(
        self, query: str, variables: dict[str, Any] | None = None, who: Account = USER
    ) -> str:
        """The message of the GraphQL error a refused operation answers with."""
        result = await self.raw(query, variables, who)
        errors = result.get("errors")
        assert errors, f"expected a refusal, got {result}"
        message: str = errors[0]["message"]
        return message

    # --- fixtures built through the API ---------------------------------------------------------

    async def create_domain(self, name: str | None = None, **props: Any) -> str:
        name = name or _name("dom")
        out = await self.mutate(CREATE_DOMAIN, {"name": name, "input": props})
        assert out["ok"] is True, out
        return name

    async def create_group(self, domain: str = "default", name: str | None = None) -> uuid.UUID:
        name = name or _name("proj")
        out = await self.mutate(
            CREATE_GROUP, {"name": name, "input": {"domain_name": domain, "description": "t"}}
        )
        assert out["ok"] is True, out
        return uuid.UUID(out["group"]["id"])

    async def create_sg(self, name: str | None = None, **props: Any) -> str:
        name = name or _name("sg")
        props.setdefault("driver", "static")
        props.setdefault("scheduler", "fifo")
        out = await self.mutate(CREATE_SG, {"name": name, "input": props})
        assert out["ok"] is True, out
        return name


@pytest.fixture
def gql(http: aiohttp.ClientSession, manager: RunningManager) -> Gql:
    return Gql(http, manager)


async def _rest_available(
    http: aiohttp.ClientSession, manager: RunningManager, group: str, who: Account
) -> tuple[int, Any]:
    path = "/scaling-groups?" + urlencode({"group": group}) if group else "/scaling-groups"
    headers = signed_headers("GET", path, host=manager.host, content_type="text/plain", **who)
    async with http.get(manager.base_url + path, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


@pytest_asyncio.fixture
async def db(db_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    yield db_engine


async def _ids(db: AsyncEngine, domain: str, sg: str | None = None) -> dict[str, uuid.UUID]:
    async with db.connect() as conn:
        ids = {
            "domain": (
                await conn.execute(sa.select(domains.c.id).where(domains.c.name == domain))
            ).scalar_one()
        }
        if sg is not None:
            ids["sg"] = (
                await conn.execute(
                    sa.select(scaling_groups.c.id).where(scaling_groups.c.name == sg)
                )
            ).scalar_one()
    return ids


async def _insert_session(
    db: AsyncEngine,
    *,
    domain: str,
    group_id: uuid.UUID,
    sg: str = "default",
    status: SessionStatus = SessionStatus.RUNNING,
) -> uuid.UUID:
    ids = await _ids(db, domain, sg)
    async with db.begin() as conn:
        session_id: uuid.UUID = (
            await conn.execute(
                sa.insert(sessions)
                .values(
                    name=_name("sess"),
                    domain_name=domain,
                    domain_id=ids["domain"],
                    group_id=group_id,
                    user_uuid=USER_UUID,
                    access_key=USER["access_key"],
                    resource_group_id=ids["sg"],
                    scaling_group_name=sg,
                    status=status,
                )
                .returning(sessions.c.id)
            )
        ).scalar_one()
    return session_id


async def _set_session_status(
    db: AsyncEngine, session_id: uuid.UUID, status: SessionStatus
) -> None:
    async with db.begin() as conn:
        await conn.execute(
            sa.update(sessions).where(sessions.c.id == session_id).values(status=status)
        )


async def _count(db: AsyncEngine, table: sa.Table, *conditions: sa.ColumnElement[bool]) -> int:
    async with db.connect() as conn:
        query = sa.select(sa.func.count()).select_from(table).where(*conditions)
        return int((await conn.execute(query)).scalar_one())


# === domains ====================================================================================


async def test_domain_lifecycle_as_superadmin(gql: Gql, db: AsyncEngine) -> None:
    name = _name("dom")
    created = await gql.mutate(
        CREATE_DOMAIN,
        {
            "name": name,
            "input": {
                "description": "first",
                "is_active": True,
                "total_resource_slots": json.dumps({"cpu": "4", "mem": "8g"}),
                "allowed_vfolder_hosts": json.dumps({"local:volume1": ["create-vfolder"]}),
                "allowed_docker_registries": ["cr.backend.ai"],
            },
        },
    )
    assert created == {"ok": True, "msg": "success", "domain": {"name": name}}

    listed = (await gql.data(f"query {{ domains {{ {DOMAIN_FIELDS} }} }}"))["domains"]
    assert name in [d["name"] for d in listed]
    assert "default" in [d["name"] for d in listed]

    info = (
        await gql.data(
            f"query($name: String) {{ domain(name: $name) {{ {DOMAIN_FIELDS} }} }}", {"name": name}
        )
    )["domain"]
    assert info["description"] == "first"
    assert info["is_active"] is True
    assert json.loads(info["total_resource_slots"]) == {"cpu": "4", "mem": "8589934592"}
    assert json.loads(info["allowed_vfolder_hosts"]) == {"local:volume1": ["create-vfolder"]}
    assert info["allowed_docker_registries"] == ["cr.backend.ai"]
    assert info["created_at"]

    modified = await gql.mutate(
        MODIFY_DOMAIN,
        {"name": name, "input": {"description": "second", "total_resource_slots": "{}"}},
    )
    assert modified == {"ok": True, "msg": "success"}
    info = (
        await gql.data(
            "query($name: String) { domain(name: $name) { description total_resource_slots } }",
            {"name": name},
        )
    )["domain"]
    assert info == {"description": "second", "total_resource_slots": "{}"}

    assert (await gql.mutate(DELETE_DOMAIN, {"name": name}))["ok"] is True
    info = (await gql.data("query($n: String) { domain(name: $n) { is_active } }", {"n": name}))[
        "domain"
    ]
    assert info == {"is_active": False}
    inactive = (await gql.data("query { domains(is_active: false) { name } }"))["domains"]
    assert {"name": name} in inactive

    assert (await gql.mutate(PURGE_DOMAIN, {"name": name}))["ok"] is True
    gone = await gql.data("query($n: String) { domain(name: $n) { name } }", {"n": name})
    assert gone == {"domain": None}
    assert await _count(db, domains, domains.c.name == name) == 0


async def test_domain_rename_carries_its_projects(gql: Gql, db: AsyncEngine) -> None:
    name = await gql.create_domain()
    gid = await gql.create_group(name)
    new_name = _name("renamed")
    out = await gql.mutate(MODIFY_DOMAIN, {"name": name, "input": {"name": new_name}})
    assert out["ok"] is True, out
    group = await gql.data("query($id: UUID!) { group(id: $id) { domain_name } }", {"id": str(gid)})
    assert group == {"group": {"domain_name": new_name}}


async def test_domain_rename_is_seen_at_once_by_its_users(gql: Gql, db: AsyncEngine) -> None:
    """Cached credentials carry the domain name; a rename must not leave them stale."""
    name = await gql.create_domain()
    ids = await _ids(db, name)
    admin: Account = {
        "access_key": "AKTEST" + secrets.token_hex(7).upper(),
        "secret_key": secrets.token_urlsafe(30),
    }
    async with db.begin() as conn:
        user_id = (
            await conn.execute(
                sa.insert(users)
                .values(
                    username=_name("admin"),
                    email=_name("admin") + "@test.local",
                    domain_name=name,
                    domain_id=ids["domain"],
                    role="admin",
                    status="active",
                    resource_policy="default",
                )
                .returning(users.c.uuid)
            )
        ).scalar_one()
        await conn.execute(
            sa.insert(keypairs).values(
                access_key=admin["access_key"],
                secret_key=admin["secret_key"],
                user=user_id,
                is_admin=True,
                resource_policy="default",
            )
        )
    own = "query { domain { name } }"
    assert await gql.data(own, who=admin) == {"domain": {"name": name}}
    new_name = _name("renamed")
    assert (await gql.mutate(MODIFY_DOMAIN, {"name": name, "input": {"name": new_name}}))["ok"]
    assert await gql.data(own, who=admin) == {"domain": {"name": new_name}}


async def test_create_domain_twice_is_not_ok(gql: Gql) -> None:
    name = await gql.create_domain()
    out = await gql.mutate(CREATE_DOMAIN, {"name": name, "input": {}})
    assert out["ok"] is False
    assert "already exists" in out["msg"]
    assert out["domain"] is None


async def test_unknown_domain_mutations_are_not_ok(gql: Gql) -> None:
    for query, variables in (
        (MODIFY_DOMAIN, {"name": "no-such-domain", "input": {"description": "x"}}),
        (DELETE_DOMAIN, {"name": "no-such-domain"}),
        (PURGE_DOMAIN, {"name": "no-such-domain"}),
    ):
        out = await gql.mutate(query, variables)
        assert out["ok"] is False
        assert "no-such-domain" in out["msg"]
    info = await gql.data('query { domain(name: "no-such-domain") { name } }')
    assert info == {"domain": None}


@pytest.mark.parametrize(
    "slots", ['{"cpu": "lots"}', "not json", "[1, 2]", '{"cpu": -1}', '{"mem": "1zb"}']
)
async def test_invalid_resource_slots_are_a_clear_error(gql: Gql, slots: str) -> None:
    name = _name("dom")
    message = await gql.refused(
        CREATE_DOMAIN, {"name": name, "input": {"total_resource_slots": slots}}, who=SUPERADMIN
    )
    assert "total_resource_slots" in message or "slot" in message or "JSON" in message
    assert (await gql.data("query($n: String) { domain(name: $n) { name } }", {"n": name})) == {
        "domain": None
    }


async def test_domain_purge_is_refused_while_anything_belongs_to_it(
    gql: Gql, db: AsyncEngine
) -> None:
    name = await gql.create_domain()
    # a project
    gid = await gql.create_group(name)
    out = await gql.mutate(PURGE_DOMAIN, {"name": name})
    assert out["ok"] is False
    assert "1 project(s)" in out["msg"]
    assert (await gql.mutate(PURGE_GROUP, {"gid": str(gid)}))["ok"] is True
    # a user
    ids = await _ids(db, name)
    async with db.begin() as conn:
        user_id = (
            await conn.execute(
                sa.insert(users)
                .values(
                    username=_name("u"),
                    email=_name("u") + "@test.local",
                    domain_name=name,
                    domain_id=ids["domain"],
                    resource_policy="default",
                )
                .returning(users.c.uuid)
            )
        ).scalar_one()
    out = await gql.mutate(PURGE_DOMAIN, {"name": name})
    assert out["ok"] is False
    assert "1 user(s)" in out["msg"]
    async with db.begin() as conn:
        await conn.execute(sa.delete(users).where(users.c.uuid == user_id))
    # an associated scaling group
    sg = await gql.create_sg()
    assert (await gql.mutate(ASSOC_DOMAIN, {"scaling_group": sg, "domain": name}))["ok"]
    out = await gql.mutate(PURGE_DOMAIN, {"name": name})
    assert out["ok"] is False
    assert "scaling group" in out["msg"]
    assert (await gql.mutate(DISSOC_DOMAIN, {"scaling_group": sg, "domain": name}))["ok"]
    # nothing left
    assert (await gql.mutate(PURGE_DOMAIN, {"name": name}))["ok"] is True


async def test_superadmin_cannot_delete_or_purge_their_own_domain(gql: Gql) -> None:
    for query in (DELETE_DOMAIN, PURGE_DOMAIN):
        out = await gql.mutate(query, {"name": "default"})
        assert out["ok"] is False
        assert "own domain" in out["msg"]
    info = await gql.data('query { domain(name: "default") { is_active } }')
    assert info == {"domain": {"is_active": True}}


async def test_domain_admin_reads_only_their_own_domain(gql: Gql) -> None:
    own = await gql.data("query { domain { name } }", who=DOMAIN_ADMIN)
    assert own == {"domain": {"name": "default"}}
    named = await gql.data('query { domain(name: "default") { name } }', who=DOMAIN_ADMIN)
    assert named == {"domain": {"name": "default"}}
    other = await gql.create_domain()
    message = await gql.refused(
        "query($n: String) { domain(name: $n) { name } }", {"n": other}, who=DOMAIN_ADMIN
    )
    assert "own domain" in message
    assert "Only superadmins" in await gql.refused("query { domains { name } }", who=DOMAIN_ADMIN)


@pytest.mark.parametrize("who", [USER, MONITOR], ids=["user", "monitor"])
async def test_users_cannot_read_domains(gql: Gql, who: Account) -> None:
    await gql.refused("query { domains { name } }", who=who)
    await gql.refused("query { domain { name } }", who=who)
    await gql.refused('query { domain(name: "default") { name } }', who=who)


@pytest.mark.parametrize("who", [DOMAIN_ADMIN, USER], ids=["domain-admin", "user"])
async def test_only_superadmins_change_domains(gql: Gql, db: AsyncEngine, who: Account) -> None:
    target = await gql.create_domain()
    fresh = _name("dom")
    for query, variables in (
        (CREATE_DOMAIN, {"name": fresh, "input": {}}),
        (MODIFY_DOMAIN, {"name": target, "input": {"description": "hacked"}}),
        (MODIFY_DOMAIN, {"name": "default", "input": {"description": "hacked"}}),
        (DELETE_DOMAIN, {"name": target}),
        (PURGE_DOMAIN, {"name": target}),
    ):
        assert "superadmin" in await gql.refused(query, variables, who=who)
    assert await _count(db, domains, domains.c.name == fresh) == 0
    info = await gql.data(
        "query($n: String) { domain(name: $n) { description is_active } }", {"n": target}
    )
    assert info == {"domain": {"description": "", "is_active": True}}


# === groups (projects) ==========================================================================


async def test_group_lifecycle_as_superadmin(gql: Gql, db: AsyncEngine) -> None:
    domain = await gql.create_domain()
    name = _name("proj")
    created = await gql.mutate(
        CREATE_GROUP,
        {
            "name": name,
            "input": {
                "description": "a project",
                "is_active": True,
                "domain_name": domain,
                "total_resource_slots": '{"cpu": 8}',
                "allowed_vfolder_hosts": "{}",
            },
        },
    )
    assert created["ok"] is True and created["msg"] == "success"
    assert created["group"]["name"] == name
    assert created["group"]["domain_name"] == domain
    gid = created["group"]["id"]

    listed = (
        await gql.data(
            "query($d: String) { groups(domain_name: $d) { id name is_active created_at"
            " integration_id } }",
            {"d": domain},
        )
    )["groups"]
    assert [g["name"] for g in listed] == [name]
    everywhere = (await gql.data("query($d: String) { groups(domain_name: $d) { name } }"))[
        "groups"
    ]
    assert {"name": "default"} in everywhere and {"name": name} in everywhere

    by_name = (
        await gql.data(
            f"query($name: String!, $domain_name: String) {{ groups_by_name(name: $name,"
            f" domain_name: $domain_name) {{ {GROUP_FIELDS} }} }}",
            {"name": name, "domain_name": None},
        )
    )["groups_by_name"]
    assert len(by_name) == 1
    assert by_name[0]["id"] == gid
    assert json.loads(by_name[0]["total_resource_slots"]) == {"cpu": "8"}
    assert json.loads(by_name[0]["allowed_vfolder_hosts"]) == {}
    by_id = (
        await gql.data(
            f"query($gid: UUID!) {{ group(id: $gid) {{ {GROUP_FIELDS} }} }}", {"gid": gid}
        )
    )["group"]
    assert by_id == by_name[0]

    out = await gql.mutate(
        MODIFY_GROUP, {"gid": gid, "input": {"name": name + "-x", "description": "changed"}}
    )
    assert out == {"ok": True, "msg": "success"}
    by_id = (
        await gql.data("query($gid: UUID!) { group(id: $gid) { name description } }", {"gid": gid})
    )["group"]
    assert by_id == {"name": name + "-x", "description": "changed"}

    assert (await gql.mutate(DELETE_GROUP, {"gid": gid}))["ok"] is True
    by_id = (await gql.data("query($gid: UUID!) { group(id: $gid) { is_active } }", {"gid": gid}))[
        "group"
    ]
    assert by_id == {"is_active": False}
    active = (
        await gql.data(
            "query($d: String) { groups(domain_name: $d, is_active: true) { name } }", {"d": domain}
        )
    )["groups"]
    assert active == []

    assert (await gql.mutate(PURGE_GROUP, {"gid": gid}))["ok"] is True
    gone = await gql.data("query($gid: UUID!) { group(id: $gid) { name } }", {"gid": gid})
    assert gone == {"group": None}


async def test_groups_by_name_spans_domains_unless_one_is_given(gql: Gql) -> None:
    name = _name("twin")
    first, second = await gql.create_domain(), await gql.create_domain()
    await gql.create_group(first, name)
    await gql.create_group(second, name)
    query = (
        "query($name: String!, $domain_name: String) {"
        " groups_by_name(name: $name, domain_name: $domain_name) { domain_name } }"
    )
    both = (await gql.data(query, {"name": name, "domain_name": None}))["groups_by_name"]
    assert sorted(g["domain_name"] for g in both) == sorted([first, second])
    one = (await gql.data(query, {"name": name, "domain_name": second}))["groups_by_name"]
    assert one == [{"domain_name": second}]
    none = await gql.data(query, {"name": _name("nothing"), "domain_name": None})
    assert none == {"groups_by_name": []}


async def test_create_group_errors_are_not_ok(gql: Gql) -> None:
    name = _name("proj")
    await gql.create_group("default", name)
    dup = await gql.mutate(CREATE_GROUP, {"name": name, "input": {"domain_name": "default"}})
    assert dup["ok"] is False and "already exists" in dup["msg"] and dup["group"] is None
    nodom = await gql.mutate(CREATE_GROUP, {"name": name, "input": {"domain_name": "no-such"}})
    assert nodom["ok"] is False and "no-such" in nodom["msg"]


async def test_unknown_group_mutations_are_not_ok(gql: Gql) -> None:
    gid = str(uuid.uuid4())
    for query, variables in (
        (MODIFY_GROUP, {"gid": gid, "input": {"description": "x"}}),
        (DELETE_GROUP, {"gid": gid}),
        (PURGE_GROUP, {"gid": gid}),
    ):
        out = await gql.mutate(query, variables)
        assert out["ok"] is False
        assert gid in out["msg"]
    assert await gql.data("query($g: UUID!) { group(id: $g) { name } }", {"g": gid}) == {
        "group": None
    }


async def test_group_membership_add_and_remove(gql: Gql, db: AsyncEngine) -> None:
    gid = await gql.create_group()
    members = association_groups_users.c
    out = await gql.mutate(
        MODIFY_GROUP,
        {
            "gid": str(gid),
            "input": {"user_update_mode": "add", "user_uuids": [str(USER_UUID), str(USER2_UUID)]},
        },
    )
    assert out == {"ok": True, "msg": "success"}
    assert await _count(db, association_groups_users, members.group_id == gid) == 2
    # adding again is harmless
    out = await gql.mutate(
        MODIFY_GROUP,
        {"gid": str(gid), "input": {"user_update_mode": "add", "user_uuids": [str(USER_UUID)]}},
    )
    assert out["ok"] is True
    assert await _count(db, association_groups_users, members.group_id == gid) == 2
    out = await gql.mutate(
        MODIFY_GROUP,
        {"gid": str(gid), "input": {"user_update_mode": "remove", "user_uuids": [str(USER_UUID)]}},
    )
    assert out["ok"] is True
    async with db.connect() as conn:
        left = (
            (await conn.execute(sa.select(members.user_id).where(members.group_id == gid)))
            .scalars()
            .all()
        )
    assert left == [USER2_UUID]


async def test_group_membership_rejects_unknown_and_foreign_users(
    gql: Gql, db: AsyncEngine
) -> None:
    domain = await gql.create_domain()
    gid = await gql.create_group(domain)
    unknown = await gql.mutate(
        MODIFY_GROUP,
        {"gid": str(gid), "input": {"user_update_mode": "add", "user_uuids": [str(uuid.uuid4())]}},
    )
    assert unknown["ok"] is False and "No user" in unknown["msg"]
    foreign = await gql.mutate(
        MODIFY_GROUP,
        {"gid": str(gid), "input": {"user_update_mode": "add", "user_uuids": [str(USER_UUID)]}},
    )
    assert foreign["ok"] is False and "another domain" in foreign["msg"]
    assert (
        await _count(db, association_groups_users, association_groups_users.c.group_id == gid) == 0
    )
    bad_mode = await gql.refused(
        MODIFY_GROUP,
        {"gid": str(gid), "input": {"user_update_mode": "swap", "user_uuids": [str(USER_UUID)]}},
        who=SUPERADMIN,
    )
    assert "user_update_mode" in bad_mode
    bad_ids = await gql.refused(
        MODIFY_GROUP,
        {"gid": str(gid), "input": {"user_update_mode": "add", "user_uuids": ["nope"]}},
        who=SUPERADMIN,
    )
    assert "user_uuids" in bad_ids


async def test_group_purge_refusals_and_cascade(gql: Gql, db: AsyncEngine) -> None:
    gid = await gql.create_group()
    await gql.mutate(
        MODIFY_GROUP,
        {"gid": str(gid), "input": {"user_update_mode": "add", "user_uuids": [str(USER_UUID)]}},
    )
    sg = await gql.create_sg()
    assert (await gql.mutate(ASSOC_GROUP, {"scaling_group": sg, "user_group": str(gid)}))["ok"]

    session_id = await _insert_session(db, domain="default", group_id=gid)
    out = await gql.mutate(PURGE_GROUP, {"gid": str(gid)})
    assert out["ok"] is False and "1 live session(s)" in out["msg"]
    await _set_session_status(db, session_id, SessionStatus.TERMINATED)

    async with db.begin() as conn:
        folder_id = (
            await conn.execute(
                sa.insert(vfolders)
                .values(
                    host="local:volume1",
                    domain_name="default",
                    quota_scope_id=f"project:{gid}",
                    name=_name("vf"),
                    ownership_type=VFolderOwnershipType.GROUP,
                    group=gid,
                )
                .returning(vfolders.c.id)
            )
        ).scalar_one()
    out = await gql.mutate(PURGE_GROUP, {"gid": str(gid)})
    assert out["ok"] is False and "1 vfolder(s)" in out["msg"]
    async with db.begin() as conn:
        await conn.execute(sa.delete(vfolders).where(vfolders.c.id == folder_id))

    out = await gql.mutate(PURGE_GROUP, {"gid": str(gid)})
    assert out["ok"] is True, out
    assert await _count(db, groups, groups.c.id == gid) == 0
    assert await _count(db, sessions, sessions.c.id == session_id) == 0
    assert (
        await _count(db, association_groups_users, association_groups_users.c.group_id == gid) == 0
    )
    assert await _count(db, sgroups_for_groups, sgroups_for_groups.c.group == gid) == 0


async def test_domain_admin_manages_projects_of_their_own_domain(gql: Gql) -> None:
    name = _name("proj")
    out = await gql.mutate(
        CREATE_GROUP, {"name": name, "input": {"domain_name": "default"}}, who=DOMAIN_ADMIN
    )
    assert out["ok"] is True
    gid = out["group"]["id"]
    listed = (
        await gql.data("query { groups(domain_name: null) { name domain_name } }", who=DOMAIN_ADMIN)
    )["groups"]
    assert {"name": name, "domain_name": "default"} in listed
    assert {g["domain_name"] for g in listed} == {"default"}
    by_name = await gql.data(
        "query($n: String!) { groups_by_name(name: $n) { id } }", {"n": name}, who=DOMAIN_ADMIN
    )
    assert by_name == {"groups_by_name": [{"id": gid}]}
    assert (
        await gql.mutate(
            MODIFY_GROUP, {"gid": gid, "input": {"description": "d"}}, who=DOMAIN_ADMIN
        )
    )["ok"]
    assert (
        await gql.mutate(
            MODIFY_GROUP,
            {"gid": gid, "input": {"user_update_mode": "add", "user_uuids": [str(USER_UUID)]}},
            who=DOMAIN_ADMIN,
        )
    )["ok"]
    assert (await gql.mutate(DELETE_GROUP, {"gid": gid}, who=DOMAIN_ADMIN))["ok"]
    assert (await gql.mutate(PURGE_GROUP, {"gid": gid}, who=DOMAIN_ADMIN))["ok"]


async def test_domain_admin_cannot_touch_other_domains_projects(gql: Gql, db: AsyncEngine) -> None:
    other = await gql.create_domain()
    gid = str(await gql.create_group(other))
    fresh = _name("proj")
    for query, variables in (
        ("query($d: String) { groups(domain_name: $d) { name } }", {"d": other}),
        (
            "query($n: String!, $d: String) { groups_by_name(name: $n, domain_name: $d) { id } }",
            {"n": "x", "d": other},
        ),
        ("query($g: UUID!) { group(id: $g) { name } }", {"g": gid}),
        (CREATE_GROUP, {"name": fresh, "input": {"domain_name": other}}),
        (MODIFY_GROUP, {"gid": gid, "input": {"description": "hacked"}}),
        (
            MODIFY_GROUP,
            {"gid": gid, "input": {"user_update_mode": "add", "user_uuids": [str(USER_UUID)]}},
        ),
        (DELETE_GROUP, {"gid": gid}),
        (PURGE_GROUP, {"gid": gid}),
    ):
        assert "own domain" in await gql.refused(query, variables, who=DOMAIN_ADMIN)
    assert await _count(db, groups, groups.c.name == fresh) == 0
    info = await gql.data(
        "query($g: UUID!) { group(id: $g) { description is_active } }", {"g": gid}
    )
    assert info == {"group": {"description": "t", "is_active": True}}


@pytest.mark.parametrize("who", [USER, MONITOR], ids=["user", "monitor"])
async def test_users_cannot_read_or_change_projects(
    gql: Gql, db: AsyncEngine, who: Account
) -> None:
    gid = str(DEFAULT_PROJECT)
    fresh = _name("proj")
    reads: tuple[tuple[str, dict[str, Any] | None], ...] = (
        ("query { groups(domain_name: null) { name } }", None),
        ('query { groups_by_name(name: "default") { id } }', None),
        ("query($g: UUID!) { group(id: $g) { name } }", {"g": gid}),
    )
    for query, variables in (
        # plain users read the projects they belong to (test_users_read_their_own_projects)
        *(reads if who is MONITOR else ()),
        (CREATE_GROUP, {"name": fresh, "input": {"domain_name": "default"}}),
        (MODIFY_GROUP, {"gid": gid, "input": {"description": "hacked"}}),
        (
            MODIFY_GROUP,
            {"gid": gid, "input": {"user_update_mode": "remove", "user_uuids": [str(USER2_UUID)]}},
        ),
        (DELETE_GROUP, {"gid": gid}),
        (PURGE_GROUP, {"gid": gid}),
    ):
        assert "administrators" in await gql.refused(query, variables, who=who)
    assert await _count(db, groups, groups.c.name == fresh) == 0
    info = await gql.data(
        "query($g: UUID!) { group(id: $g) { description is_active } }", {"g": gid}
    )
    assert info == {"group": {"description": "The default project", "is_active": True}}
    members = association_groups_users.c
    assert (
        await _count(
            db,
            association_groups_users,
            members.group_id == DEFAULT_PROJECT,
            members.user_id == USER2_UUID,
        )
        == 1
    )


async def test_users_read_their_own_projects(gql: Gql) -> None:
    """As in the reference: `groups` lists a user's projects (whatever domain is named),
    `groups_by_name` and `group(id:)` answer for those only."""
    outsider = await gql.create_group()  # in the user's domain, without them
    listed = await gql.data("query { groups(domain_name: null) { id name } }", who=USER)
    ids = {g["id"] for g in listed["groups"]}
    assert str(DEFAULT_PROJECT) in ids and str(outsider) not in ids
    also = await gql.data('query { groups(domain_name: "default") { id } }', who=USER)
    assert {g["id"] for g in also["groups"]} == ids
    inactive = await gql.data("query { groups(is_active: false) { id } }", who=USER)
    assert inactive == {"groups": []}
    by_name = await gql.data(
        'query { groups_by_name(name: "default") { id name domain_name } }', who=USER
    )
    assert by_name["groups_by_name"] == [
        {"id": str(DEFAULT_PROJECT), "name": "default", "domain_name": "default"}
    ]
    outsider_name = (
        await gql.data("query($g: UUID!) { group(id: $g) { name } }", {"g": str(outsider)})
    )["group"]["name"]
    none = await gql.data(
        "query($n: String!) { groups_by_name(name: $n) { id } }", {"n": outsider_name}, who=USER
    )
    assert none == {"groups_by_name": []}
    mine = await gql.data(
        "query($g: UUID!) { group(id: $g) { id name } }", {"g": str(DEFAULT_PROJECT)}, who=USER
    )
    assert mine == {"group": {"id": str(DEFAULT_PROJECT), "name": "default"}}
    for group_id in (outsider, uuid.uuid4()):
        message = await gql.refused(
            "query($g: UUID!) { group(id: $g) { name } }", {"g": str(group_id)}, who=USER
        )
        assert "belong to" in message
    other = await gql.create_domain()
    message = await gql.refused(
        'query($d: String) { groups_by_name(name: "default", domain_name: $d) { id } }',
        {"d": other},
        who=USER,
    )
    assert "own domain" in message


# === scaling groups =============================================================================


async def test_scaling_group_lifecycle(gql: Gql, db: AsyncEngine) -> None:
    name = _name("sg")
    created = await gql.mutate(
        CREATE_SG,
        {
            "name": name,
            "input": {
                "description": "pool",
                "is_active": True,
                "is_public": False,
                "driver": "static",
                "driver_opts": json.dumps({"x": 1}),
                "scheduler": "drf",
                "scheduler_opts": json.dumps({"allowed_session_types": ["batch"]}),
                "use_host_network": False,
                "wsproxy_addr": None,
                "wsproxy_api_token": None,
            },
        },
    )
    assert created == {"ok": True, "msg": "success", "scaling_group": {"name": name}}

    listed = (
        await gql.data(
            "query($is_active: Boolean) { scaling_groups(is_active: $is_active) {"
            " name description is_active is_public created_at driver scheduler use_host_network"
            " wsproxy_addr wsproxy_api_token } }",
            {"is_active": None},
        )
    )["scaling_groups"]
    mine = next(sg for sg in listed if sg["name"] == name)
    assert mine["is_public"] is False and mine["scheduler"] == "drf"
    assert "default" in [sg["name"] for sg in listed]

    info = (
        await gql.data(
            f"query($name: String) {{ scaling_group(name: $name) {{ {SG_FIELDS} }} }}",
            {"name": name},
        )
    )["scaling_group"]
    assert json.loads(info["driver_opts"]) == {"x": 1}
    assert json.loads(info["scheduler_opts"]) == {"allowed_session_types": ["batch"]}
    assert info["wsproxy_addr"] is None

    out = await gql.mutate(
        MODIFY_SG, {"name": name, "input": {"is_active": False, "scheduler_opts": "{}"}}
    )
    assert out == {"ok": True, "msg": "success"}
    inactive = (await gql.data("query { scaling_groups(is_active: false) { name } }"))[
        "scaling_groups"
    ]
    assert {"name": name} in inactive
    active = (await gql.data("query { scaling_groups(is_active: true) { name } }"))[
        "scaling_groups"
    ]
    assert {"name": name} not in active

    assert (await gql.mutate(DELETE_SG, {"name": name})) == {"ok": True, "msg": "success"}
    assert await gql.data(
        "query($n: String) { scaling_group(name: $n) { name } }", {"n": name}
    ) == {"scaling_group": None}


async def test_scaling_group_errors_are_not_ok(gql: Gql) -> None:
    name = await gql.create_sg()
    dup = await gql.mutate(
        CREATE_SG, {"name": name, "input": {"driver": "static", "scheduler": "fifo"}}
    )
    assert dup["ok"] is False and "already exists" in dup["msg"]
    bad = await gql.mutate(
        CREATE_SG, {"name": _name("sg"), "input": {"driver": "static", "scheduler": "random"}}
    )
    assert bad["ok"] is False and "Unknown scheduler" in bad["msg"]
    for query, variables in (
        (MODIFY_SG, {"name": "no-such-sg", "input": {"description": "x"}}),
        (DELETE_SG, {"name": "no-such-sg"}),
        (ASSOC_DOMAIN, {"scaling_group": "no-such-sg", "domain": "default"}),
        (ASSOC_DOMAIN, {"scaling_group": name, "domain": "no-such-domain"}),
        (DISSOC_DOMAIN, {"scaling_group": name, "domain": "no-such-domain"}),
        (DISSOC_ALL_DOMAIN, {"domain": "no-such-domain"}),
        (ASSOC_GROUP, {"scaling_group": name, "user_group": str(uuid.uuid4())}),
        (DISSOC_GROUP, {"scaling_group": name, "user_group": "not-a-uuid"}),
        (DISSOC_ALL_GROUP, {"group_id": str(uuid.uuid4())}),
        (ASSOC_KEYPAIR, {"scaling_group": name, "access_key": "AKNOSUCHKEY"}),
    ):
        out = await gql.mutate(query, variables)
        assert out["ok"] is False, (query, out)
        assert out["msg"]
    bad_json = await gql.refused(
        CREATE_SG,
        {
            "name": _name("sg"),
            "input": {"driver": "static", "scheduler": "fifo", "driver_opts": "{"},
        },
        who=SUPERADMIN,
    )
    assert "driver_opts" in bad_json or "JSON" in bad_json


async def test_scaling_group_associations(gql: Gql, db: AsyncEngine) -> None:
    sg = await gql.create_sg()
    other = await gql.create_sg()
    domain = await gql.create_domain()
    gid = await gql.create_group(domain)
    ids = await _ids(db, domain, sg)

    for query, variables in (
        (ASSOC_DOMAIN, {"scaling_group": sg, "domain": domain}),
        (ASSOC_DOMAIN, {"scaling_group": other, "domain": domain}),
        (ASSOC_DOMAIN, {"scaling_group": sg, "domain": domain}),  # again: no-op
        (ASSOC_GROUP, {"scaling_group": sg, "user_group": str(gid)}),
        (ASSOC_GROUP, {"scaling_group": other, "user_group": str(gid)}),
        (ASSOC_KEYPAIR, {"scaling_group": sg, "access_key": USER2["access_key"]}),
    ):
        assert (await gql.mutate(query, variables)) == {"ok": True, "msg": "success"}
    dom = sgroups_for_domains.c
    grp = sgroups_for_groups.c
    kp = sgroups_for_keypairs.c
    assert await _count(db, sgroups_for_domains, dom.domain_id == ids["domain"]) == 2
    assert await _count(db, sgroups_for_groups, grp.group == gid) == 2
    assert await _count(db, sgroups_for_keypairs, kp.resource_group_id == ids["sg"]) == 1

    assert (await gql.mutate(DISSOC_DOMAIN, {"scaling_group": sg, "domain": domain}))["ok"]
    assert await _count(db, sgroups_for_domains, dom.domain_id == ids["domain"]) == 1
    assert (await gql.mutate(DISSOC_ALL_DOMAIN, {"domain": domain}))["ok"]
    assert await _count(db, sgroups_for_domains, dom.domain_id == ids["domain"]) == 0

    assert (await gql.mutate(DISSOC_GROUP, {"scaling_group": sg, "user_group": str(gid)}))["ok"]
    assert await _count(db, sgroups_for_groups, grp.group == gid) == 1
    assert (await gql.mutate(DISSOC_ALL_GROUP, {"group_id": str(gid)}))["ok"]
    assert await _count(db, sgroups_for_groups, grp.group == gid) == 0

    assert (
        await gql.mutate(DISSOC_KEYPAIR, {"scaling_group": sg, "access_key": USER2["access_key"]})
    )["ok"]
    assert await _count(db, sgroups_for_keypairs, kp.resource_group_id == ids["sg"]) == 0


async def test_scaling_group_delete_is_refused_while_in_use(gql: Gql, db: AsyncEngine) -> None:
    sg = await gql.create_sg()
    ids = await _ids(db, "default", sg)
    assert (await gql.mutate(ASSOC_DOMAIN, {"scaling_group": sg, "domain": "default"}))["ok"]
    agent_id = _name("i-fake")
    async with db.begin() as conn:
        await conn.execute(
            sa.insert(agents).values(
                id=agent_id,
                region="local",
                scaling_group=sg,
                resource_group_id=ids["sg"],
                addr="tcp://127.0.0.1:1",
                version="26.9.6",
                architecture="x86_64",
                schedulable=False,
            )
        )
    out = await gql.mutate(DELETE_SG, {"name": sg})
    assert out["ok"] is False and "1 agent(s)" in out["msg"]
    async with db.begin() as conn:
        await conn.execute(sa.delete(agents).where(agents.c.id == agent_id))

    session_id = await _insert_session(db, domain="default", group_id=DEFAULT_PROJECT, sg=sg)
    out = await gql.mutate(DELETE_SG, {"name": sg})
    assert out["ok"] is False and "1 live session(s)" in out["msg"]
    await _set_session_status(db, session_id, SessionStatus.CANCELLED)

    assert (await gql.mutate(DELETE_SG, {"name": sg}))["ok"] is True
    assert await _count(db, scaling_groups, scaling_groups.c.name == sg) == 0
    assert await _count(db, sessions, sessions.c.id == session_id) == 0
    assert (
        await _count(db, sgroups_for_domains, sgroups_for_domains.c.resource_group_id == ids["sg"])
        == 0
    )


@pytest.mark.parametrize(
    "who", [DOMAIN_ADMIN, USER, MONITOR], ids=["domain-admin", "user", "monitor"]
)
async def test_only_superadmins_see_or_change_scaling_groups(
    gql: Gql, db: AsyncEngine, who: Account
) -> None:
    sg = await gql.create_sg()
    fresh = _name("sg")
    gid = str(DEFAULT_PROJECT)
    for query, variables in (
        ("query { scaling_groups(is_active: null) { name } }", None),
        ("query($n: String) { scaling_group(name: $n) { name } }", {"n": sg}),
        ("query { scaling_group { name } }", None),
        (CREATE_SG, {"name": fresh, "input": {"driver": "static", "scheduler": "fifo"}}),
        (MODIFY_SG, {"name": sg, "input": {"is_active": False}}),
        (DELETE_SG, {"name": sg}),
        (ASSOC_DOMAIN, {"scaling_group": sg, "domain": "default"}),
        (DISSOC_DOMAIN, {"scaling_group": "default", "domain": "default"}),
        (DISSOC_ALL_DOMAIN, {"domain": "default"}),
        (ASSOC_GROUP, {"scaling_group": sg, "user_group": gid}),
        (DISSOC_GROUP, {"scaling_group": sg, "user_group": gid}),
        (DISSOC_ALL_GROUP, {"group_id": gid}),
        (ASSOC_KEYPAIR, {"scaling_group": sg, "access_key": who["access_key"]}),
        (DISSOC_KEYPAIR, {"scaling_group": sg, "access_key": who["access_key"]}),
    ):
        assert "superadmin" in await gql.refused(query, variables, who=who)
    assert await _count(db, scaling_groups, scaling_groups.c.name == fresh) == 0
    info = await gql.data("query($n: String) { scaling_group(name: $n) { is_active } }", {"n": sg})
    assert info == {"scaling_group": {"is_active": True}}
    ids = await _ids(db, "default", "default")
    assert (
        await _count(
            db,
            sgroups_for_domains,
            sgroups_for_domains.c.domain_id == ids["domain"],
            sgroups_for_domains.c.resource_group_id == ids["sg"],
        )
        == 1
    )


# === GET /scaling-groups ========================================================================


async def test_available_scaling_groups_union_domain_project_and_keypair(
    gql: Gql, http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain = await gql.create_domain()
    project_name = _name("proj")
    gid = await gql.create_group(domain, project_name)
    by_domain, by_project, by_keypair = (
        await gql.create_sg(),
        await gql.create_sg(),
        await gql.create_sg(),
    )
    private, inactive, unrelated = (
        await gql.create_sg(is_public=False),
        await gql.create_sg(is_active=False),
        await gql.create_sg(),
    )
    for query, variables in (
        (ASSOC_DOMAIN, {"scaling_group": by_domain, "domain": domain}),
        (ASSOC_DOMAIN, {"scaling_group": inactive, "domain": domain}),
        (ASSOC_GROUP, {"scaling_group": by_project, "user_group": str(gid)}),
        (ASSOC_GROUP, {"scaling_group": private, "user_group": str(gid)}),
        (ASSOC_KEYPAIR, {"scaling_group": by_keypair, "access_key": SUPERADMIN["access_key"]}),
    ):
        assert (await gql.mutate(query, variables))["ok"]

    # the superadmin asks by project id (the name is looked up in the caller's own domain)
    status, body = await _rest_available(http, manager, str(gid), SUPERADMIN)
    assert status == 200, body
    names = [sg["name"] for sg in body["scaling_groups"]]
    assert sorted(names) == sorted([by_domain, by_project, by_keypair, private])
    assert inactive not in names and unrelated not in names


async def test_available_scaling_groups_for_a_member(
    gql: Gql, http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    status, body = await _rest_available(http, manager, "default", USER)
    assert status == 200, body
    assert {"name": "default"} in body["scaling_groups"]
    status, by_id = await _rest_available(http, manager, str(DEFAULT_PROJECT), USER)
    assert status == 200 and by_id == body

    private = await gql.create_sg(is_public=False)
    public = await gql.create_sg()
    for sg in (private, public):
        assert (
            await gql.mutate(ASSOC_GROUP, {"scaling_group": sg, "user_group": str(DEFAULT_PROJECT)})
        )["ok"]
    try:
        names = [
            sg["name"]
            for sg in (await _rest_available(http, manager, "default", USER))[1]["scaling_groups"]
        ]
        assert public in names and private not in names
        admin_names = [
            sg["name"]
            for sg in (await _rest_available(http, manager, "default", DOMAIN_ADMIN))[1][
                "scaling_groups"
            ]
        ]
        assert public in admin_names and private in admin_names
    finally:
        for sg in (private, public):
            await gql.mutate(DELETE_SG, {"name": sg})


async def test_available_scaling_groups_errors(
    gql: Gql, http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    status, body = await _rest_available(http, manager, "no-such-project", USER)
    assert status == 404 and body["type"] == PROBLEM_BASE + "group-not-found"
    status, body = await _rest_available(http, manager, "", USER)
    assert status == 400 and body["type"] == PROBLEM_BASE + "invalid-api-params"
    # a project of the domain the user is not a member of
    gid = await gql.create_group()
    status, body = await _rest_available(http, manager, str(gid), USER)
    assert status == 403 and "member" in body["msg"]
    # a project of another domain
    other = await gql.create_group(await gql.create_domain())
    status, body = await _rest_available(http, manager, str(other), DOMAIN_ADMIN)
    assert status == 403


# === bad input ==================================================================================


async def test_overlong_text_is_a_clear_error_and_stores_nothing(gql: Gql, db: AsyncEngine) -> None:
    long_name = "x" * 65
    for query, variables in (
        (CREATE_DOMAIN, {"name": long_name, "input": {}}),
        (CREATE_DOMAIN, {"name": _name("dom"), "input": {"description": "d" * 513}}),
        (CREATE_GROUP, {"name": long_name, "input": {"domain_name": "default"}}),
        (CREATE_SG, {"name": long_name, "input": {"driver": "static", "scheduler": "fifo"}}),
        (
            CREATE_SG,
            {
                "name": _name("sg"),
                "input": {"driver": "static", "scheduler": "fifo", "wsproxy_api_token": "t" * 129},
            },
        ),
        (MODIFY_SG, {"name": "default", "input": {"driver": "d" * 65}}),
    ):
        assert "longer than" in await gql.refused(query, variables, who=SUPERADMIN)
    assert await _count(db, domains, domains.c.name == long_name) == 0
    assert await _count(db, groups, groups.c.name == long_name) == 0
    assert await _count(db, scaling_groups, scaling_groups.c.name == long_name) == 0
    info = await gql.data('query { scaling_group(name: "default") { driver } }')
    assert info == {"scaling_group": {"driver": "static"}}


async def test_renaming_a_project_onto_a_sibling_is_not_ok(gql: Gql) -> None:
    taken = _name("proj")
    await gql.create_group("default", taken)
    gid = await gql.create_group("default")
    out = await gql.mutate(MODIFY_GROUP, {"gid": str(gid), "input": {"name": taken}})
    assert out["ok"] is False and "already named" in out["msg"]
    other = await gql.create_domain()
    renamed = await gql.mutate(MODIFY_DOMAIN, {"name": other, "input": {"name": "default"}})
    assert renamed["ok"] is False and "already exists" in renamed["msg"]
