"""The working state of one planning pass.

A pass starts from a copy of the snapshot's occupancy and usage and charges every placement it
makes against that copy, so a session placed later in the pass sees what earlier ones took. This is
the only mutable state in the scheduler, and it never leaks out: `plan()` returns frozen values.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from ai.backend.manager.sokovan.scheduler.types import (
    ZERO,
    AgentSnapshot,
    PendingSession,
    ResourceSlot,
    SchedulingSnapshot,
    SlotMap,
    slot_sum,
)


class AgentState:
    """One agent during a pass: what is still free on it and how many containers it runs."""

    __slots__ = (
        "addr",
        "architecture",
        "capacity",
        "containers",
        "free",
        "id",
        "index",
        "installed_images",
        "max_containers",
        "schedulable",
    )

    def __init__(self, agent: AgentSnapshot, index: int) -> None:
        self.id = agent.id
        self.addr = agent.addr
        self.architecture = agent.architecture
        self.capacity: SlotMap = agent.capacity
        self.free: ResourceSlot = dict(agent.capacity)
        for name, amount in agent.occupied.items():
            self.free[name] = self.free.get(name, ZERO) - amount
        self.containers = agent.container_count
        self.max_containers = agent.max_container_count
        self.schedulable = agent.schedulable
        self.installed_images = agent.installed_images
        # Position among the group's agents sorted by id (the round-robin cursor's unit).
        self.index = index

    def has_room_for(self, containers: int) -> bool:
        return self.max_containers is None or self.containers + containers <= self.max_containers

    def can_host(self, requested: SlotMap, containers: int) -> bool:
        if self.max_containers is not None and self.containers + containers > self.max_containers:
            return False
        free = self.free
        for name, amount in requested.items():
            if amount > ZERO and amount > free.get(name, ZERO):
                return False
        return True

    def take(self, requested: SlotMap, containers: int) -> None:
        free = self.free
        for name, amount in requested.items():
            free[name] = free.get(name, ZERO) - amount
        self.containers += containers

    def release(self, requested: SlotMap, containers: int) -> None:
        free = self.free
        for name, amount in requested.items():
            free[name] = free.get(name, ZERO) + amount
        self.containers -= containers

    def __repr__(self) -> str:
        return f"AgentState({self.id!r}, free={self.free!r}, containers={self.containers})"


def _charge(ledger: dict[str, Decimal], amounts: SlotMap) -> None:
    for name, amount in amounts.items():
        ledger[name] = ledger.get(name, ZERO) + amount


class PassState:
    """Agents, usage counters and the round-robin cursor, as of the current point in the pass."""

    def __init__(self, snapshot: SchedulingSnapshot) -> None:
        self.snapshot = snapshot
        ordered = sorted(snapshot.agents, key=lambda a: a.id)
        self.agents: tuple[AgentState, ...] = tuple(
            AgentState(agent, index) for index, agent in enumerate(ordered)
        )
        self.agents_by_id: dict[str, AgentState] = {a.id: a for a in self.agents}
        # Every agent of the group per architecture (schedulable or not), in id order.
        self.agents_by_arch: dict[str, list[AgentState]] = {}
        for agent in self.agents:
            self.agents_by_arch.setdefault(agent.architecture, []).append(agent)
        self.architectures = frozenset(self.agents_by_arch)
        self.total_capacity: ResourceSlot = slot_sum(a.capacity for a in snapshot.agents)
        self.roundrobin_cursor = snapshot.roundrobin_cursor

        self.keypair_sessions: dict[str, int] = {}
        self.keypair_private_sessions: dict[str, int] = {}
        self.keypair_occupied: dict[str, ResourceSlot] = {}
        for access_key, usage in snapshot.keypair_usage.items():
            self.keypair_sessions[access_key] = usage.session_count
            self.keypair_private_sessions[access_key] = usage.private_session_count
            self.keypair_occupied[access_key] = dict(usage.occupied)
        self.user_occupied: dict[UUID, ResourceSlot] = {
            k: dict(v) for k, v in snapshot.user_usage.items()
        }
        self.group_occupied: dict[UUID, ResourceSlot] = {
            k: dict(v) for k, v in snapshot.group_usage.items()
        }
        self.domain_occupied: dict[str, ResourceSlot] = {
            k: dict(v) for k, v in snapshot.domain_usage.items()
        }
        self._requested: dict[UUID, ResourceSlot] = {}

    # --- views --------------------------------------------------------------------------------

    def requested(self, session: PendingSession) -> ResourceSlot:
        """The session's total request (computed once per pass)."""
        total = self._requested.get(session.session_id)
        if total is None:
            total = self._requested[session.session_id] = session.requested_slots
        return total

    def keypair_occupancy(self, access_key: str) -> SlotMap:
        return self.keypair_occupied.get(access_key, {})

    # --- updates ------------------------------------------------------------------------------

    def charge(self, session: PendingSession) -> None:
        """Count a placed session against its owner's usage (agents are charged as placed)."""
        slots = self.requested(session)
        key = session.access_key
        counter = self.keypair_private_sessions if session.is_private else self.keypair_sessions
        counter[key] = counter.get(key, 0) + 1
        _charge(self.keypair_occupied.setdefault(key, {}), slots)
        _charge(self.user_occupied.setdefault(session.user_uuid, {}), slots)
        _charge(self.group_occupied.setdefault(session.group_id, {}), slots)
        _charge(self.domain_occupied.setdefault(session.domain_name, {}), slots)
