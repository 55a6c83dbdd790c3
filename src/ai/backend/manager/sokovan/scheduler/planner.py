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


# (architecture, requested slots, containers, designated agents): see `_Placer._find`.
type _RequestKey = tuple[str, tuple[tuple[str, object], ...], int, frozenset[str] | None]


class _Placer:
    def __init__(self, state: PassState, select: AgentSelector) -> None:
        self._state = state
        self._select = select
        # Within a pass agents only fill up, so a request that once found no agent never will
        # again: remember the miss instead of scanning every agent for each identical request.
        self._misses: dict[_RequestKey, _Miss] = {}

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
            found, requested, self._state.roundrobin_cursor
        )
        agent.take(requested, len(kernels))
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
                    agent.release(placed.requested_slots, 1)
                label = f"kernel {kernel.cluster_role}{kernel.cluster_idx}"
                label += f" ({position} of {len(session.kernels)})"
                if chosen:  # the miss describes the agents with the earlier kernels on them
                    label += f" with the {len(chosen)} before it placed"
                message = f"{label}: {found.message}"
                return _defer(session, _Miss(found.code, message))
            agent, cursor = self._select(found, kernel.requested_slots, cursor)
            agent.take(kernel.requested_slots, 1)
            chosen.append((kernel, agent))
        self._state.roundrobin_cursor = cursor
        return _placement(session, chosen)

    # --- feasibility ----------------------------------------------------------------------------

    def _candidates(self, architecture: str, designated: frozenset[str] | None) -> list[AgentState]:
        """The group's agents of this architecture (schedulable or not), in id order."""
        agents = self._state.agents_by_arch.get(architecture, [])
        if designated is None:
            return agents
        return [a for a in agents if a.id in designated]

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
        feasible = [
            a
            for a in self._candidates(architecture, designated)
            if a.schedulable and a.can_host(requested, containers)
        ]
        if feasible:
            return feasible
        miss = self._explain(architecture, requested, containers, designated)
        if remember:
            self._misses[key] = miss
        return miss

    def _explain(
        self,
        architecture: str,
        requested: SlotMap,
        containers: int,
        designated: frozenset[str] | None,
    ) -> _Miss:
        group = self._state.snapshot.resource_group
        candidates = self._candidates(architecture, designated)
        if not candidates:
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
        usable = [a for a in candidates if a.schedulable]
        what = "designated agents" if designated is not None else f"{architecture} agents"
        if not usable:
            return _Miss(
                ReasonCode.NO_SCHEDULABLE_AGENT,
                f"none of the {len(candidates)} {what} in resource group {group} is schedulable",
            )
        names = ranking_slots(requested) or tuple(requested)
        needs = format_slots(requested, only=names)
        if not any(slots_fit(requested, a.capacity) for a in usable):
            biggest = max(usable, key=lambda a: tuple(a.capacity.get(n, ZERO) for n in names))
            return _Miss(
                ReasonCode.EXCEEDS_AGENT_CAPACITY,
                f"no agent is large enough: needs {needs}; the largest is "
                f"{format_slots(biggest.capacity, only=names)} on {biggest.id}",
            )
        roomy = [a for a in usable if a.has_room_for(containers)]
        if not roomy:
            return _Miss(
                ReasonCode.AGENT_CONTAINER_LIMIT,
                f"all {len(usable)} schedulable {what} have reached their container limit",
            )
        best = max(roomy, key=lambda a: free_key(a, names))  # the first of equals: smallest id
        return _Miss(
            ReasonCode.INSUFFICIENT_RESOURCES,
            f"no agent has enough free resources: needs {needs}; the largest free is "
            f"{format_slots(best.free, only=names)} on {best.id}",
        )


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
