"""Scaling group operations and who may run them."""

from __future__ import annotations

from ai.backend.manager.actions.scaling_group import (
    AssociateScalingGroupWithDomainAction,
    AssociateScalingGroupWithGroupAction,
    AssociateScalingGroupWithKeypairAction,
    CreateScalingGroupAction,
    DeleteScalingGroupAction,
    DisassociateScalingGroupWithDomainAction,
    DisassociateScalingGroupWithGroupAction,
    DisassociateScalingGroupWithKeypairAction,
    GetScalingGroupAction,
    ListAvailableScalingGroupsAction,
    ListScalingGroupsAction,
    ModifyScalingGroupAction,
)
from ai.backend.manager.data.scaling_group import (
    AssociationTarget,
    ScalingGroupRecord,
)
from ai.backend.manager.errors.base import PermissionDenied
from ai.backend.manager.errors.group import GroupNotFound
from ai.backend.manager.errors.scaling_group import ScalingGroupConflict, ScalingGroupNotFound
from ai.backend.manager.repositories.scaling_group import ScalingGroupRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.domain.service import check_length
from ai.backend.manager.sokovan.scheduler.types import QueuePolicy

_SCHEDULERS = frozenset(policy.value for policy in QueuePolicy)


def _require_superadmin(requester: AuthenticatedUser) -> None:
    if not requester.is_superadmin:
        raise PermissionDenied("Only superadmins can manage scaling groups")


def _check_lengths(
    name: str | None,
    description: str | None,
    driver: str | None,
    wsproxy_addr: str | None,
    wsproxy_api_token: str | None,
) -> None:
    check_length(name, "name", 64)
    check_length(description, "description", 512)
    check_length(driver, "driver", 64)
    check_length(wsproxy_addr, "wsproxy_addr", 1024)
    check_length(wsproxy_api_token, "wsproxy_api_token", 128)


def _check_scheduler(scheduler: str | None) -> None:
    if scheduler is not None and scheduler not in _SCHEDULERS:
        known = ", ".join(sorted(_SCHEDULERS))
        raise ScalingGroupConflict(f"Unknown scheduler {scheduler!r} (known: {known})")


class ScalingGroupService:
    def __init__(self, repository: ScalingGroupRepository) -> None:
        self._repository = repository

    async def list_scaling_groups(
        self, action: ListScalingGroupsAction
    ) -> list[ScalingGroupRecord]:
        _require_superadmin(action.requester)
        return await self._repository.search(action.is_active)

    async def get_scaling_group(self, action: GetScalingGroupAction) -> ScalingGroupRecord | None:
        _require_superadmin(action.requester)
        if action.name is None:
            return None
        return await self._repository.get(action.name)

    async def create_scaling_group(self, action: CreateScalingGroupAction) -> ScalingGroupRecord:
        _require_superadmin(action.requester)
        spec = action.spec
        if not spec.name.strip():
            raise ScalingGroupConflict("A scaling group needs a non-empty name")
        if not spec.driver.strip() or not spec.scheduler.strip():
            raise ScalingGroupConflict("A scaling group needs a driver and a scheduler")
        _check_scheduler(spec.scheduler)
        _check_lengths(
            spec.name, spec.description, spec.driver, spec.wsproxy_addr, spec.wsproxy_api_token
        )
        return await self._repository.create(spec)

    async def modify_scaling_group(self, action: ModifyScalingGroupAction) -> ScalingGroupRecord:
        _require_superadmin(action.requester)
        update = action.update
        _check_scheduler(update.scheduler)
        _check_lengths(
            None, update.description, update.driver, update.wsproxy_addr, update.wsproxy_api_token
        )
        record = await self._repository.update(action.name, action.update)
        if record is None:
            raise ScalingGroupNotFound(f"No scaling group named {action.name!r}")
        return record

    async def delete_scaling_group(self, action: DeleteScalingGroupAction) -> None:
        _require_superadmin(action.requester)
        outcome = await self._repository.delete(action.name)
        if outcome is None:
            raise ScalingGroupNotFound(f"No scaling group named {action.name!r}")
        if not outcome.deleted:
            users = ", ".join(outcome.users.describe())
            raise ScalingGroupConflict(
                f"Scaling group {action.name!r} is still used by {users}; move or end them first"
            )

    async def associate_with_domain(self, action: AssociateScalingGroupWithDomainAction) -> None:
        _require_superadmin(action.requester)
        await self._repository.associate(
            AssociationTarget.DOMAIN, action.domain_name, action.scaling_group
        )

    async def disassociate_with_domain(
        self, action: DisassociateScalingGroupWithDomainAction
    ) -> None:
        _require_superadmin(action.requester)
        await self._repository.disassociate(
            AssociationTarget.DOMAIN, action.domain_name, action.scaling_group
        )

    async def associate_with_group(self, action: AssociateScalingGroupWithGroupAction) -> None:
        _require_superadmin(action.requester)
        await self._repository.associate(
            AssociationTarget.GROUP, action.group_id, action.scaling_group
        )

    async def disassociate_with_group(
        self, action: DisassociateScalingGroupWithGroupAction
    ) -> None:
        _require_superadmin(action.requester)
        await self._repository.disassociate(
            AssociationTarget.GROUP, action.group_id, action.scaling_group
        )

    async def associate_with_keypair(self, action: AssociateScalingGroupWithKeypairAction) -> None:
        _require_superadmin(action.requester)
        await self._repository.associate(
            AssociationTarget.KEYPAIR, action.access_key, action.scaling_group
        )

    async def disassociate_with_keypair(
        self, action: DisassociateScalingGroupWithKeypairAction
    ) -> None:
        _require_superadmin(action.requester)
        await self._repository.disassociate(
            AssociationTarget.KEYPAIR, action.access_key, action.scaling_group
        )

    async def list_available(
        self, action: ListAvailableScalingGroupsAction
    ) -> list[ScalingGroupRecord]:
        """Any signed-in caller may ask, for a project of their domain they belong to (admins:
        any project of their domain; superadmins: any project). Plain users see public groups."""
        requester = action.requester
        found = await self._repository.find_group(requester.domain_name, action.group)
        if found is None:
            raise GroupNotFound(f"No project {action.group!r} in domain {requester.domain_name!r}")
        group_id, domain_name = found
        is_admin = requester.is_superadmin or requester.role == "admin"
        if not requester.is_superadmin:
            if domain_name != requester.domain_name:
                raise PermissionDenied("The project belongs to another domain")
            if not is_admin and not await self._repository.is_member(group_id, requester.user_uuid):
                raise PermissionDenied("You are not a member of this project")
        return await self._repository.list_allowed(
            domain_name=domain_name,
            group_id=group_id,
            access_key=requester.access_key,
            public_only=not is_admin,
        )
