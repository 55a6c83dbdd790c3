"""Operations on domains. Reading one's own domain is for its admins; the rest for superadmins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.data.domain import DomainSpec, DomainUpdate
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListDomainsAction(Action):
    entity_type: ClassVar[str] = "domain"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    is_active: bool | None = None


@dataclass(frozen=True, kw_only=True)
class GetDomainAction(Action):
    """One domain by name; the requester's own when `name` is None."""

    entity_type: ClassVar[str] = "domain"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateDomainAction(Action):
    entity_type: ClassVar[str] = "domain"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    spec: DomainSpec


@dataclass(frozen=True, kw_only=True)
class ModifyDomainAction(Action):
    entity_type: ClassVar[str] = "domain"
    operation_type: ClassVar[str] = "update"

    requester: AuthenticatedUser
    name: str
    update: DomainUpdate


@dataclass(frozen=True, kw_only=True)
class DeleteDomainAction(Action):
    """Deactivate a domain (it stays in the database and can be reactivated)."""

    entity_type: ClassVar[str] = "domain"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser
    name: str


@dataclass(frozen=True, kw_only=True)
class PurgeDomainAction(Action):
    """Remove a domain for good; refused while anything still belongs to it."""

    entity_type: ClassVar[str] = "domain"
    operation_type: ClassVar[str] = "purge"

    requester: AuthenticatedUser
    name: str
