"""Group (project) operations and who may run them."""

from __future__ import annotations

import uuid

from ai.backend.manager.actions.group import (
    CreateGroupAction,
    DeleteGroupAction,
    GetGroupAction,
    ListGroupsAction,
    ListGroupsByNameAction,
    MembershipChange,
    ModifyGroupAction,
    PurgeGroupAction,
)
from ai.backend.manager.data.group import GroupRecord
from ai.backend.manager.errors.base import InvalidAPIParameters, ObjectNotFound, PermissionDenied
from ai.backend.manager.errors.group import GroupConflict, GroupNotFound
from ai.backend.manager.repositories.group import GroupRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.domain.service import check_length


def _domain_scope(requester: AuthenticatedUser, domain_name: str | None) -> str | None:
    """The domain a request may see: any (None) for superadmins, their own for domain admins."""
    if requester.is_superadmin:
        return domain_name
    if requester.role != "admin":
        raise PermissionDenied("Only administrators can manage projects")
    if domain_name is not None and domain_name != requester.domain_name:
        raise PermissionDenied("Domain admins can manage projects of their own domain only")
    return requester.domain_name


def _is_member_reader(requester: AuthenticatedUser, domain_name: str | None) -> bool:
    """Plain users read the projects they belong to (and name no other domain than theirs);
    administrators read by domain scope (`_domain_scope`); other roles are refused there."""
    if requester.role != "user":
        return False
    if domain_name is not None and domain_name != requester.domain_name:
        raise PermissionDenied("Users can only read projects of their own domain")
    return True


class GroupService:
    def __init__(self, repository: GroupRepository) -> None:
        self._repository = repository

    async def list_groups(self, action: ListGroupsAction) -> list[GroupRecord]:
        requester = action.requester
        if requester.role == "user":
            # the projects they belong to, whatever domain they name (as the reference)
            return await self._repository.of_member(requester.user_uuid, is_active=action.is_active)
        domain_name = _domain_scope(requester, action.domain_name)
        return await self._repository.search(domain_name, action.is_active)

    async def list_groups_by_name(self, action: ListGroupsByNameAction) -> list[GroupRecord]:
        requester = action.requester
        if _is_member_reader(requester, action.domain_name):
            return await self._repository.of_member(requester.user_uuid, name=action.name)
        domain_name = _domain_scope(requester, action.domain_name)
        return await self._repository.list_by_name(action.name, domain_name)

    async def get_group(self, action: GetGroupAction) -> GroupRecord | None:
        requester = action.requester
        if _is_member_reader(requester, None):
            record = await self._repository.get_for_member(action.group_id, requester.user_uuid)
            if record is None:
                raise PermissionDenied("Users can only read the projects they belong to")
            return record
        _domain_scope(requester, None)
        record = await self._repository.get(action.group_id)
        if record is not None:
            _domain_scope(requester, record.domain_name)
        return record

    async def _target(self, requester: AuthenticatedUser, group_id: uuid.UUID) -> GroupRecord:
        """The project a mutation acts on, once the requester is known to be allowed to."""
        _domain_scope(requester, None)
        record = await self._repository.get(group_id)
        if record is None:
            raise GroupNotFound(f"No project with id {group_id}")
        _domain_scope(requester, record.domain_name)
        return record

    async def create_group(self, action: CreateGroupAction) -> GroupRecord:
        _domain_scope(action.requester, action.spec.domain_name)
        if not action.spec.name.strip():
            raise GroupConflict("A project needs a non-empty name")
        check_length(action.spec.name, "name", 64)
        check_length(action.spec.description, "description", 512)
        check_length(action.spec.integration_id, "integration_id", 512)
        return await self._repository.create(action.spec)

    async def modify_group(self, action: ModifyGroupAction) -> GroupRecord:
        record = await self._target(action.requester, action.group_id)
        if action.update.name is not None and not action.update.name.strip():
            raise GroupConflict("A project needs a non-empty name")
        check_length(action.update.name, "name", 64)
        check_length(action.update.description, "description", 512)
        check_length(action.update.integration_id, "integration_id", 512)
        if action.membership is None and action.user_ids:
            raise InvalidAPIParameters("`user_uuids` needs `user_update_mode` (add or remove)")
        user_ids = list(dict.fromkeys(action.user_ids))
        if action.membership is MembershipChange.ADD and user_ids:
            domains = await self._repository.user_domains(user_ids)
            unknown = [str(u) for u in user_ids if u not in domains]
            if unknown:
                raise ObjectNotFound(f"No user with id {', '.join(unknown)}")
            foreign = [str(u) for u in user_ids if domains[u] != record.domain_name]
            if foreign:
                raise GroupConflict(
                    f"User(s) {', '.join(foreign)} belong to another domain than the project"
                )
        updated = await self._repository.update(
            action.group_id,
            action.update,
            add_members=user_ids if action.membership is MembershipChange.ADD else (),
            remove_members=user_ids if action.membership is MembershipChange.REMOVE else (),
        )
        if updated is None:
            raise GroupNotFound(f"No project with id {action.group_id}")
        return updated

    async def delete_group(self, action: DeleteGroupAction) -> None:
        await self._target(action.requester, action.group_id)
        if not await self._repository.soft_delete(action.group_id):
            raise GroupNotFound(f"No project with id {action.group_id}")

    async def purge_group(self, action: PurgeGroupAction) -> None:
        await self._target(action.requester, action.group_id)
        outcome = await self._repository.purge(action.group_id)
        if outcome is None:
            raise GroupNotFound(f"No project with id {action.group_id}")
        if not outcome.purged:
            remaining = ", ".join(outcome.dependants.describe())
            raise GroupConflict(
                f"The project still has {remaining}; terminate or delete them first"
            )
