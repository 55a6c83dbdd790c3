"""Users, keypairs and resource policies over `/admin/gql`, and the `/auth` account routes.

Every mutation is tried by each role that must be refused; lists are checked for a constant
number of SQL statements per page.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import event

from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import vfolders
from ai.backend.manager.services.auth.password import hash_password, verify_password
from tests.integration.conftest import RunningManager
from tests.signing import ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, USER_ACCESS_KEY, USER_SECRET_KEY

ADMIN = {"access_key": ADMIN_ACCESS_KEY, "secret_key": ADMIN_SECRET_KEY}
DOMAIN_ADMIN = {
    "access_key": "AKIAHUKCHDEZGEXAMPLE",
    "secret_key": "cWbsM_vBB4CzTW7JdORRMx8SjGI3-wEXAMPLEKEY",
}
USER = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}
DEFAULT_GROUP = uuid.UUID("2de2b969-1d04-48a6-af16-0bc8adb3c831")

USER_FIELDS = (
    "uuid username role email full_name need_password_change status status_info created_at"
    " domain_name groups { id name } allowed_client_ip sudo_session_enabled main_access_key"
)
KEYPAIR_FIELDS = (
    "user_id projects user_info { full_name } access_key secret_key is_active is_admin"
    " created_at last_used resource_policy rate_limit concurrency_used"
)
USER_LIST = (
    "query($limit: Int!, $offset: Int!, $status: String, $group_id: UUID, $filter: String,"
    " $order: String) { user_list(limit: $limit, offset: $offset, status: $status,"
    " group_id: $group_id, filter: $filter, order: $order) { items { " + USER_FIELDS + " }"
    " total_count } }"
)
KEYPAIR_LIST = (
    "query($limit: Int!, $offset: Int!, $is_active: Boolean, $domain_name: String,"
    " $email: String, $filter: String, $order: String) { keypair_list(limit: $limit,"
    " offset: $offset, is_active: $is_active, domain_name: $domain_name, email: $email,"
    " filter: $filter, order: $order) { items { " + KEYPAIR_FIELDS + " } total_count } }"
)
CREATE_USER = (
    "mutation($email: String!, $input: UserInput!) { create_user(email: $email, props: $input)"
    " { ok msg user { domain_name email username uuid groups { id name } } } }"
)
MODIFY_USER = (
    "mutation($email: String!, $input: ModifyUserInput!) { modify_user(email: $email,"
    " props: $input) { ok msg } }"
)
DELETE_USER = "mutation($email: String!) { delete_user(email: $email) { ok msg } }"
PURGE_USER = (
    "mutation($email: String!, $input: PurgeUserInput!) { purge_user(email: $email,"
    " props: $input) { ok msg } }"
)
CREATE_KEYPAIR = (
    "mutation($user_id: String!, $input: KeyPairInput!) { create_keypair(user_id: $user_id,"
    " props: $input) { ok msg keypair { access_key secret_key } } }"
)
MODIFY_KEYPAIR = (
    "mutation($access_key: String!, $input: ModifyKeyPairInput!) { modify_keypair("
    "access_key: $access_key, props: $input) { ok msg } }"
)
DELETE_KEYPAIR = (
    "mutation($access_key: String!) { delete_keypair(access_key: $access_key) { ok msg } }"
)


# --- helpers ------------------------------------------------------------------------------------


def _headers(manager: RunningManager, method: str, path: str, **sign: str) -> dict[str, str]:
    from tests.signing import signed_headers

    return signed_headers(method, path, host=manager.host, **sign)


async def gql(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    as_: dict[str, str] = ADMIN,
) -> dict[str, Any]:
    headers = _headers(manager, "POST", "/admin/gql", **as_)
    payload = json.dumps({"query": query, "variables": variables or {}})
    async with http.post(manager.base_url + "/admin/gql", headers=headers, data=payload) as resp:
        assert resp.status == 200, await resp.text()
        result: dict[str, Any] = await resp.json()
        return result


async def data(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    as_: dict[str, str] = ADMIN,
) -> dict[str, Any]:
    result = await gql(http, manager, query, variables, as_=as_)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]
    return payload


async def refused(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    as_: dict[str, str],
) -> str:
    """Run an operation that must be refused with a GraphQL error; return the message."""
    result = await gql(http, manager, query, variables, as_=as_)
    errors = result.get("errors")
    assert errors, result
    message: str = errors[0]["message"]
    assert "Internal error" not in message
    return message


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def sql_user(
    manager: RunningManager,
    *,
    domain: str = "default",
    role: str = "user",
    group_id: uuid.UUID | None = None,
    email: str | None = None,
) -> tuple[str, str, str, uuid.UUID]:
    """A user with a main keypair inserted directly: (email, access key, secret key, uuid)."""
    email = email or unique("sqluser") + "@test.local"
    access_key = "AKIA" + secrets.token_hex(8).upper()
    secret_key = secrets.token_urlsafe(30)
    async with manager.root.db.begin() as conn:
        domain_id = (
            await conn.execute(sa.select(domains.c.id).where(domains.c.name == domain))
        ).scalar_one()
        user_uuid = (
            await conn.execute(
                sa.insert(users)
                .values(
                    username=email,
                    email=email,
                    password=None,
                    full_name=f"Full {email}",
                    status="active",
                    domain_name=domain,
                    domain_id=domain_id,
                    role=role,
                    resource_policy="default",
                )
                .returning(users.c.uuid)
            )
        ).scalar_one()
        await conn.execute(
            sa.insert(keypairs).values(
                access_key=access_key,
                secret_key=secret_key,
                user=user_uuid,
                is_active=True,
                is_admin=role in ("admin", "superadmin"),
                is_default=True,
                resource_policy="default",
            )
        )
        if group_id is not None:
            await conn.execute(
                sa.insert(association_groups_users).values(user_id=user_uuid, group_id=group_id)
            )
    return email, access_key, secret_key, user_uuid


async def other_domain(manager: RunningManager) -> tuple[str, uuid.UUID]:
    """A second domain with one project, inserted directly: (domain name, project id)."""
    name = unique("otherdom")
    async with manager.root.db.begin() as conn:
        await conn.execute(sa.insert(domains).values(name=name, description="other"))
        group_id = (
            await conn.execute(
                sa.insert(groups)
                .values(name="otherproj", domain_name=name, resource_policy="default")
                .returning(groups.c.id)
            )
        ).scalar_one()
    return name, group_id


async def can_sign_in(
    http: aiohttp.ClientSession, manager: RunningManager, access_key: str, secret_key: str
) -> bool:
    headers = _headers(manager, "GET", "/auth", access_key=access_key, secret_key=secret_key)
    async with http.get(manager.base_url + "/auth", headers=headers) as resp:
        return resp.status == 200


@contextmanager
def counted_statements(manager: RunningManager) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = manager.root.db.sync_engine

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- users: queries -----------------------------------------------------------------------------


async def test_user_list_pages_with_groups_and_main_access_key(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    page = (await data(http, manager, USER_LIST, {"limit": 100, "offset": 0}))["user_list"]
    by_email = {u["email"]: u for u in page["items"]}
    assert page["total_count"] == len(page["items"])
    admin = by_email["admin@lablup.com"]
    assert admin["main_access_key"] == ADMIN_ACCESS_KEY
    assert admin["role"] == "superadmin"
    assert {"id": str(DEFAULT_GROUP), "name": "default"} in admin["groups"]
    second = (await data(http, manager, USER_LIST, {"limit": 2, "offset": 1}))["user_list"]
    assert len(second["items"]) == 2
    assert second["total_count"] == page["total_count"]


async def test_user_list_filters_by_status_group_and_orders(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    vars_ = {"limit": 100, "offset": 0, "group_id": str(DEFAULT_GROUP), "status": "active"}
    page = (await data(http, manager, USER_LIST, vars_))["user_list"]
    assert "user@lablup.com" in {u["email"] for u in page["items"]}
    assert all(u["status"] == "active" for u in page["items"])
    ordered = await data(http, manager, USER_LIST, {"limit": 100, "offset": 0, "order": "-email"})
    emails = [u["email"] for u in ordered["user_list"]["items"]]
    assert emails == sorted(emails, reverse=True)
    message = await refused(
        http, manager, USER_LIST, {"limit": 5, "offset": 0, "status": "sleepy"}, as_=ADMIN
    )
    assert "sleepy" in message
    message = await refused(
        http, manager, USER_LIST, {"limit": 5, "offset": 0, "filter": "email =="}, as_=ADMIN
    )
    assert "Invalid filter expression" in message


async def test_user_list_of_a_domain_admin_covers_their_domain_only(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, group_id = await other_domain(manager)
    stranger, *_ = await sql_user(manager, domain=domain, group_id=group_id)
    admin_view = await data(http, manager, USER_LIST, {"limit": 100, "offset": 0})
    assert stranger in {u["email"] for u in admin_view["user_list"]["items"]}
    page = await data(http, manager, USER_LIST, {"limit": 100, "offset": 0}, as_=DOMAIN_ADMIN)
    items = page["user_list"]["items"]
    assert items and all(u["domain_name"] == "default" for u in items)
    assert page["user_list"]["total_count"] == len(items)
    await refused(
        http,
        manager,
        'query { users(domain_name: "' + domain + '") { email } }',
        as_=DOMAIN_ADMIN,
    )


async def test_user_lists_are_refused_to_plain_users(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    message = await refused(http, manager, USER_LIST, {"limit": 5, "offset": 0}, as_=USER)
    assert "administrators" in message
    await refused(http, manager, "query { users { email } }", as_=USER)


async def test_users_legacy_list(http: aiohttp.ClientSession, manager: RunningManager) -> None:
    query = (
        "query($status: String, $group: UUID) { users(status: $status, group_id: $group)"
        " { email groups { name } } }"
    )
    found = await data(http, manager, query, {"status": "active", "group": str(DEFAULT_GROUP)})
    assert "user2@lablup.com" in {u["email"] for u in found["users"]}


async def test_user_without_email_is_the_caller(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    query = "query($email: String) { user(email: $email) { " + USER_FIELDS + " } }"
    me = (await data(http, manager, query, {"email": None}, as_=USER))["user"]
    assert me["email"] == "user@lablup.com"
    assert me["main_access_key"] == USER_ACCESS_KEY
    bare = await data(http, manager, "query { user { email } }", as_=USER)
    assert bare["user"] == {"email": "user@lablup.com"}
    own = await data(http, manager, query, {"email": "user@lablup.com"}, as_=USER)
    assert own["user"]["email"] == "user@lablup.com"


async def test_user_by_email_for_admins_and_refused_for_users(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    query = "query($email: String) { user(email: $email) { email role groups { name } } }"
    other = await data(http, manager, query, {"email": "user2@lablup.com"}, as_=DOMAIN_ADMIN)
    assert other["user"]["email"] == "user2@lablup.com"
    nobody = await data(http, manager, query, {"email": "nobody@x"})
    assert nobody["user"] is None
    await refused(http, manager, query, {"email": "user2@lablup.com"}, as_=USER)
    domain, _ = await other_domain(manager)
    stranger, *_ = await sql_user(manager, domain=domain)
    hidden = await data(http, manager, query, {"email": stranger}, as_=DOMAIN_ADMIN)
    assert hidden["user"] is None


async def test_user_from_uuid(http: aiohttp.ClientSession, manager: RunningManager) -> None:
    email, _, _, user_uuid = await sql_user(manager)
    query = "query($user_id: ID) { user_from_uuid(user_id: $user_id) { email uuid } }"
    found = await data(http, manager, query, {"user_id": str(user_uuid)})
    assert found["user_from_uuid"] == {"email": email, "uuid": str(user_uuid)}
    me = await data(http, manager, query, {"user_id": None}, as_=USER)
    assert me["user_from_uuid"]["email"] == "user@lablup.com"
    await refused(http, manager, query, {"user_id": str(user_uuid)}, as_=USER)
    await refused(http, manager, query, {"user_id": "not-a-uuid"}, as_=ADMIN)


# --- users: mutations ---------------------------------------------------------------------------


def _new_user(domain: str = "default", **extra: Any) -> dict[str, Any]:
    return {
        "password": "Passw0rd!",
        "role": "user",
        "status": "active",
        "need_password_change": False,
        "description": "",
        "domain_name": domain,
        "totp_activated": False,
        "sudo_session_enabled": False,
        **extra,
    }


async def test_create_user_with_groups_and_a_main_keypair(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email = unique("created") + "@test.local"
    variables = {
        "email": email,
        "input": _new_user(username=email.split("@")[0], group_ids=[str(DEFAULT_GROUP)]),
    }
    result = (await data(http, manager, CREATE_USER, variables))["create_user"]
    assert result["ok"] is True, result
    assert result["msg"] == "success"
    assert result["user"]["groups"] == [{"id": str(DEFAULT_GROUP), "name": "default"}]
    assert result["user"]["domain_name"] == "default"
    async with manager.root.db.connect() as conn:
        row = (await conn.execute(sa.select(users).where(users.c.email == email))).one()
        kp = (await conn.execute(sa.select(keypairs).where(keypairs.c.user == row.uuid))).one()
    assert row.password.startswith("pbkdf2_sha256$")
    assert verify_password("Passw0rd!", row.password)
    assert kp.is_default and kp.is_active and not kp.is_admin
    assert kp.resource_policy == "default"
    assert kp.ssh_public_key.startswith("ssh-rsa ")
    info = await data(
        http, manager, "query($e: String) { user(email: $e) { main_access_key } }", {"e": email}
    )
    assert info["user"]["main_access_key"] == kp.access_key
    assert await can_sign_in(http, manager, kp.access_key, kp.secret_key)
    again = (await data(http, manager, CREATE_USER, variables))["create_user"]
    assert again["ok"] is False and "already exists" in again["msg"]


async def test_create_user_rejects_bad_input_clearly(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    cases = [
        ({"role": "emperor"}, "emperor"),
        ({"domain_name": "no-such-domain"}, "no-such-domain"),
        ({"group_ids": [str(uuid.uuid4())]}, "No project"),
        ({"group_ids": ["nope"]}, "group_ids"),
    ]
    for extra, expected in cases:
        email = unique("bad") + "@test.local"
        variables = {"email": email, "input": _new_user(**extra)}
        result = (await data(http, manager, CREATE_USER, variables))["create_user"]
        assert result["ok"] is False and expected in result["msg"], (extra, result)


async def test_create_user_role_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, _ = await other_domain(manager)
    own = {"email": unique("da") + "@test.local", "input": _new_user()}
    created = (await data(http, manager, CREATE_USER, own, as_=DOMAIN_ADMIN))["create_user"]
    assert created["ok"] is True, created
    elsewhere = {"email": unique("da") + "@test.local", "input": _new_user(domain)}
    assert "own domain" in await refused(http, manager, CREATE_USER, elsewhere, as_=DOMAIN_ADMIN)
    superuser = {"email": unique("da") + "@test.local", "input": _new_user(role="superadmin")}
    assert "superadmin" in await refused(http, manager, CREATE_USER, superuser, as_=DOMAIN_ADMIN)
    plain = {"email": unique("u") + "@test.local", "input": _new_user()}
    await refused(http, manager, CREATE_USER, plain, as_=USER)


async def test_modify_user_changes_fields_and_syncs_keypair_admin(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email, access_key, secret_key, _ = await sql_user(manager)
    variables = {
        "email": email,
        "input": {"full_name": "Renamed", "role": "admin", "group_ids": [str(DEFAULT_GROUP)]},
    }
    result = (await data(http, manager, MODIFY_USER, variables))["modify_user"]
    assert result == {"ok": True, "msg": "success"}
    query = "query($e: String) { user(email: $e) { full_name role groups { name } } }"
    after = (await data(http, manager, query, {"e": email}))["user"]
    assert after == {"full_name": "Renamed", "role": "admin", "groups": [{"name": "default"}]}
    keypair = await data(
        http,
        manager,
        "query { keypair { is_admin } }",
        as_={"access_key": access_key, "secret_key": secret_key},
    )
    assert keypair["keypair"]["is_admin"] is True
    missing = {"email": "nobody@x", "input": {"full_name": "x"}}
    assert (await data(http, manager, MODIFY_USER, missing))["modify_user"]["ok"] is False
    bad = {"email": email, "input": {"status": "asleep"}}
    assert (await data(http, manager, MODIFY_USER, bad))["modify_user"]["ok"] is False


async def test_modify_user_password_is_hashed(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email, *_ = await sql_user(manager)
    variables = {"email": email, "input": {"password": "N3w-secret"}}
    assert (await data(http, manager, MODIFY_USER, variables))["modify_user"]["ok"] is True
    async with manager.root.db.connect() as conn:
        stored = (
            await conn.execute(sa.select(users.c.password).where(users.c.email == email))
        ).scalar_one()
    assert verify_password("N3w-secret", stored)


async def test_modify_user_role_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, _ = await other_domain(manager)
    stranger, *_ = await sql_user(manager, domain=domain)
    mine, *_ = await sql_user(manager)
    ok = {"email": mine, "input": {"description": "by domain admin"}}
    assert (await data(http, manager, MODIFY_USER, ok, as_=DOMAIN_ADMIN))["modify_user"]["ok"]
    promote = {"email": mine, "input": {"role": "superadmin"}}
    assert "superadmin" in await refused(http, manager, MODIFY_USER, promote, as_=DOMAIN_ADMIN)
    cross = {"email": stranger, "input": {"description": "x"}}
    await refused(http, manager, MODIFY_USER, cross, as_=DOMAIN_ADMIN)
    top = {"email": "admin@lablup.com", "input": {"description": "x"}}
    await refused(http, manager, MODIFY_USER, top, as_=DOMAIN_ADMIN)
    await refused(http, manager, MODIFY_USER, ok, as_=USER)
    self_edit = {"email": "user@lablup.com", "input": {"role": "superadmin"}}
    await refused(http, manager, MODIFY_USER, self_edit, as_=USER)


async def test_delete_user_is_soft_and_revokes_cached_credentials(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email, access_key, secret_key, user_uuid = await sql_user(manager)
    assert await can_sign_in(http, manager, access_key, secret_key)  # now cached
    result = (await data(http, manager, DELETE_USER, {"email": email}))["delete_user"]
    assert result == {"ok": True, "msg": "success"}
    assert not await can_sign_in(http, manager, access_key, secret_key)
    async with manager.root.db.connect() as conn:
        row = (await conn.execute(sa.select(users.c.status).where(users.c.uuid == user_uuid))).one()
        active = (
            await conn.execute(sa.select(keypairs.c.is_active).where(keypairs.c.user == user_uuid))
        ).scalars()
        assert list(active) == [False]
    assert str(getattr(row.status, "value", row.status)) == "deleted"
    missing = (await data(http, manager, DELETE_USER, {"email": "nobody@x"}))["delete_user"]
    assert missing["ok"] is False


async def test_delete_user_role_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, _ = await other_domain(manager)
    stranger, *_ = await sql_user(manager, domain=domain)
    mine, *_ = await sql_user(manager)
    await refused(http, manager, DELETE_USER, {"email": stranger}, as_=DOMAIN_ADMIN)
    await refused(http, manager, DELETE_USER, {"email": "admin@lablup.com"}, as_=DOMAIN_ADMIN)
    await refused(http, manager, DELETE_USER, {"email": mine}, as_=USER)
    await refused(http, manager, DELETE_USER, {"email": "user@lablup.com"}, as_=USER)
    done = await data(http, manager, DELETE_USER, {"email": mine}, as_=DOMAIN_ADMIN)
    assert done["delete_user"]["ok"] is True


async def test_purge_user_removes_keypairs_and_memberships(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email, access_key, secret_key, user_uuid = await sql_user(manager, group_id=DEFAULT_GROUP)
    assert await can_sign_in(http, manager, access_key, secret_key)
    variables = {"email": email, "input": {"purge_shared_vfolders": False}}
    result = (await data(http, manager, PURGE_USER, variables))["purge_user"]
    assert result == {"ok": True, "msg": "success"}
    assert not await can_sign_in(http, manager, access_key, secret_key)
    async with manager.root.db.connect() as conn:
        for table, column in (
            (users, users.c.uuid),
            (keypairs, keypairs.c.user),
            (association_groups_users, association_groups_users.c.user_id),
        ):
            count = await conn.execute(
                sa.select(sa.func.count()).select_from(table).where(column == user_uuid)
            )
            assert count.scalar_one() == 0, table.name


async def test_purge_user_refuses_live_sessions_and_owned_folders(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email, access_key, _, user_uuid = await sql_user(manager, group_id=DEFAULT_GROUP)
    async with manager.root.db.begin() as conn:
        sgroup = (
            await conn.execute(
                sa.select(scaling_groups.c.id, scaling_groups.c.name).where(
                    scaling_groups.c.name == "default"
                )
            )
        ).one()
        domain_id = (
            await conn.execute(sa.select(domains.c.id).where(domains.c.name == "default"))
        ).scalar_one()
        session_id = (
            await conn.execute(
                sa.insert(sessions)
                .values(
                    name="purge-blocker",
                    resource_group_id=sgroup.id,
                    scaling_group_name=sgroup.name,
                    domain_name="default",
                    domain_id=domain_id,
                    group_id=DEFAULT_GROUP,
                    user_uuid=user_uuid,
                    access_key=access_key,
                    status="RUNNING",
                )
                .returning(sessions.c.id)
            )
        ).scalar_one()
    variables = {"email": email, "input": {"purge_shared_vfolders": False}}
    result = (await data(http, manager, PURGE_USER, variables))["purge_user"]
    assert result["ok"] is False and "live session" in result["msg"]
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(sessions).where(sessions.c.id == session_id).values(status="TERMINATED")
        )
        await conn.execute(
            sa.insert(vfolders).values(
                host="local:volume1",
                domain_name="default",
                quota_scope_id=f"user:{user_uuid}",
                name="owned",
                user=user_uuid,
            )
        )
    for purge_shared in (False, True):
        variables = {"email": email, "input": {"purge_shared_vfolders": purge_shared}}
        result = (await data(http, manager, PURGE_USER, variables))["purge_user"]
        assert result["ok"] is False and "virtual folder" in result["msg"]
    async with manager.root.db.connect() as conn:
        still = await conn.execute(sa.select(users.c.email).where(users.c.uuid == user_uuid))
        assert still.scalar_one() == email


async def test_purge_user_role_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, _ = await other_domain(manager)
    stranger, *_ = await sql_user(manager, domain=domain)
    mine, *_ = await sql_user(manager)
    props = {"purge_shared_vfolders": False}
    for email, who in ((stranger, DOMAIN_ADMIN), ("admin@lablup.com", DOMAIN_ADMIN), (mine, USER)):
        await refused(http, manager, PURGE_USER, {"email": email, "input": props}, as_=who)
    done = await data(http, manager, PURGE_USER, {"email": mine, "input": props}, as_=DOMAIN_ADMIN)
    assert done["purge_user"]["ok"] is True


# --- keypairs -----------------------------------------------------------------------------------


async def test_keypair_list_shows_owner_projects_and_pages(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    page = (await data(http, manager, KEYPAIR_LIST, {"limit": 100, "offset": 0}))["keypair_list"]
    assert page["total_count"] == len(page["items"])
    by_key = {k["access_key"]: k for k in page["items"]}
    user = by_key[USER_ACCESS_KEY]
    assert user["user_id"] == "user@lablup.com"
    assert user["user_info"]["full_name"]
    assert "default" in user["projects"]
    assert user["secret_key"] == USER_SECRET_KEY
    only = await data(
        http, manager, KEYPAIR_LIST, {"limit": 100, "offset": 0, "email": "user2@lablup.com"}
    )
    assert {k["user_id"] for k in only["keypair_list"]["items"]} == {"user2@lablup.com"}
    small = await data(http, manager, KEYPAIR_LIST, {"limit": 1, "offset": 1})
    assert len(small["keypair_list"]["items"]) == 1
    assert small["keypair_list"]["total_count"] == page["total_count"]


async def test_keypair_list_scope_and_secret_keys_by_role(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, _ = await other_domain(manager)
    _, stranger_key, _, _ = await sql_user(manager, domain=domain)
    page = await data(http, manager, KEYPAIR_LIST, {"limit": 100, "offset": 0}, as_=DOMAIN_ADMIN)
    by_key = {k["access_key"]: k for k in page["keypair_list"]["items"]}
    assert stranger_key not in by_key
    assert by_key[ADMIN_ACCESS_KEY]["secret_key"] != ADMIN_SECRET_KEY
    assert by_key[USER_ACCESS_KEY]["secret_key"] == USER_SECRET_KEY
    vars_ = {"limit": 10, "offset": 0, "domain_name": domain}
    await refused(http, manager, KEYPAIR_LIST, vars_, as_=DOMAIN_ADMIN)
    await refused(http, manager, KEYPAIR_LIST, {"limit": 10, "offset": 0}, as_=USER)
    await refused(http, manager, "query { keypairs { access_key } }", as_=USER)


async def test_keypairs_legacy_list(http: aiohttp.ClientSession, manager: RunningManager) -> None:
    query = (
        "query($email: String!, $is_active: Boolean) { keypairs(email: $email,"
        " is_active: $is_active) { user_id access_key secret_key is_active is_admin created_at } }"
    )
    found = await data(http, manager, query, {"email": "user@lablup.com", "is_active": True})
    assert [k["access_key"] for k in found["keypairs"]] == [USER_ACCESS_KEY]


async def test_own_keypair_still_works_for_users(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    query = "query { keypair { " + KEYPAIR_FIELDS + " } }"
    own = (await data(http, manager, query, as_=USER))["keypair"]
    assert own["access_key"] == USER_ACCESS_KEY and own["is_admin"] is False
    assert own["secret_key"] == USER_SECRET_KEY


async def test_create_keypair_for_a_user_by_email(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email, *_ = await sql_user(manager)
    variables = {
        "user_id": email,
        "input": {
            "is_active": True,
            "is_admin": False,
            "resource_policy": "default",
            "rate_limit": 5000,
        },
    }
    result = (await data(http, manager, CREATE_KEYPAIR, variables))["create_keypair"]
    assert result["ok"] is True, result
    created = result["keypair"]
    assert created["access_key"].startswith("AKIA") and len(created["access_key"]) == 20
    assert await can_sign_in(http, manager, created["access_key"], created["secret_key"])
    query = "query { keypair { rate_limit user_id resource_policy } }"
    mine = await data(
        http,
        manager,
        query,
        as_={"access_key": created["access_key"], "secret_key": created["secret_key"]},
    )
    assert mine["keypair"] == {"rate_limit": 5000, "user_id": email, "resource_policy": "default"}
    missing = {"user_id": "nobody@x", "input": variables["input"]}
    assert (await data(http, manager, CREATE_KEYPAIR, missing))["create_keypair"]["ok"] is False
    bad_policy = {"user_id": email, "input": {**variables["input"], "resource_policy": "nope"}}
    failed = (await data(http, manager, CREATE_KEYPAIR, bad_policy))["create_keypair"]
    assert failed["ok"] is False and "nope" in failed["msg"]


async def test_create_keypair_role_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, _ = await other_domain(manager)
    stranger, *_ = await sql_user(manager, domain=domain)
    mine, *_ = await sql_user(manager)
    props = {"is_active": True, "is_admin": False, "resource_policy": "default", "rate_limit": 1}
    ok = await data(
        http, manager, CREATE_KEYPAIR, {"user_id": mine, "input": props}, as_=DOMAIN_ADMIN
    )
    assert ok["create_keypair"]["ok"] is True
    for target, who in ((stranger, DOMAIN_ADMIN), ("admin@lablup.com", DOMAIN_ADMIN), (mine, USER)):
        await refused(http, manager, CREATE_KEYPAIR, {"user_id": target, "input": props}, as_=who)


async def test_modify_keypair_takes_effect_at_once(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    _, access_key, secret_key, _ = await sql_user(manager)
    assert await can_sign_in(http, manager, access_key, secret_key)  # cached now
    variables = {"access_key": access_key, "input": {"is_active": False}}
    result = (await data(http, manager, MODIFY_KEYPAIR, variables))["modify_keypair"]
    assert result == {"ok": True, "msg": "success"}
    assert not await can_sign_in(http, manager, access_key, secret_key)
    variables = {"access_key": access_key, "input": {"is_active": True, "rate_limit": 77}}
    assert (await data(http, manager, MODIFY_KEYPAIR, variables))["modify_keypair"]["ok"]
    assert await can_sign_in(http, manager, access_key, secret_key)
    missing = {"access_key": "AKIANOSUCHKEY0000000", "input": {"rate_limit": 1}}
    assert (await data(http, manager, MODIFY_KEYPAIR, missing))["modify_keypair"]["ok"] is False


async def test_modify_keypair_role_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    domain, _ = await other_domain(manager)
    _, stranger_key, _, _ = await sql_user(manager, domain=domain)
    _, mine_key, _, _ = await sql_user(manager)
    props = {"rate_limit": 123}
    ok = await data(
        http, manager, MODIFY_KEYPAIR, {"access_key": mine_key, "input": props}, as_=DOMAIN_ADMIN
    )
    assert ok["modify_keypair"]["ok"] is True
    for key, who in (
        (stranger_key, DOMAIN_ADMIN),
        (ADMIN_ACCESS_KEY, DOMAIN_ADMIN),
        (mine_key, USER),
        (USER_ACCESS_KEY, USER),
    ):
        await refused(http, manager, MODIFY_KEYPAIR, {"access_key": key, "input": props}, as_=who)


async def test_delete_keypair_and_its_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    email, main_key, _, _ = await sql_user(manager)
    props = {"is_active": True, "is_admin": False, "resource_policy": "default", "rate_limit": 9}
    created = await data(http, manager, CREATE_KEYPAIR, {"user_id": email, "input": props})
    extra = created["create_keypair"]["keypair"]
    assert await can_sign_in(http, manager, extra["access_key"], extra["secret_key"])
    main = (await data(http, manager, DELETE_KEYPAIR, {"access_key": main_key}))["delete_keypair"]
    assert main["ok"] is False and "main access key" in main["msg"]
    domain, _ = await other_domain(manager)
    _, stranger_key, _, _ = await sql_user(manager, domain=domain)
    await refused(http, manager, DELETE_KEYPAIR, {"access_key": stranger_key}, as_=DOMAIN_ADMIN)
    await refused(http, manager, DELETE_KEYPAIR, {"access_key": ADMIN_ACCESS_KEY}, as_=DOMAIN_ADMIN)
    await refused(http, manager, DELETE_KEYPAIR, {"access_key": extra["access_key"]}, as_=USER)
    done = await data(
        http, manager, DELETE_KEYPAIR, {"access_key": extra["access_key"]}, as_=DOMAIN_ADMIN
    )
    assert done["delete_keypair"] == {"ok": True, "msg": "success"}
    assert not await can_sign_in(http, manager, extra["access_key"], extra["secret_key"])
    again = await data(http, manager, DELETE_KEYPAIR, {"access_key": extra["access_key"]})
    assert again["delete_keypair"]["ok"] is False


# --- no N+1 -------------------------------------------------------------------------------------


async def test_list_pages_cost_a_constant_number_of_statements(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    for _ in range(60):
        await sql_user(manager, group_id=DEFAULT_GROUP)
    costs: dict[tuple[str, int], int] = {}
    for name, query in (("user_list", USER_LIST), ("keypair_list", KEYPAIR_LIST)):
        for limit in (5, 50):
            await data(http, manager, query, {"limit": limit, "offset": 0})  # warm the caches
            # the fewest of three runs: background work (usage flushes, credential lookups)
            # shares the engine and can only add statements
            runs = []
            for _ in range(3):
                with counted_statements(manager) as statements:
                    page = await data(http, manager, query, {"limit": limit, "offset": 0})
                assert len(page[name]["items"]) == limit
                runs.append(len(statements))
            costs[(name, limit)] = min(runs)
    assert costs[("user_list", 5)] == costs[("user_list", 50)], costs
    assert costs[("keypair_list", 5)] == costs[("keypair_list", 50)], costs
    assert max(costs.values()) <= 8, costs


# --- resource policies --------------------------------------------------------------------------

KP_POLICY_FIELDS = (
    "name created_at total_resource_slots max_concurrent_sessions idle_timeout"
    " max_containers_per_session allowed_vfolder_hosts max_session_lifetime"
    " max_pending_session_count max_pending_session_resource_slots max_concurrent_sftp_sessions"
)
CREATE_KP_POLICY = (
    "mutation($name: String!, $input: CreateKeyPairResourcePolicyInput!) {"
    " create_keypair_resource_policy(name: $name, props: $input) { ok msg resource_policy"
    " { name } } }"
)
MODIFY_KP_POLICY = (
    "mutation($name: String!, $input: ModifyKeyPairResourcePolicyInput!) {"
    " modify_keypair_resource_policy(name: $name, props: $input) { ok msg } }"
)
DELETE_KP_POLICY = (
    "mutation($name: String!) { delete_keypair_resource_policy(name: $name) { ok msg } }"
)


def _kp_policy_input(**extra: Any) -> dict[str, Any]:
    return {
        "default_for_unspecified": "UNLIMITED",
        "total_resource_slots": '{"cpu": "4", "mem": 1073741824}',
        "max_session_lifetime": 0,
        "max_concurrent_sessions": 30,
        "max_concurrent_sftp_sessions": 30,
        "max_containers_per_session": 1,
        "idle_timeout": 1800,
        "allowed_vfolder_hosts": '{"local:volume1": ["mount-in-session"]}',
        "max_pending_session_count": None,
        "max_pending_session_resource_slots": None,
        **extra,
    }


async def test_keypair_resource_policy_lifecycle(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    name = unique("kpp")
    created = await data(
        http, manager, CREATE_KP_POLICY, {"name": name, "input": _kp_policy_input()}
    )
    assert created["create_keypair_resource_policy"] == {
        "ok": True,
        "msg": "success",
        "resource_policy": {"name": name},
    }
    dup = await data(http, manager, CREATE_KP_POLICY, {"name": name, "input": _kp_policy_input()})
    assert dup["create_keypair_resource_policy"]["ok"] is False
    query = (
        "query($name: String) { keypair_resource_policy(name: $name) { " + KP_POLICY_FIELDS + " } }"
    )
    policy = (await data(http, manager, query, {"name": name}))["keypair_resource_policy"]
    assert json.loads(policy["total_resource_slots"]) == {"cpu": "4", "mem": "1073741824"}
    assert json.loads(policy["allowed_vfolder_hosts"]) == {"local:volume1": ["mount-in-session"]}
    assert policy["max_pending_session_resource_slots"] is None
    listed = await data(
        http, manager, "query { keypair_resource_policies { " + KP_POLICY_FIELDS + " } }"
    )
    assert name in {p["name"] for p in listed["keypair_resource_policies"]}
    modified = await data(
        http, manager, MODIFY_KP_POLICY, {"name": name, "input": {"max_concurrent_sessions": 3}}
    )
    assert modified["modify_keypair_resource_policy"]["ok"] is True
    policy = (await data(http, manager, query, {"name": name}))["keypair_resource_policy"]
    assert policy["max_concurrent_sessions"] == 3
    assert policy["idle_timeout"] == 1800
    bad = await data(
        http, manager, MODIFY_KP_POLICY, {"name": name, "input": {"total_resource_slots": "{"}}
    )
    assert bad["modify_keypair_resource_policy"]["ok"] is False
    email, *_ = await sql_user(manager)
    props = {"is_active": True, "is_admin": False, "resource_policy": name, "rate_limit": 1}
    made = await data(http, manager, CREATE_KEYPAIR, {"user_id": email, "input": props})
    kp = made["create_keypair"]["keypair"]
    in_use = await data(http, manager, DELETE_KP_POLICY, {"name": name})
    assert in_use["delete_keypair_resource_policy"]["ok"] is False
    assert "still used" in in_use["delete_keypair_resource_policy"]["msg"]
    await data(http, manager, DELETE_KEYPAIR, {"access_key": kp["access_key"]})
    gone = await data(http, manager, DELETE_KP_POLICY, {"name": name})
    assert gone["delete_keypair_resource_policy"] == {"ok": True, "msg": "success"}
    assert (await data(http, manager, query, {"name": name}))["keypair_resource_policy"] is None
    again = await data(http, manager, DELETE_KP_POLICY, {"name": name})
    assert again["delete_keypair_resource_policy"]["ok"] is False


async def test_user_and_project_resource_policy_lifecycle(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    for kind, fields, values in (
        (
            "user",
            "name max_vfolder_count max_quota_scope_size max_session_count_per_model_session"
            " max_customized_image_count",
            {
                "max_vfolder_count": 5,
                "max_quota_scope_size": -1,
                "max_session_count_per_model_session": 2,
                "max_customized_image_count": 3,
            },
        ),
        (
            "project",
            "name max_vfolder_count max_quota_scope_size max_network_count",
            {"max_vfolder_count": 5, "max_quota_scope_size": 1000, "max_network_count": 2},
        ),
    ):
        title = kind.capitalize()
        name = unique(f"{kind}p")
        create = (
            f"mutation($name: String!, $input: Create{title}ResourcePolicyInput!) {{"
            f" create_{kind}_resource_policy(name: $name, props: $input) {{ ok msg }} }}"
        )
        modify = (
            f"mutation($name: String!, $input: Modify{title}ResourcePolicyInput!) {{"
            f" modify_{kind}_resource_policy(name: $name, props: $input) {{ ok msg }} }}"
        )
        delete = (
            f"mutation($name: String!) {{ delete_{kind}_resource_policy(name: $name)"
            " { ok msg } }"
        )
        one = f"query($name: String!) {{ {kind}_resource_policy(name: $name) {{ {fields} }} }}"
        many = f"query {{ {kind}_resource_policies {{ {fields} }} }}"
        result = await data(http, manager, create, {"name": name, "input": values})
        assert result[f"create_{kind}_resource_policy"]["ok"] is True, result
        found = (await data(http, manager, one, {"name": name}))[f"{kind}_resource_policy"]
        assert found == {"name": name, **values}
        listed = (await data(http, manager, many))[f"{kind}_resource_policies"]
        assert name in {p["name"] for p in listed}
        changed = await data(
            http, manager, modify, {"name": name, "input": {"max_vfolder_count": 9}}
        )
        assert changed[f"modify_{kind}_resource_policy"]["ok"] is True
        found = (await data(http, manager, one, {"name": name}))[f"{kind}_resource_policy"]
        assert found["max_vfolder_count"] == 9
        negative = await data(
            http, manager, modify, {"name": name, "input": {"max_vfolder_count": -3}}
        )
        assert negative[f"modify_{kind}_resource_policy"]["ok"] is False
        in_use = await data(http, manager, delete, {"name": "default"})
        assert in_use[f"delete_{kind}_resource_policy"]["ok"] is False
        for who in (DOMAIN_ADMIN, USER):
            await refused(http, manager, many, as_=who)
            await refused(http, manager, create, {"name": unique("x"), "input": values}, as_=who)
            await refused(http, manager, modify, {"name": name, "input": values}, as_=who)
            await refused(http, manager, delete, {"name": name}, as_=who)
        gone = await data(http, manager, delete, {"name": name})
        assert gone[f"delete_{kind}_resource_policy"] == {"ok": True, "msg": "success"}


async def test_keypair_resource_policy_role_boundaries(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    name = unique("kpp")
    other = unique("kpp-other")
    created = await data(
        http, manager, CREATE_KP_POLICY, {"name": other, "input": _kp_policy_input()}
    )
    assert created["create_keypair_resource_policy"]["ok"] is True
    for who in (DOMAIN_ADMIN, USER):
        await refused(
            http, manager, CREATE_KP_POLICY, {"name": name, "input": _kp_policy_input()}, as_=who
        )
        await refused(
            http,
            manager,
            MODIFY_KP_POLICY,
            {"name": "default", "input": {"idle_timeout": 1}},
            as_=who,
        )
        await refused(http, manager, DELETE_KP_POLICY, {"name": "default"}, as_=who)
        # reading a policy that none of one's own keypairs uses is for superadmins only
        message = await refused(
            http,
            manager,
            "query($n: String) { keypair_resource_policy(name: $n) { name } }",
            {"n": other},
            as_=who,
        )
        assert "own keypairs" in message


async def test_users_read_their_own_keypair_and_user_resource_policies(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    """As the reference: a user reads the policies of their own keypairs (listed, by name or
    without one) and their own user policy; domain admins list every keypair policy."""
    other = unique("kpp-other")
    await data(http, manager, CREATE_KP_POLICY, {"name": other, "input": _kp_policy_input()})
    own = await data(http, manager, "query { keypair_resource_policy { name } }", as_=USER)
    assert own == {"keypair_resource_policy": {"name": "default"}}
    named = await data(
        http,
        manager,
        'query { keypair_resource_policy(name: "default") { ' + KP_POLICY_FIELDS + " } }",
        as_=USER,
    )
    assert named["keypair_resource_policy"]["name"] == "default"
    listed = await data(http, manager, "query { keypair_resource_policies { name } }", as_=USER)
    assert listed == {"keypair_resource_policies": [{"name": "default"}]}
    everything = await data(
        http, manager, "query { keypair_resource_policies { name } }", as_=DOMAIN_ADMIN
    )
    assert {"name": other} in everything["keypair_resource_policies"]
    mine = await data(http, manager, "query { user_resource_policy { name } }", as_=USER)
    assert mine == {"user_resource_policy": {"name": "default"}}
    await data(http, manager, 'query { user_resource_policy(name: "default") { name } }', as_=USER)
    await refused(http, manager, "query { user_resource_policies { name } }", as_=USER)


# --- /auth ---------------------------------------------------------------------------------------


async def _rest(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    content_type: str = "application/json",
    extra_headers: dict[str, str] | None = None,
    **sign: str,
) -> tuple[int, Any]:
    headers = _headers(manager, method, path, content_type=content_type, **sign)
    headers.update(extra_headers or {})
    async with http.request(method, manager.base_url + path, headers=headers, data=body) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_ssh_keypair_generate_get_and_upload(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    _, access_key, secret_key, _ = await sql_user(manager)
    me = {"access_key": access_key, "secret_key": secret_key}
    status, body = await _rest(http, manager, "GET", "/auth/ssh-keypair", **me)
    assert status == 200 and body == {"ssh_public_key": None}
    status, generated = await _rest(http, manager, "PATCH", "/auth/ssh-keypair", **me)
    assert status == 200
    assert generated["ssh_public_key"].startswith("ssh-rsa ")
    assert "PRIVATE KEY" in generated["ssh_private_key"]
    status, body = await _rest(http, manager, "GET", "/auth/ssh-keypair", **me)
    assert body == {"ssh_public_key": generated["ssh_public_key"]}
    upload = json.dumps(
        {
            "pubkey": "ssh-ed25519 AAAAC3Nza test",
            "privkey": (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----"
            ),
        }
    ).encode()
    status, uploaded = await _rest(http, manager, "POST", "/auth/ssh-keypair", upload, **me)
    assert status == 200
    assert uploaded["ssh_public_key"] == "ssh-ed25519 AAAAC3Nza test\n"
    status, body = await _rest(http, manager, "GET", "/auth/ssh-keypair", **me)
    assert body == {"ssh_public_key": "ssh-ed25519 AAAAC3Nza test\n"}
    junk = json.dumps({"pubkey": "hello", "privkey": "world"}).encode()
    status, body = await _rest(http, manager, "POST", "/auth/ssh-keypair", junk, **me)
    assert status == 400 and "type" in body
    status, body = await _rest(http, manager, "POST", "/auth/ssh-keypair", b"{}", **me)
    assert status == 400


def _encrypt(endpoint: str, body: bytes) -> bytes:
    iv = secrets.token_hex(8).encode("ascii")
    key = (base64.b64encode(endpoint.encode("ascii")) + iv + iv)[:32]
    padder = padding.PKCS7(128).padder()
    padded = padder.update(body) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + b":" + base64.b64encode(encryptor.update(padded) + encryptor.finalize())


async def test_update_password_checks_the_old_one_and_the_repeat(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    _, access_key, secret_key, user_uuid = await sql_user(manager)
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(users)
            .where(users.c.uuid == user_uuid)
            .values(password=hash_password("old-pass", rounds=1000))
        )
    me = {"access_key": access_key, "secret_key": secret_key}

    def body(old: str, new: str, new2: str) -> bytes:
        return json.dumps(
            {"old_password": old, "new_password": new, "new_password2": new2}
        ).encode()

    status, problem = await _rest(
        http, manager, "POST", "/auth/update-password", body("wrong", "n1", "n1"), **me
    )
    assert status == 401 and "type" in problem
    status, problem = await _rest(
        http, manager, "POST", "/auth/update-password", body("old-pass", "n1", "n2"), **me
    )
    assert status == 400 and "mismatch" in problem["msg"]
    status, _ = await _rest(
        http, manager, "POST", "/auth/update-password", body("old-pass", "n1", "n1"), **me
    )
    assert status == 200
    encrypted = _encrypt(manager.base_url, body("n1", "n2", "n2"))
    status, _ = await _rest(
        http,
        manager,
        "POST",
        "/auth/update-password",
        encrypted,
        content_type="application/octet-stream",
        extra_headers={"X-BackendAI-Encoded": "true"},
        **me,
    )
    assert status == 200
    async with manager.root.db.connect() as conn:
        stored = (
            await conn.execute(sa.select(users.c.password).where(users.c.uuid == user_uuid))
        ).scalar_one()
    assert verify_password("n2", stored)
    assert stored.startswith("pbkdf2_sha256$")


@pytest.mark.parametrize("who", [ADMIN, USER])
async def test_update_password_needs_fields(
    http: aiohttp.ClientSession, manager: RunningManager, who: dict[str, str]
) -> None:
    status, problem = await _rest(http, manager, "POST", "/auth/update-password", b"{}", **who)
    assert status == 400 and "old_password" in problem["msg"]
