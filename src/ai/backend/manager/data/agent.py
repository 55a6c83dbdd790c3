"""Agent records as the repository takes and returns them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ai.backend.manager.types import AgentStatus, SlotType

# Statuses an agent leaves only by talking to us again (a heartbeat or agent_started).
EXITED_STATUSES = frozenset({AgentStatus.LOST, AgentStatus.TERMINATED})


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent with its per-slot capacity, usage and reservations."""

    id: str
    uuid: UUID
    status: AgentStatus
    status_changed: datetime | None
    region: str
    scaling_group: str
    resource_group_id: UUID
    schedulable: bool
    addr: str
    public_host: str | None
    public_key: str | None
    first_contact: datetime | None
    lost_at: datetime | None
    version: str
    architecture: str
    compute_plugins: dict[str, Any]
    auto_terminate_abusing_kernel: bool
    capacity: dict[str, Decimal] = field(default_factory=dict)
    used: dict[str, Decimal] = field(default_factory=dict)
    reserved: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentHeartbeat:
    """What one heartbeat says about an agent, ready to be written."""

    agent_id: str
    seen_at: datetime  # when the agent sent it
    requested_scaling_group: str | None
    region: str
    addr: str
    public_host: str | None
    public_key: str | None
    version: str
    architecture: str
    compute_plugins: dict[str, Any]
    auto_terminate_abusing_kernel: bool
    capacity: dict[str, Decimal]
    slot_types: dict[str, SlotType]


class HeartbeatOutcome(enum.StrEnum):
    REGISTERED = "registered"  # a new row
    UPDATED = "updated"  # the row existed and was not LOST/TERMINATED
    REVIVED = "revived"  # the row was LOST or TERMINATED and is ALIVE again
    STALE = "stale"  # older than the agent's last status change: ignored
    NO_SCALING_GROUP = "no-scaling-group"  # neither the named nor a default group exists


@dataclass(frozen=True, slots=True)
class HeartbeatResult:
    outcome: HeartbeatOutcome
    previous_status: AgentStatus | None = None
    scaling_group: str | None = None
    # The RPC address or CURVE key differs from what the row had (existing rows only).
    address_changed: bool = False
    new_slot_types: tuple[str, ...] = ()


class StatusChange(enum.StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # already in that state (or already exited)
    STALE = "stale"  # a newer transition was recorded: ignored
    NOT_FOUND = "not-found"


@dataclass(frozen=True, slots=True)
class AgentLiveStat:
    """What an agent last reported about its node (`{"node": {...}, "devices": {...}}`)."""

    stat: dict[str, Any]

    def _node_metric(self, metric: str, key: str) -> float:
        try:
            return float(self.stat["node"][metric][key])
        except (KeyError, TypeError, ValueError):
            return 0.0

    @property
    def cpu_pct(self) -> float:
        """The node's CPU utilisation in percent (0 when not reported)."""
        return self._node_metric("cpu_util", "pct")

    @property
    def mem_bytes(self) -> float:
        """The node's memory in use, in bytes (0 when not reported)."""
        return self._node_metric("mem", "current")


@dataclass(frozen=True, slots=True)
class AgentPage:
    """One page of an agent listing: the rows, their kernel counts, the live statistics of
    those that report any, and the total."""

    items: list[AgentRow]
    total_count: int
    container_counts: dict[str, int] = field(default_factory=dict)
    live_stats: dict[str, AgentLiveStat] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SlotTypeRecord:
    """A `resource_slot_types` row: the unit of a slot and how clients should show it."""

    slot_name: str
    slot_type: SlotType
    enabled: bool
    display_name: str
    description: str
    display_unit: str
    display_icon: str
    number_format: dict[str, Any]
    rank: int
