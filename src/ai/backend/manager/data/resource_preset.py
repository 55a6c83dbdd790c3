"""Values the resource preset repository returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from ai.backend.manager.types import DefaultForUnspecified


@dataclass(frozen=True, slots=True)
class PresetRecord:
    id: uuid.UUID
    name: str
    resource_slots: dict[str, Decimal]
    shared_memory: int | None
    scaling_group_name: str | None


@dataclass(frozen=True, slots=True)
class ScopeLimits:
    """A limit set as stored (`total_resource_slots`) and what an unnamed slot gets."""

    total_resource_slots: dict[str, Decimal]
    default_for_unspecified: DefaultForUnspecified


@dataclass(frozen=True, slots=True)
class CheckPresetsSnapshot:
    """Everything `check-presets` needs, read in one transaction."""

    known_slots: list[str]
    keypair_limits: ScopeLimits
    keypair_using: dict[str, Decimal]
    group_limits: ScopeLimits
    group_using: dict[str, Decimal]
    domain_limits: ScopeLimits
    domain_using: dict[str, Decimal]
    # per scaling group the caller may use: what the caller's sessions hold there
    user_using_per_sgroup: dict[str, dict[str, Decimal]]
    # per scaling group: the free room of each alive, schedulable agent
    agent_free_per_sgroup: dict[str, list[dict[str, Decimal]]]
    presets: list[PresetRecord]
