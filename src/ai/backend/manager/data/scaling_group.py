"""Scaling group records as the repository returns them, and what creating or changing one
takes."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ScalingGroupRecord:
    id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime
    is_active: bool
    is_public: bool
    scheduler: str
    scheduler_opts: Mapping[str, Any]
    driver: str
    driver_opts: Mapping[str, Any]
    use_host_network: bool
    wsproxy_addr: str | None
    wsproxy_api_token: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingGroupSpec:
    """A new scaling group."""

    name: str
    description: str = ""
    is_active: bool = True
    is_public: bool = True
    wsproxy_addr: str | None = None
    wsproxy_api_token: str | None = None
    driver: str
    driver_opts: Mapping[str, Any]
    scheduler: str
    scheduler_opts: Mapping[str, Any]
    use_host_network: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingGroupUpdate:
    """Changes to a scaling group; None leaves a field as it is."""

    description: str | None = None
    is_active: bool | None = None
    is_public: bool | None = None
    wsproxy_addr: str | None = None
    wsproxy_api_token: str | None = None
    driver: str | None = None
    driver_opts: Mapping[str, Any] | None = None
    scheduler: str | None = None
    scheduler_opts: Mapping[str, Any] | None = None
    use_host_network: bool | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


class AssociationTarget(enum.StrEnum):
    """What a scaling group can be opened to."""

    DOMAIN = "domain"
    GROUP = "group"
    KEYPAIR = "keypair"


@dataclass(frozen=True, slots=True)
class ScalingGroupUsers:
    """What still uses a scaling group (it cannot be deleted while any is non-zero)."""

    agents: int
    live_sessions: int

    def describe(self) -> list[str]:
        counts = ((self.agents, "agent(s)"), (self.live_sessions, "live session(s)"))
        return [f"{count} {label}" for count, label in counts if count]
