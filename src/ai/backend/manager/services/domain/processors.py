"""The processors of domain operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.domain import (
    CreateDomainAction,
    DeleteDomainAction,
    GetDomainAction,
    ListDomainsAction,
    ModifyDomainAction,
    PurgeDomainAction,
)
from ai.backend.manager.data.domain import DomainRecord
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.domain import DomainRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.domain.service import DomainService


@dataclass(frozen=True)
class DomainProcessors:
    search: ActionProcessor[ListDomainsAction, list[DomainRecord]]
    get: ActionProcessor[GetDomainAction, DomainRecord | None]
    create: ActionProcessor[CreateDomainAction, DomainRecord]
    modify: ActionProcessor[ModifyDomainAction, DomainRecord]
    delete: ActionProcessor[DeleteDomainAction, None]
    purge: ActionProcessor[PurgeDomainAction, None]


def build_domain_processors(deps: AdminDeps, metrics: ManagerMetrics) -> DomainProcessors:
    service = DomainService(DomainRepository(deps.db), deps.keypair_cache)
    return DomainProcessors(
        search=ActionProcessor(service.list_domains, metrics=metrics),
        get=ActionProcessor(service.get_domain, metrics=metrics),
        create=ActionProcessor(service.create_domain, metrics=metrics),
        modify=ActionProcessor(service.modify_domain, metrics=metrics),
        delete=ActionProcessor(service.delete_domain, metrics=metrics),
        purge=ActionProcessor(service.purge_domain, metrics=metrics),
    )
