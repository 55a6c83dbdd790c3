"""The agent registry: what heartbeats and lifecycle events mean for the agents we know.

Guarantees (every handler may see an event twice, late, or after a newer one):
* Times compared are the times events were *produced* (their stream entry ids), so the order
  in which managers happen to handle them does not matter.
* A heartbeat older than the agent's last status change (`status_changed`) is ignored, so a
  late heartbeat never revives an agent that has since exited. A heartbeat repeated changes
  nothing (the row is only written when a field differs).
* An `agent_terminated` older than the last heartbeat recorded in `agent.last_seen` is ignored,
  so a late exit never marks a live agent as gone. An `agent-lost` report is also ignored while
  the agent's last heartbeat is younger than the heartbeat timeout (the report raced a
  heartbeat). An exit on an agent already LOST/TERMINATED changes nothing.
* `on_agent_gone` listeners run once per applied exit, after the transaction committed;
  their failures are logged, not retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote

from ai.backend.manager.actions.agent import (
    AdminGetAgentAction,
    AdminListAgentsAction,
    GetAgentAction,
    GetResourceSlotDetailsAction,
    GetResourceSlotsAction,
    HandleAgentErrorAction,
    HandleAgentHeartbeatAction,
    HandleAgentStartedAction,
    HandleAgentTerminatedAction,
    ListAgentsAction,
)
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.clients.etcd.client import EtcdUnavailable
from ai.backend.manager.errors.base import (
    InvalidAPIParameters,
    ObjectNotFound,
    PermissionDenied,
)
from ai.backend.manager.event_dispatcher.producer import EventProducer
from ai.backend.manager.events.agent import AgentStartedEvent
from ai.backend.manager.events.types import AgentExitReason, AgentInfo, LogLevel
from ai.backend.manager.repositories.agent import (
    AgentHeartbeat,
    AgentLastSeen,
    AgentLiveStat,
    AgentLiveStats,
    AgentPage,
    AgentRepository,
    AgentRow,
    HeartbeatOutcome,
    HeartbeatResult,
    SlotTypeRecord,
    StatusChange,
)
from ai.backend.manager.repositories.agent.installed_images import (
    InstalledImagesReader,
    InstalledImagesRepository,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.types import AgentStatus, SlotType

log = logging.getLogger(__name__)

RESOURCE_SLOTS_PREFIX = "config/resource_slots"
# Known to every agent and manager without being written to etcd.
INTRINSIC_SLOT_UNITS = {"cpu": "count", "mem": "bytes"}
DEFAULT_REGION = "local"

type AgentGoneListener = Callable[[str, AgentStatus], Awaitable[None]]
type AgentListener = Callable[[str], Awaitable[None]]

_LOG_LEVELS = {
    LogLevel.CRITICAL: logging.CRITICAL,
    LogLevel.ERROR: logging.ERROR,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.INFO: logging.INFO,
    LogLevel.DEBUG: logging.DEBUG,
    LogLevel.TRACE: logging.DEBUG,
    LogLevel.NOTSET: logging.ERROR,
}


def exit_status(reason: str) -> AgentStatus:
    """The status an `agent_terminated` reason leads to."""
    if reason == AgentExitReason.AGENT_LOST:
        return AgentStatus.LOST
    if reason == AgentExitReason.AGENT_RESTART:
        return AgentStatus.RESTARTING
    return AgentStatus.TERMINATED


def _slot_type(slot: str, unit: str) -> SlotType:
    try:
        return SlotType(unit)
    except ValueError:
        log.warning("agent reported the unknown unit %r for slot %r; using count", unit, slot)
        return SlotType.COUNT


def _as_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def heartbeat_record(agent_id: str, info: AgentInfo, produced_at: float) -> AgentHeartbeat:
    return AgentHeartbeat(
        agent_id=agent_id,
        seen_at=_as_datetime(produced_at),
        requested_scaling_group=info.scaling_group,
        region=info.region or DEFAULT_REGION,
        addr=info.addr,
        public_host=info.public_host,
        public_key=info.public_key,
        version=info.version,
        architecture=info.architecture,
        compute_plugins=dict(info.compute_plugins),
        auto_terminate_abusing_kernel=info.auto_terminate_abusing_kernel,
        capacity=info.slots(),
        slot_types={slot: _slot_type(slot, unit) for slot, unit in info.slot_key_and_units.items()},
    )


_INTRINSIC_SLOT_DISPLAY = {
    "cpu": ("CPU", "CPU", "Core", "cpu"),
    "mem": ("RAM", "Memory", "GiB", "ram"),
}


def _slot_metadata(name: str, unit: str, row: SlotTypeRecord | None) -> dict[str, object]:
    """How clients show a slot: the `resource_slot_types` row, else sensible defaults."""
    short, description, display_unit, icon = _INTRINSIC_SLOT_DISPLAY.get(name, (name, name, "", ""))
    number_format: dict[str, object] = {"binary": unit == "bytes", "round_length": 0}
    if row is not None:
        short = row.display_name or short
        description = row.description or description
        display_unit = row.display_unit or display_unit
        icon = row.display_icon or icon
        number_format = {**number_format, **row.number_format}
    return {
        "slot_name": name,
        "description": description,
        "human_readable_name": short,
        "display_unit": display_unit,
        "number_format": number_format,
        "display_icon": icon,
    }


def _require_superadmin(requester: AuthenticatedUser) -> None:
    if not requester.is_superadmin:
        raise PermissionDenied("superadmin privilege required to read agents")


@dataclass(frozen=True, slots=True)
class AgentDetail:
    """One agent as the admin API shows it."""

    row: AgentRow
    container_count: int
    live_stat: AgentLiveStat | None = None


class AgentService:
    def __init__(
        self,
        repository: AgentRepository,
        last_seen: AgentLastSeen,
        producer: EventProducer,
        etcd: EtcdClient,
        *,
        heartbeat_timeout: float = 40.0,
        on_agent_gone: AgentGoneListener | None = None,
        on_agent_address_changed: AgentListener | None = None,
        live_stats: AgentLiveStats | None = None,
        clock: Callable[[], float] = time.time,
        installed_images: tuple[InstalledImagesReader, InstalledImagesRepository] | None = None,
    ) -> None:
        # Where agents report the images they have, and the copy the scheduler reads.
        self._installed_images = installed_images
        self._repository = repository
        self._live_stats = live_stats
        self._last_seen = last_seen
        self._producer = producer
        self._etcd = etcd
        self._heartbeat_timeout = heartbeat_timeout
        self._clock = clock
        self._gone_listeners: list[AgentGoneListener] = []
        self._address_listeners: list[AgentListener] = []
        self._availability_listeners: list[Callable[[], Awaitable[None]]] = []
        if on_agent_gone is not None:
            self._gone_listeners.append(on_agent_gone)
        if on_agent_address_changed is not None:
            self._address_listeners.append(on_agent_address_changed)
        # Slot units already in etcd (loaded on first use), so we write only new ones.
        self._known_slot_units: dict[str, str] | None = None

    def add_gone_listener(self, listener: AgentGoneListener) -> None:
        """Called as `listener(agent_id, new_status)` when an agent becomes LOST, TERMINATED
        or RESTARTING: drop its RPC connection, clean up its kernels."""
        self._gone_listeners.append(listener)

    def add_address_changed_listener(self, listener: AgentListener) -> None:
        """Called as `listener(agent_id)` when a known agent reports a new RPC address/key."""
        self._address_listeners.append(listener)

    def add_availability_listener(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Awaited when an agent joins, comes back or leaves (the capacity on offer changed)."""
        self._availability_listeners.append(listener)

    async def _availability_changed(self) -> None:
        for listener in self._availability_listeners:
            try:
                await listener()
            except Exception:
                log.exception("an agent-availability listener failed")

    # --- events -----------------------------------------------------------------------------

    async def handle_heartbeat(self, action: HandleAgentHeartbeatAction) -> HeartbeatResult:
        agent_id = action.agent_id
        result = await self._repository.apply_heartbeat(
            heartbeat_record(agent_id, action.info, action.produced_at)
        )
        match result.outcome:
            case HeartbeatOutcome.NO_SCALING_GROUP:
                log.error(
                    "agent %s cannot register: no scaling group named %r and no default one",
                    agent_id,
                    action.info.scaling_group,
                )
                return result
            case HeartbeatOutcome.STALE:
                log.debug("ignoring a heartbeat of %s older than its last change", agent_id)
                return result
            case HeartbeatOutcome.REGISTERED:
                log.info(
                    "agent %s registered at %s in scaling group %s",
                    agent_id,
                    action.info.addr,
                    result.scaling_group,
                )
            case HeartbeatOutcome.REVIVED:
                log.info("agent %s is back (was %s)", agent_id, result.previous_status)
        await self._last_seen.touch(agent_id, action.produced_at)
        await self._sync_installed_images(agent_id)
        await self._publish_slot_units(action.info.slot_key_and_units)
        if result.outcome in (HeartbeatOutcome.REGISTERED, HeartbeatOutcome.REVIVED):
            await self._availability_changed()
        if result.outcome is HeartbeatOutcome.REVIVED:
            await self._producer.anycast(
                AgentStartedEvent(reason=AgentExitReason.REVIVED), source=agent_id
            )
        if result.address_changed:
            await self._notify(self._address_listeners, agent_id)
        return result

    async def _sync_installed_images(self, agent_id: str) -> None:
        """Copy the agent's installed-image report; a failure is logged, never fatal."""
        if self._installed_images is None:
            return
        reader, repository = self._installed_images
        try:
            if await repository.replace(agent_id, await reader.read(agent_id)):
                log.debug("installed images of %s updated", agent_id)
        except Exception as e:
            log.warning("cannot sync the installed images of %s: %s", agent_id, e)

    async def handle_started(self, action: HandleAgentStartedAction) -> StatusChange:
        change = await self._repository.mark_alive(
            action.agent_id, _as_datetime(action.produced_at)
        )
        if change is StatusChange.APPLIED:
            log.info("agent %s started (%s)", action.agent_id, action.reason)
            # Alive without a heartbeat yet: let the lost-checker watch it from now on.
            await self._last_seen.touch(action.agent_id, action.produced_at)
            await self._availability_changed()
        return change

    async def handle_terminated(self, action: HandleAgentTerminatedAction) -> StatusChange:
        agent_id = action.agent_id
        status = exit_status(action.reason)
        last_seen = await self._last_seen.get(agent_id)
        if last_seen is not None:
            if action.produced_at < last_seen:
                log.info(
                    "ignoring agent_terminated(%s) of %s: a later heartbeat arrived",
                    action.reason,
                    agent_id,
                )
                return StatusChange.STALE
            if status is AgentStatus.LOST and self._clock() - last_seen < self._heartbeat_timeout:
                log.info("ignoring agent-lost for %s: it sent a heartbeat meanwhile", agent_id)
                return StatusChange.STALE
        change = await self._repository.mark_exited(
            agent_id, status, _as_datetime(action.produced_at)
        )
        if change is StatusChange.STALE:
            return change
        if status is not AgentStatus.RESTARTING:
            # A restarting agent stays watched: if it never comes back it becomes LOST.
            await self._last_seen.forget(agent_id, not_after=action.produced_at)
        if change is StatusChange.APPLIED:
            log.info("agent %s is now %s (%s)", agent_id, status.name, action.reason)
            await self._availability_changed()
            for listener in self._gone_listeners:
                try:
                    await listener(agent_id, status)
                except Exception:
                    log.exception("an agent-gone listener failed for %s", agent_id)
        return change

    async def handle_error(self, action: HandleAgentErrorAction) -> None:
        error = action.error
        level = _LOG_LEVELS.get(error.severity, logging.ERROR)
        if error.traceback:
            log.log(
                level, "agent %s error: %s\n%s", action.agent_id, error.message, error.traceback
            )
        else:
            log.log(level, "agent %s error: %s", action.agent_id, error.message)

    # --- reads ------------------------------------------------------------------------------

    async def get_agent(self, action: GetAgentAction) -> AgentRow:
        row = await self._repository.get(action.agent_id)
        if row is None:
            raise ObjectNotFound(f"No agent {action.agent_id}")
        return row

    async def list_agents(self, action: ListAgentsAction) -> list[AgentRow]:
        return await self._repository.list_agents(
            statuses=action.statuses,
            scaling_group=action.scaling_group,
            limit=action.limit,
            offset=action.offset,
        )

    # --- the admin API --------------------------------------------------------------------
    # Agents are infrastructure shared by every domain: only superadmins see them (as in the
    # reference manager), domain admins and users are refused.

    async def admin_get_agent(self, action: AdminGetAgentAction) -> AgentDetail | None:
        _require_superadmin(action.requester)
        row = await self._repository.get(action.agent_id)
        if row is None:
            return None
        counts = await self._repository.container_counts([row.id])
        stats = await self._read_live_stats([row.id])
        return AgentDetail(
            row=row, container_count=counts.get(row.id, 0), live_stat=stats.get(row.id)
        )

    async def admin_list_agents(self, action: AdminListAgentsAction) -> AgentPage:
        _require_superadmin(action.requester)
        if (action.limit is not None and action.limit < 0) or action.offset < 0:
            raise InvalidAPIParameters("`limit` and `offset` must not be negative")
        page = await self._repository.list_page(
            statuses=action.statuses,
            scaling_group=action.scaling_group,
            expression=action.filter,
            order=action.order,
            limit=action.limit,
            offset=action.offset,
        )
        stats = await self._read_live_stats([row.id for row in page.items])
        return replace(page, live_stats=stats)

    async def _read_live_stats(self, agent_ids: list[str]) -> dict[str, AgentLiveStat]:
        if self._live_stats is None:
            return {}
        return await self._live_stats.read(agent_ids)

    # --- resource slot types --------------------------------------------------------------

    async def resource_slots(self, action: GetResourceSlotsAction) -> dict[str, str]:
        """Slot name -> unit: cpu and mem, then what etcd records (`config/resource_slots`),
        or, when etcd records nothing, the enabled rows of `resource_slot_types`."""
        units = dict(INTRINSIC_SLOT_UNITS)
        configured = await self._configured_slot_units()
        if configured:
            units.update(configured)
        else:
            units.update(
                {
                    t.slot_name: t.slot_type.value
                    for t in await self._repository.slot_types()
                    if t.enabled
                }
            )
        return units

    async def resource_slot_details(
        self, action: GetResourceSlotDetailsAction
    ) -> dict[str, dict[str, object]]:
        """Slot name -> `{slot_name, description, human_readable_name, display_unit,
        number_format {binary, round_length}, display_icon}` for every known slot."""
        units = await self.resource_slots(GetResourceSlotsAction(requester=action.requester))
        described = {t.slot_name: t for t in await self._repository.slot_types()}
        names = list(units)
        if action.scaling_group is not None:
            reported = await self._repository.slots_in_scaling_group(action.scaling_group)
            names = [n for n in names if n in INTRINSIC_SLOT_UNITS or n in reported]
        return {name: _slot_metadata(name, units[name], described.get(name)) for name in names}

    async def _configured_slot_units(self) -> dict[str, str]:
        try:
            stored = await self._etcd.get_prefix(RESOURCE_SLOTS_PREFIX)
        except EtcdUnavailable as e:
            log.warning("could not read the resource slots from etcd: %s", e)
            return {}
        return {k: v.strip() for k, v in stored.items() if isinstance(v, str) and v.strip()}

    # --- helpers ----------------------------------------------------------------------------

    async def _publish_slot_units(self, units: dict[str, str]) -> None:
        """Write `config/resource_slots/<slot>` = unit for slots etcd does not know yet."""
        try:
            if self._known_slot_units is None:
                stored = await self._etcd.get_prefix(RESOURCE_SLOTS_PREFIX)
                self._known_slot_units = {
                    **INTRINSIC_SLOT_UNITS,
                    **{k: v for k, v in stored.items() if isinstance(v, str)},
                }
            known = self._known_slot_units
            for slot, unit in units.items():
                if slot in known:
                    continue
                await self._etcd.put(f"{RESOURCE_SLOTS_PREFIX}/{quote(slot, safe='')}", unit)
                known[slot] = unit
                log.info("new resource slot %s (%s) recorded in etcd", slot, unit)
        except EtcdUnavailable as e:
            # Retried with the next heartbeat, since the slot is still unknown then.
            log.warning("could not record new resource slots in etcd: %s", e)

    @staticmethod
    async def _notify(listeners: list[AgentListener], agent_id: str) -> None:
        for listener in listeners:
            try:
                await listener(agent_id)
            except Exception:
                log.exception("an agent listener failed for %s", agent_id)
