"""Domain operations and who may run them."""

from __future__ import annotations

from ai.backend.manager.actions.domain import (
    CreateDomainAction,
    DeleteDomainAction,
    GetDomainAction,
    ListDomainsAction,
    ModifyDomainAction,
    PurgeDomainAction,
)
from ai.backend.manager.data.domain import DomainRecord
from ai.backend.manager.errors.base import InvalidAPIParameters, PermissionDenied
from ai.backend.manager.errors.domain import DomainConflict, DomainNotFound
from ai.backend.manager.repositories.domain import DomainRepository
from ai.backend.manager.repositories.keypair import KeypairCache
from ai.backend.manager.services.auth.types import AuthenticatedUser


def require_superadmin(requester: AuthenticatedUser, what: str) -> None:
    if not requester.is_superadmin:
        raise PermissionDenied(f"Only superadmins can {what}")


def check_length(value: str | None, field: str, limit: int) -> None:
    """Refuse text longer than its column holds (rather than failing in the database)."""
    if value is not None and len(value) > limit:
        raise InvalidAPIParameters(f"`{field}` is longer than {limit} characters")


class DomainService:
    def __init__(self, repository: DomainRepository, keypair_cache: KeypairCache) -> None:
        self._repository = repository
        self._keypair_cache = keypair_cache

    async def list_domains(self, action: ListDomainsAction) -> list[DomainRecord]:
        require_superadmin(action.requester, "list domains")
        return await self._repository.list_all(action.is_active)

    async def get_domain(self, action: GetDomainAction) -> DomainRecord | None:
        requester = action.requester
        name = action.name if action.name is not None else requester.domain_name
        if not requester.is_superadmin:
            if requester.role != "admin":
                raise PermissionDenied("Only administrators can read domains")
            if name != requester.domain_name:
                raise PermissionDenied("Domain admins can read their own domain only")
        return await self._repository.get(name)

    async def create_domain(self, action: CreateDomainAction) -> DomainRecord:
        require_superadmin(action.requester, "create domains")
        spec = action.spec
        if not spec.name.strip():
            raise DomainConflict("A domain needs a non-empty name")
        check_length(spec.name, "name", 64)
        check_length(spec.description, "description", 512)
        check_length(spec.integration_id, "integration_id", 512)
        return await self._repository.create(action.spec)

    async def modify_domain(self, action: ModifyDomainAction) -> DomainRecord:
        require_superadmin(action.requester, "modify domains")
        update = action.update
        if update.new_name is not None and not update.new_name.strip():
            raise DomainConflict("A domain needs a non-empty name")
        check_length(update.new_name, "name", 64)
        check_length(update.description, "description", 512)
        check_length(update.integration_id, "integration_id", 512)
        record = await self._repository.update(action.name, action.update)
        if record is None:
            raise DomainNotFound(f"No domain named {action.name!r}")
        if record.name != action.name:
            # cached credentials carry the domain name: drop them so the new one is seen at once
            await self._keypair_cache.invalidate(*await self._repository.access_keys(record.name))
        return record

    async def delete_domain(self, action: DeleteDomainAction) -> None:
        require_superadmin(action.requester, "delete domains")
        if action.name == action.requester.domain_name:
            raise DomainConflict("You cannot delete your own domain")
        if not await self._repository.soft_delete(action.name):
            raise DomainNotFound(f"No domain named {action.name!r}")

    async def purge_domain(self, action: PurgeDomainAction) -> None:
        require_superadmin(action.requester, "purge domains")
        if action.name == action.requester.domain_name:
            raise DomainConflict("You cannot purge your own domain")
        outcome = await self._repository.purge(action.name)
        if outcome is None:
            raise DomainNotFound(f"No domain named {action.name!r}")
        if not outcome.purged:
            remaining = ", ".join(outcome.dependants.describe())
            raise DomainConflict(
                f"Domain {action.name!r} still has {remaining}; remove or dissociate them first"
            )
