"""Domain records as the repository returns them, and what creating or changing one takes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class DomainRecord:
    id: uuid.UUID
    name: str
    description: str | None
    is_active: bool
    status: str
    total_resource_slots: Mapping[str, Decimal]
    allowed_vfolder_hosts: Mapping[str, Sequence[str]]
    allowed_docker_registries: Sequence[str]
    integration_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainSpec:
    """A new domain."""

    name: str
    description: str = ""
    is_active: bool = True
    total_resource_slots: Mapping[str, Decimal]
    allowed_vfolder_hosts: Mapping[str, Sequence[str]]
    allowed_docker_registries: Sequence[str] = ()
    integration_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainUpdate:
    """Changes to a domain; None leaves a field as it is."""

    new_name: str | None = None
    description: str | None = None
    is_active: bool | None = None
    total_resource_slots: Mapping[str, Decimal] | None = None
    allowed_vfolder_hosts: Mapping[str, Sequence[str]] | None = None
    allowed_docker_registries: Sequence[str] | None = None
    integration_id: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True, slots=True)
class DomainDependants:
    """What still refers to a domain (a purge needs all of it gone)."""

    users: int
    groups: int
    sessions: int
    scaling_groups: int

    def describe(self) -> list[str]:
        counts = (
            (self.users, "user(s)"),
            (self.groups, "project(s)"),
            (self.sessions, "session(s)"),
            (self.scaling_groups, "associated scaling group(s)"),
        )
        return [f"{count} {label}" for count, label in counts if count]
