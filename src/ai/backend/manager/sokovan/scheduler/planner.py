"""`plan(snapshot)`: the whole decision of one scheduling pass, as a pure function.

1. Copy the snapshot's occupancy and usage into a working state.
2. Pull the pending sessions in the order of the group's queue policy.
3. For each one: run the validators; a verdict defers or cancels it.
4. Otherwise find agents for its kernels with the group's selector, against the working state.
   A session that does not fit is deferred with the reason and the queue moves on: a big session
   at the head never blocks smaller ones behind it.
5. Charge what was placed to the working state, so later sessions see it.

The result is deterministic for a given snapshot: every ordering and every pick breaks ties by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ai.backend.manager.sokovan.scheduler.policies import QUEUE_POLICIES
from ai.backend.manager.sokovan.scheduler.selectors import AGENT_SELECTORS, AgentSelector
from ai.backend.manager.sokovan.scheduler.selectors.base import free_key, ranking_slots
from ai.backend.manager.sokovan.scheduler.state import AgentState, PassState
from ai.backend.manager.sokovan.scheduler.types import (
    ZERO,
    AgentSelectionStrategy,
    ClusterMode,
    KernelPlacement,
    KernelRequest,
    PendingSession,
    QueuePolicy,
    ReasonCode,
    ResourceSlot,
    SchedulingPlan,
    SchedulingSnapshot,
    SessionCancellation,
    SessionDeferral,
    SessionPlacement,
    SlotMap,
    format_slots,
    slots_fit,
)
from ai.backend.manager.sokovan.scheduler.validators import DEFAULT_VALIDATORS, Validator, validate

__all__ = ("plan",)


def plan(
    snapshot: SchedulingSnapshot, *, validators: Sequence[Validator] = DEFAULT_VALIDATORS
) -> SchedulingPlan:
    """Decide, for one resource group, which pending sessions start now and where."""
    state = PassState(snapshot)
    order = QUEUE_POLICIES[QueuePolicy(snapshot.scheduler)]
    placer = _Placer(
        state, AGENT_SELECTORS[AgentSelectionStrategy(snapshot.agent_selection_strategy)]
    )
    placements: list[SessionPlacement] = []
    deferrals: list[SessionDeferral] = []
    cancellations: list[SessionCancellation] = []
    for session in order(snapshot.pending, state):
        verdict = validate(session, state, validators)
        if verdict is None:
            outcome = placer.place(session)
            if isinstance(outcome, SessionPlacement):
                state.charge(session)
                placements.append(outcome)
                continue
            verdict = outcome
        if isinstance(verdict, SessionCancellation):
            cancellations.append(verdict)
        else:
            deferrals.append(verdict)
    return SchedulingPlan(
        placements=tuple(placements),
        deferrals=tuple(deferrals),
        cancellations=tuple(cancellations),
        next_roundrobin_cursor=state.roundrobin_cursor,
    )


@dataclass(frozen=True, slots=True)
class _Miss:
    """Why a request found no agent (without the session id, so it can be reused)."""

    code: ReasonCode
    message: str


@dataclass(frozen=True, slots=True)
class _Pool:
    """The agents a request may go to: one architecture, optionally narrowed to designated ones.

    Architecture, schedulability and capacity do not change during a pass, so pools are built
    once per pass and reused.
    """

    candidates: tuple[AgentState, ...]  # schedulable or not, in id order
    usable: tuple[AgentState, ...]  # the schedulable ones, in id order
    shapes: tuple[SlotMap, ...]  # the distinct capacities among `usable`


type _PoolKey = tuple[str, frozenset[str] | None]  # (architecture, designated agents)
# (architecture, requested slots, containers, designated agents): see `_Placer._find`.
type _RequestKey = tuple[str, tuple[tuple[str, Decimal], ...], int, frozenset[str] | None]


def prefer_installed(feasible: list[AgentState], image: str) -> list[AgentState]:
    """Of the agents that fit, those that already have the image (no pull before the kernel
    starts), when there are any; the selector then chooses among them as usual."""
    having = [a for a in feasible if image in a.installed_images]
    return having or feasible


class _Placer:
    def __init__(self, state: PassState, select: AgentSelector) -> None:
        self._state = state
        self._select = select
        self._pools: dict[_PoolKey, _Pool] = {}
        # Within a pass agents only fill up, so a request that once found no agent never will
        # again: remember the miss instead of scanning every agent for each identical request.
        self._misses: dict[_RequestKey, _Miss] = {}
        # Explaining a miss names the agent with the most free room; while no agent changes
        # (`_version` counts takes and releases), that agent stays the same for the same pool,
        # container count and slot names.
        self._version = 0
        self._roomiest: dict[tuple[_PoolKey, int, tuple[str, ...]], tuple[int, AgentState]] = {}
        # Per pool, the most free of each slot on any usable agent, as of its last failed scan.
        # Takes only lower what agents have free, so until something is released it stays an
        # upper bound: a request above it on some slot fits no agent, without a scan.
        self._releases = 0
        self._ceilings: dict[_PoolKey, tuple[int, ResourceSlot]] = {}

    def place(self, session: PendingSession) -> SessionPlacement | SessionDeferral:
        kernels = session.kernels
        designated = frozenset(session.designated_agent_ids or ()) or None
        if not kernels:
            return _defer(session, _Miss(ReasonCode.NO_KERNELS, "the session has no kernels"))
        if session.cluster_mode == ClusterMode.MULTI_NODE and len(kernels) > 1:
            return self._place_each(session, designated)
        return self._place_together(session, designated)

    # --- single-node: every kernel on one agent -----------------------------------------------

    def _place_together(
        self, session: PendingSession, designated: frozenset[str] | None
    ) -> SessionPlacement | SessionDeferral:
        kernels = session.kernels
        architectures = {k.architecture for k in kernels}
        if len(architectures) > 1:
            return _defer(
                session,
                _Miss(
                    ReasonCode.MIXED_ARCHITECTURES,
                    "a single-node session needs all its kernels on one agent, but they are "
                    f"built for different architectures ({', '.join(sorted(architectures))})",
                ),
            )
        requested = self._state.requested(session)
        found = self._find(kernels[0].architecture, requested, len(kernels), designated)
        if isinstance(found, _Miss):
            if len(kernels) > 1:
                found = _Miss(found.code, f"{len(kernels)} kernels on one agent: {found.message}")
            return _defer(session, found)
        agent, self._state.roundrobin_cursor = self._select(
            prefer_installed(found, kernels[0].image), requested, self._state.roundrobin_cursor
        )
        self._take(agent, requested, len(kernels))
        return _placement(session, [(k, agent) for k in kernels])

    # --- multi-node: each kernel on some agent, all or none -------------------------------------

    def _place_each(
        self, session: PendingSession, designated: frozenset[str] | None
    ) -> SessionPlacement | SessionDeferral:
        cursor = self._state.roundrobin_cursor
        chosen: list[tuple[KernelRequest, AgentState]] = []
        for position, kernel in enumerate(session.kernels, start=1):
            # Misses seen with this session's own kernels tentatively placed are not remembered:
            # they would not hold once those are released.
            found = self._find(
                kernel.architecture, kernel.requested_slots, 1, designated, remember=False
            )
            if isinstance(found, _Miss):
                for placed, agent in chosen:
                    self._release(agent, placed.requested_slots, 1)
                label = f"kernel {kernel.cluster_role}{kernel.cluster_idx}"
                label += f" ({position} of {len(session.kernels)})"
                if chosen:  # the miss describes the agents with the earlier kernels on them
                    label += f" with the {len(chosen)} before it placed"
                message = f"{label}: {found.message}"
                return _defer(session, _Miss(found.code, message))
            agent, cursor = self._select(
                prefer_installed(found, kernel.image), kernel.requested_slots, cursor
            )
            self._take(agent, kernel.requested_slots, 1)
            chosen.append((kernel, agent))
        self._state.roundrobin_cursor = cursor
        return _placement(session, chosen)

    def _take(self, agent: AgentState, requested: SlotMap, containers: int) -> None:
        agent.take(requested, containers)
        self._version += 1

    def _release(self, agent: AgentState, requested: SlotMap, containers: int) -> None:
        agent.release(requested, containers)
        self._version += 1
        self._releases += 1

    # --- feasibility ----------------------------------------------------------------------------

    def _pool(self, key: _PoolKey) -> _Pool:
        pool = self._pools.get(key)
        if pool is None:
            architecture, designated = key
            candidates = tuple(
                a
                for a in self._state.agents_by_arch.get(architecture, ())
                if designated is None or a.id in designated
            )
            usable = tuple(a for a in candidates if a.schedulable)
            shapes: dict[tuple[tuple[str, Decimal], ...], SlotMap] = {}
            for agent in usable:  # the first (smallest id) agent of each shape represents it
                shapes.setdefault(tuple(agent.capacity.items()), agent.capacity)
            pool = self._pools[key] = _Pool(candidates, usable, tuple(shapes.values()))
        return pool

    def _find(
        self,
        architecture: str,
        requested: SlotMap,
        containers: int,
        designated: frozenset[str] | None,
        *,
        remember: bool = True,
    ) -> list[AgentState] | _Miss:
        """The agents that can host `requested` now (in id order), or why there are none."""
        key: _RequestKey = (architecture, tuple(requested.items()), containers, designated)
        miss = self._misses.get(key)
        if miss is not None:
            return miss
        pool_key = (architecture, designated)
        usable = self._pool(pool_key).usable
        ceiling = self._ceilings.get(pool_key)
        if ceiling is None or ceiling[0] != self._releases or slots_fit(requested, ceiling[1]):
            feasible = [a for a in usable if a.can_host(requested, containers)]
            if feasible:
                return feasible
            self._ceilings[pool_key] = (self._releases, _most_free(usable))
        miss = self._explain(pool_key, requested, containers)
        if remember:
            self._misses[key] = miss
        return miss

    def _explain(self, pool_key: _PoolKey, requested: SlotMap, containers: int) -> _Miss:
        architecture, designated = pool_key
        pool = self._pool(pool_key)
        group = self._state.snapshot.resource_group
        if not pool.candidates:
            if designated is None:
                return _Miss(
                    ReasonCode.ARCHITECTURE_UNAVAILABLE,
                    f"no agent in resource group {group} runs {architecture} images",
                )
            return _Miss(
                ReasonCode.DESIGNATED_AGENT_UNAVAILABLE,
                f"none of the designated agents ({', '.join(sorted(designated))}) is an "
                f"{architecture} agent in resource group {group}",
            )
        what = "designated agents" if designated is not None else f"{architecture} agents"
        if not pool.usable:
            return _Miss(
                ReasonCode.NO_SCHEDULABLE_AGENT,
                f"none of the {len(pool.candidates)} {what} in resource group {group} "
                "is schedulable",
            )
        names = ranking_slots(requested) or tuple(requested)
        needs = format_slots(requested, only=names)
        if not any(slots_fit(requested, shape) for shape in pool.shapes):
            largest = max(pool.shapes, key=lambda c: tuple(c.get(n, ZERO) for n in names))
            holder = next(a for a in pool.usable if a.capacity is largest)
            return _Miss(
                ReasonCode.EXCEEDS_AGENT_CAPACITY,
                f"no agent is large enough: needs {needs}; the largest is "
                f"{format_slots(largest, only=names)} on {holder.id}",
            )
        roomiest = self._roomiest_agent(pool_key, containers, names)
        if roomiest is None:
            n = len(pool.usable)
            if containers == 1:
                message = f"all {n} schedulable {what} have reached their container limit"
            else:
                message = (
                    f"none of the {n} schedulable {what} has room for {containers} more containers"
                )
            return _Miss(ReasonCode.AGENT_CONTAINER_LIMIT, message)
        return _Miss(
            ReasonCode.INSUFFICIENT_RESOURCES,
            f"no agent has enough free resources: needs {needs}; the largest free is "
            f"{format_slots(roomiest.free, only=names)} on {roomiest.id}",
        )

    def _roomiest_agent(
        self, pool_key: _PoolKey, containers: int, names: tuple[str, ...]
    ) -> AgentState | None:
        """The usable agent with room for the containers and the most free of `names`."""
        cache_key = (pool_key, containers, names)
        cached = self._roomiest.get(cache_key)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        roomy = [a for a in self._pool(pool_key).usable if a.has_room_for(containers)]
        if not roomy:
            return None
        # max() keeps the first of equals and `roomy` is in id order: ties go to the smaller id.
        best = max(roomy, key=lambda a: free_key(a, names))
        self._roomiest[cache_key] = (self._version, best)
        return best


def _most_free(agents: Sequence[AgentState]) -> ResourceSlot:
    """Slot-wise maximum of what the agents have free."""
    most: ResourceSlot = {}
    for agent in agents:
        for name, amount in agent.free.items():
            if amount > most.get(name, amount - 1):
                most[name] = amount
    return most


def _defer(session: PendingSession, miss: _Miss) -> SessionDeferral:
    return SessionDeferral(
        session_id=session.session_id, reason_code=miss.code, message=miss.message
    )


def _placement(
    session: PendingSession, chosen: Sequence[tuple[KernelRequest, AgentState]]
) -> SessionPlacement:
    return SessionPlacement(
        session_id=session.session_id,
        kernels=tuple(
            KernelPlacement(
                kernel_id=kernel.kernel_id,
                agent_id=agent.id,
                agent_addr=agent.addr,
                slots=dict(kernel.requested_slots),
            )
            for kernel, agent in chosen
        ),
    )
