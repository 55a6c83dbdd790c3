"""Resource policies: superadmins define them; a policy in use cannot be deleted."""

from __future__ import annotations

from typing import Any

from ai.backend.manager.actions.resource_policy import (
    CreateResourcePolicyAction,
    DeleteResourcePolicyAction,
    ListResourcePoliciesAction,
    ModifyResourcePolicyAction,
)
from ai.backend.manager.data.resource_policy import PolicyRow
from ai.backend.manager.errors.base import PermissionDenied
from ai.backend.manager.errors.resource_policy import (
    InvalidResourcePolicyInput,
    ResourcePolicyNotFound,
)
from ai.backend.manager.repositories.resource_policy import PolicyKind, ResourcePolicyRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser

# What a new policy gets for a limit the request leaves out.
_CREATE_DEFAULTS: dict[PolicyKind, dict[str, Any]] = {
    PolicyKind.KEYPAIR: {
        "max_concurrent_sessions": 30,
        "max_containers_per_session": 1,
        "idle_timeout": 1800,
    },
    PolicyKind.USER: {
        "max_vfolder_count": 0,
        "max_quota_scope_size": -1,
        "max_session_count_per_model_session": 10,
    },
    PolicyKind.PROJECT: {
        "max_vfolder_count": 0,
        "max_quota_scope_size": -1,
        "max_network_count": 3,
    },
}

# Limits that must not be negative (-1 means "unlimited" for quota sizes only).
_NON_NEGATIVE = frozenset(
    {
        "max_concurrent_sessions",
        "max_containers_per_session",
        "idle_timeout",
        "max_session_lifetime",
        "max_concurrent_sftp_sessions",
        "max_pending_session_count",
        "max_vfolder_count",
        "max_session_count_per_model_session",
        "max_customized_image_count",
        "max_network_count",
    }
)


def _require_superadmin(requester: AuthenticatedUser, kind: PolicyKind, what: str) -> None:
    if not requester.is_superadmin:
        raise PermissionDenied(f"Only superadmins can {what} {kind.value} resource policies")


def _checked(kind: PolicyKind, values: dict[str, Any]) -> dict[str, Any]:
    columns = ResourcePolicyRepository.settable_fields(kind)
    unknown = set(values) - columns
    if unknown:
        raise InvalidResourcePolicyInput(
            f"Unknown {kind.value} resource policy fields: {', '.join(sorted(unknown))}"
        )
    for key, value in values.items():
        if key in _NON_NEGATIVE and isinstance(value, int) and value < 0:
            raise InvalidResourcePolicyInput(f"{key} must not be negative")
    return values


class ResourcePolicyService:
    def __init__(self, repository: ResourcePolicyRepository) -> None:
        self._repository = repository

    async def list_policies(self, action: ListResourcePoliciesAction) -> list[PolicyRow]:
        requester, kind = action.requester, action.kind
        if action.mine:
            return await self._repository.list(kind, name=await self._own(requester, kind))
        if requester.is_superadmin:
            return await self._repository.list(kind, name=action.name)
        if kind is PolicyKind.KEYPAIR:
            # the policies of one's own keypairs; domain admins may list every one
            own = await self._repository.keypair_policies_of(requester.user_uuid)
            if action.name is None:
                if requester.role == "admin":
                    return await self._repository.list(kind)
                return await self._repository.list(kind, names=own)
            if action.name in own:
                return await self._repository.list(kind, name=action.name)
            raise PermissionDenied(
                "Only superadmins can read keypair resource policies other than those of"
                " their own keypairs"
            )
        if (
            kind is PolicyKind.USER
            and action.name is not None
            and action.name == await self._repository.user_policy_of(requester.user_uuid)
        ):
            return await self._repository.list(kind, name=action.name)
        _require_superadmin(requester, kind, "read")
        return await self._repository.list(kind, name=action.name)

    async def _own(self, requester: AuthenticatedUser, kind: PolicyKind) -> str:
        """The name of the requester's own policy of this kind."""
        match kind:
            case PolicyKind.KEYPAIR:
                return requester.resource_policy
            case PolicyKind.USER:
                name = await self._repository.user_policy_of(requester.user_uuid)
                if name is None:
                    raise ResourcePolicyNotFound("Your account has no user resource policy")
                return name
        raise InvalidResourcePolicyInput(f"Name the {kind.value} resource policy to read")

    async def create_policy(self, action: CreateResourcePolicyAction) -> PolicyRow:
        _require_superadmin(action.requester, action.kind, "create")
        if not action.name.strip() or len(action.name) > 256:
            raise InvalidResourcePolicyInput("A policy name must have 1 to 256 characters")
        values = {**_CREATE_DEFAULTS[action.kind], **_checked(action.kind, action.values)}
        return await self._repository.create(action.kind, action.name, values)

    async def modify_policy(self, action: ModifyResourcePolicyAction) -> None:
        _require_superadmin(action.requester, action.kind, "modify")
        values = _checked(action.kind, action.values)
        if not await self._repository.update(action.kind, action.name, values):
            raise ResourcePolicyNotFound(
                f"No {action.kind.value} resource policy named {action.name}"
            )

    async def delete_policy(self, action: DeleteResourcePolicyAction) -> None:
        _require_superadmin(action.requester, action.kind, "delete")
        if not await self._repository.delete(action.kind, action.name):
            raise ResourcePolicyNotFound(
                f"No {action.kind.value} resource policy named {action.name}"
            )
