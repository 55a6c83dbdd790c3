"""Group (project) records as the repository returns them, and what creating or changing one
takes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: uuid.UUID
    name: str
    description: str | None
    is_active: bool
    status: str
    domain_name: str
    total_resource_slots: Mapping[str, Decimal]
    allowed_vfolder_hosts: Mapping[str, Sequence[str]]
    integration_id: str | None
    resource_policy: str
    type: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupSpec:
    """A new project."""

    name: str
    domain_name: str
    description: str = ""
    is_active: bool = True
    total_resource_slots: Mapping[str, Decimal]
    allowed_vfolder_hosts: Mapping[str, Sequence[str]]
    integration_id: str | None = None
    resource_policy: str = "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupUpdate:
    """Changes to a project's own fields; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    is_active: bool | None = None
    total_resource_slots: Mapping[str, Decimal] | None = None
    allowed_vfolder_hosts: Mapping[str, Sequence[str]] | None = None
    integration_id: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True, slots=True)
class GroupDependants:
    """What keeps a project from being purged."""

    live_sessions: int
    vfolders: int

    def describe(self) -> list[str]:
        counts = ((self.live_sessions, "live session(s)"), (self.vfolders, "vfolder(s)"))
        return [f"{count} {label}" for count, label in counts if count]
