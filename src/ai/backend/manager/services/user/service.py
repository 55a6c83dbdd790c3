"""User administration: roles, the main keypair, memberships, soft and hard removal."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from typing import Any

from ai.backend.manager.actions.user import (
    CreateUserAction,
    DeleteUserAction,
    GetUserAction,
    ListUsersAction,
    ModifyUserAction,
    PurgeUserAction,
    UpdatePasswordAction,
)
from ai.backend.manager.data.user import (
    NewKeypair,
    UserCreateSpec,
    UserListFilter,
    UserModifySpec,
    UserRecord,
)
from ai.backend.manager.errors.base import AuthorizationFailed, PermissionDenied
from ai.backend.manager.errors.user import InvalidUserInput, PasswordMismatch, UserNotFound
from ai.backend.manager.repositories.keypair import KeypairCache
from ai.backend.manager.repositories.user import UserRepository
from ai.backend.manager.services.auth.password import hash_password, verify_password
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.user.access import (
    ADMIN_ROLES,
    admin_domain_scope,
    check_may_administer,
    scoped_domain,
)
from ai.backend.manager.services.user.credentials import (
    generate_api_keypair,
    generate_ssh_keypair,
)
from ai.backend.manager.types import UserRole, UserStatus

# Input keys stored as they are in the `users` columns of the same name.
_PLAIN_COLUMNS = frozenset(
    {
        "username",
        "full_name",
        "description",
        "need_password_change",
        "totp_activated",
        "sudo_session_enabled",
        "container_uid",
        "container_main_gid",
        "container_gids",
        "resource_policy",
        "domain_name",
    }
)


def _role(value: object) -> UserRole:
    try:
        return UserRole(str(value))
    except ValueError:
        allowed = ", ".join(r.value for r in UserRole)
        raise InvalidUserInput(f"Unknown role {value!r} (allowed: {allowed})") from None


def _status(value: object) -> UserStatus:
    try:
        return UserStatus(str(value))
    except ValueError:
        allowed = ", ".join(s.value for s in UserStatus)
        raise InvalidUserInput(f"Unknown status {value!r} (allowed: {allowed})") from None


def _networks(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidUserInput("allowed_client_ip must be a list of addresses or networks")
    try:
        return [str(ipaddress.ip_network(str(v), strict=False)) for v in value]
    except ValueError as e:
        raise InvalidUserInput(f"allowed_client_ip: {e}") from None


class UserService:
    def __init__(self, repository: UserRepository, keypair_cache: KeypairCache) -> None:
        self._repository = repository
        self._cache = keypair_cache

    async def list_users(self, action: ListUsersAction) -> tuple[list[UserRecord], int]:
        domain = scoped_domain(action.requester, action.domain_name, "list users")
        status = _status(action.status).value if action.status else None
        flt = UserListFilter(
            domain_name=domain,
            status=status,
            is_active=action.is_active,
            group_id=action.group_id,
            expression=action.filter,
        )
        return await self._repository.list_users(
            flt,
            limit=action.limit,
            offset=action.offset,
            order=action.order,
            with_total=action.limit is not None,
        )

    async def get_user(self, action: GetUserAction) -> UserRecord | None:
        requester = action.requester
        if action.email is None and action.user_uuid is None:
            return await self._repository.get_user(UserListFilter(user_uuid=requester.user_uuid))
        is_self = action.email == requester.email or action.user_uuid == requester.user_uuid
        if is_self:
            return await self._repository.get_user(UserListFilter(user_uuid=requester.user_uuid))
        domain = scoped_domain(requester, action.domain_name, "read other users")
        return await self._repository.get_user(
            UserListFilter(email=action.email, user_uuid=action.user_uuid, domain_name=domain)
        )

    async def create_user(self, action: CreateUserAction) -> UserRecord:
        requester = action.requester
        scope = admin_domain_scope(requester, "create users")
        props = action.props
        role = _role(props.get("role") or UserRole.USER.value)
        if scope is not None:
            if action.domain_name != scope:
                raise PermissionDenied(
                    "Domain administrators can only create users in their own domain"
                )
            if role == UserRole.SUPERADMIN:
                raise PermissionDenied("Only superadmins can create superadmins")
        if not action.email or "@" not in action.email:
            raise InvalidUserInput(f"{action.email!r} is not an email address")
        if not action.password:
            raise InvalidUserInput("A password is required")
        values: dict[str, Any] = {
            k: v for k, v in props.items() if k in _PLAIN_COLUMNS and v is not None
        }
        values.update(
            email=action.email,
            username=props.get("username") or action.email,
            domain_name=action.domain_name,
            role=role,
            status=_status(props.get("status") or UserStatus.ACTIVE.value),
            allowed_client_ip=_networks(props.get("allowed_client_ip")),
        )
        values.setdefault("resource_policy", "default")
        policy = await self._repository.default_keypair_policy()
        if policy is None:
            raise InvalidUserInput("No default keypair resource policy to give the new keypair")
        access_key, secret_key = generate_api_keypair()
        hashed, (ssh_public, ssh_private) = await asyncio.gather(
            asyncio.to_thread(hash_password, action.password),
            asyncio.to_thread(generate_ssh_keypair),
        )
        values["password"] = hashed
        spec = UserCreateSpec(
            values=values,
            group_ids=action.group_ids,
            keypair=NewKeypair(access_key, secret_key, ssh_public, ssh_private),
            keypair_is_admin=role.value in ADMIN_ROLES,
        )
        user_uuid = await self._repository.create_user(spec, policy)
        created = await self._repository.get_user(UserListFilter(user_uuid=user_uuid))
        assert created is not None
        return created

    async def _target(self, requester: AuthenticatedUser, email: str, what: str) -> UserRecord:
        admin_domain_scope(requester, what)
        target = await self._repository.get_user(UserListFilter(email=email))
        if target is None:
            raise UserNotFound(f"No user with email {email}")
        check_may_administer(
            requester, target_domain=target.domain_name, target_role=target.role, what=what
        )
        return target

    async def modify_user(self, action: ModifyUserAction) -> UserRecord:
        requester = action.requester
        target = await self._target(action.requester, action.email, "modify users")
        props = dict(action.props)
        values: dict[str, Any] = {
            k: v for k, v in props.items() if k in _PLAIN_COLUMNS and v is not None
        }
        if values.get("username") is None:
            values.pop("username", None)
        if values.get("domain_name") is None:
            values.pop("domain_name", None)
        sync_admin: bool | None = None
        if props.get("role") is not None:
            role = _role(props["role"])
            if role == UserRole.SUPERADMIN and not requester.is_superadmin:
                raise PermissionDenied("Only superadmins can grant the superadmin role")
            values["role"] = role
            sync_admin = role.value in ADMIN_ROLES
        if props.get("status") is not None:
            values["status"] = _status(props["status"])
        elif props.get("is_active") is not None:
            values["status"] = UserStatus.ACTIVE if props["is_active"] else UserStatus.INACTIVE
        if "allowed_client_ip" in props:
            values["allowed_client_ip"] = _networks(props["allowed_client_ip"])
        if (
            "domain_name" in values
            and values["domain_name"] != target.domain_name
            and not requester.is_superadmin
        ):
            raise PermissionDenied("Only superadmins can move users to another domain")
        if props.get("password"):
            values["password"] = await asyncio.to_thread(hash_password, props["password"])
            values["need_password_change"] = bool(props.get("need_password_change", False))
        group_ids = props.get("group_ids")
        spec = UserModifySpec(
            values=values,
            group_ids=tuple(uuid.UUID(str(g)) for g in group_ids)
            if group_ids is not None
            else None,
            main_access_key=props.get("main_access_key"),
            sync_keypair_admin=sync_admin,
        )
        access_keys = await self._repository.modify_user(target.uuid, spec)
        await self._cache.invalidate(*access_keys)
        modified = await self._repository.get_user(UserListFilter(user_uuid=target.uuid))
        if modified is None:
            raise UserNotFound(f"No user with email {action.email}")
        return modified

    async def delete_user(self, action: DeleteUserAction) -> None:
        target = await self._target(action.requester, action.email, "delete users")
        if target.uuid == action.requester.user_uuid:
            raise PermissionDenied("You cannot delete your own account")
        removal = await self._repository.deactivate_user(target.uuid)
        await self._cache.invalidate(*removal.access_keys)

    async def purge_user(self, action: PurgeUserAction) -> None:
        target = await self._target(action.requester, action.email, "purge users")
        if target.uuid == action.requester.user_uuid:
            raise PermissionDenied("You cannot purge your own account")
        removal = await self._repository.purge_user(
            target.uuid, purge_owned_folders=action.purge_shared_vfolders
        )
        await self._cache.invalidate(*removal.access_keys)

    async def update_password(self, action: UpdatePasswordAction) -> None:
        requester = action.requester
        stored = await self._repository.get_password_hash(requester.user_uuid)
        if not await asyncio.to_thread(verify_password, action.old_password, stored):
            raise AuthorizationFailed("The old password is not correct")
        if action.new_password != action.new_password_confirm:
            raise PasswordMismatch("new password mismatch")
        if not action.new_password:
            raise InvalidUserInput("The new password must not be empty")
        hashed = await asyncio.to_thread(hash_password, action.new_password)
        await self._repository.set_password_hash(requester.user_uuid, hashed)
