"""Keypair rules: who may read or change which keypair."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from ai.backend.manager.actions.keypair import (
    CreateKeypairAction,
    DeleteKeypairAction,
    GenerateSSHKeypairAction,
    GetKeypairAction,
    GetSSHKeypairAction,
    ListKeypairsAction,
    ModifyKeypairAction,
    SSHKeypair,
    UploadSSHKeypairAction,
)
from ai.backend.manager.data.keypair import (
    KeypairCreateSpec,
    KeypairDetail,
    KeypairListFilter,
)
from ai.backend.manager.errors.base import ObjectNotFound, PermissionDenied
from ai.backend.manager.errors.keypair import InvalidKeypairInput, KeypairNotFound
from ai.backend.manager.errors.user import UserNotFound
from ai.backend.manager.repositories.keypair import (
    KeypairAdminRepository,
    KeypairCache,
)
from ai.backend.manager.repositories.user import UserRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.user.access import (
    check_may_administer,
    scoped_domain,
)
from ai.backend.manager.services.user.credentials import (
    generate_api_keypair,
    generate_ssh_keypair,
)

_MODIFIABLE = frozenset({"is_active", "is_admin", "resource_policy", "rate_limit"})


def _visible(requester: AuthenticatedUser, detail: KeypairDetail) -> KeypairDetail:
    """Hide the secret key of a superadmin's keypair from anyone but superadmins and its owner."""
    if requester.is_superadmin or detail.user_uuid == requester.user_uuid:
        return detail
    if detail.user_role == "superadmin":
        return dataclasses.replace(detail, secret_key="")
    return detail


class KeypairService:
    def __init__(
        self,
        admin_repository: KeypairAdminRepository,
        users: UserRepository,
        cache: KeypairCache,
    ) -> None:
        self._admin = admin_repository
        self._users = users
        self._cache = cache

    async def get_keypair(self, action: GetKeypairAction) -> KeypairDetail:
        requester = action.requester
        access_key = action.access_key or requester.access_key
        detail = await self._admin.get(access_key)
        if access_key != requester.access_key:
            allowed = requester.is_superadmin or (
                requester.role == "admin"
                and detail is not None
                and detail.domain_name == requester.domain_name
            )
            if not allowed:
                raise PermissionDenied("Only administrators can read another user's keypair")
        if detail is None:
            raise ObjectNotFound(f"No keypair with access key {access_key}")
        return _visible(requester, detail)

    async def list_keypairs(self, action: ListKeypairsAction) -> tuple[list[KeypairDetail], int]:
        requester = action.requester
        domain = scoped_domain(requester, action.domain_name, "list keypairs")
        found, total = await self._admin.list_keypairs(
            KeypairListFilter(
                domain_name=domain,
                email=action.email,
                is_active=action.is_active,
                expression=action.filter,
            ),
            limit=action.limit,
            offset=action.offset,
            order=action.order,
            with_total=action.limit is not None,
        )
        return [_visible(requester, d) for d in found], total

    async def _owned(self, requester: AuthenticatedUser, access_key: str, what: str) -> None:
        """Check that the requester may administer the keypair `access_key`."""
        scoped_domain(requester, None, what)
        detail = await self._admin.get(access_key)
        if detail is None:
            raise KeypairNotFound(f"No keypair with access key {access_key}")
        check_may_administer(
            requester, target_domain=detail.domain_name, target_role=detail.user_role, what=what
        )

    async def create_keypair(self, action: CreateKeypairAction) -> KeypairDetail:
        requester = action.requester
        scoped_domain(requester, None, "create keypairs")
        target = await self._users.verify_target(action.user_email)
        if target is None:
            raise UserNotFound(f"No user with email {action.user_email}")
        user_uuid, domain_name, role = target
        check_may_administer(
            requester, target_domain=domain_name, target_role=role, what="create keypairs"
        )
        if action.rate_limit < 0:
            raise InvalidKeypairInput("rate_limit must not be negative")
        access_key, secret_key = generate_api_keypair()
        ssh_public, ssh_private = await asyncio.to_thread(generate_ssh_keypair)
        await self._admin.create(
            KeypairCreateSpec(
                user_uuid=user_uuid,
                access_key=access_key,
                secret_key=secret_key,
                is_active=action.is_active,
                is_admin=action.is_admin,
                resource_policy=action.resource_policy,
                rate_limit=action.rate_limit,
                ssh_public_key=ssh_public,
                ssh_private_key=ssh_private,
            )
        )
        created = await self._admin.get(access_key)
        assert created is not None
        return created

    async def modify_keypair(self, action: ModifyKeypairAction) -> None:
        await self._owned(action.requester, action.access_key, "modify keypairs")
        values: dict[str, Any] = {
            k: v for k, v in action.props.items() if k in _MODIFIABLE and v is not None
        }
        if values.get("rate_limit", 0) < 0:
            raise InvalidKeypairInput("rate_limit must not be negative")
        if not await self._admin.update(action.access_key, values):
            raise KeypairNotFound(f"No keypair with access key {action.access_key}")
        await self._invalidate(action.access_key)

    async def delete_keypair(self, action: DeleteKeypairAction) -> None:
        await self._owned(action.requester, action.access_key, "delete keypairs")
        if not await self._admin.delete(action.access_key):
            raise KeypairNotFound(f"No keypair with access key {action.access_key}")
        await self._invalidate(action.access_key)

    async def _invalidate(self, access_key: str) -> None:
        await self._cache.invalidate(access_key)

    async def get_ssh_keypair(self, action: GetSSHKeypairAction) -> SSHKeypair:
        public, _ = await self._admin.get_ssh_keypair(action.requester.access_key)
        return SSHKeypair(public_key=public, private_key=None)

    async def generate_ssh_keypair(self, action: GenerateSSHKeypairAction) -> SSHKeypair:
        public, private = await asyncio.to_thread(generate_ssh_keypair)
        await self._admin.set_ssh_keypair(action.requester.access_key, public, private)
        return SSHKeypair(public_key=public, private_key=private)

    async def upload_ssh_keypair(self, action: UploadSSHKeypairAction) -> SSHKeypair:
        public = action.public_key.rstrip()
        private = action.private_key.rstrip()
        if not public or not private:
            raise InvalidKeypairInput("Both `pubkey` and `privkey` are required")
        if not public.startswith(("ssh-", "ecdsa-", "sk-")):
            raise InvalidKeypairInput("`pubkey` is not an OpenSSH public key")
        if "PRIVATE KEY" not in private:
            raise InvalidKeypairInput("`privkey` is not a PEM or OpenSSH private key")
        public, private = public + "\n", private + "\n"
        await self._admin.set_ssh_keypair(action.requester.access_key, public, private)
        return SSHKeypair(public_key=public, private_key=private)
