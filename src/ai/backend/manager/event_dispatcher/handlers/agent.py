"""Agent lifecycle events -> agent registry actions."""

from __future__ import annotations

from ai.backend.manager.actions.agent import (
    HandleAgentErrorAction,
    HandleAgentHeartbeatAction,
    HandleAgentStartedAction,
    HandleAgentTerminatedAction,
)
from ai.backend.manager.event_dispatcher.delivery import produced_at_or_now
from ai.backend.manager.event_dispatcher.dispatcher import EventDispatcher
from ai.backend.manager.events.agent import (
    AgentErrorEvent,
    AgentHeartbeatEvent,
    AgentStartedEvent,
    AgentTerminatedEvent,
)
from ai.backend.manager.services.agent.processors import AgentProcessors


class AgentEventHandlers:
    """The agent id is the event's `source`, never a body field."""

    def __init__(self, processors: AgentProcessors) -> None:
        self._processors = processors

    async def on_heartbeat(self, source: str, event: AgentHeartbeatEvent) -> None:
        await self._processors.heartbeat.run(
            HandleAgentHeartbeatAction(
                agent_id=source, produced_at=produced_at_or_now(), info=event.agent_info
            )
        )

    async def on_started(self, source: str, event: AgentStartedEvent) -> None:
        await self._processors.started.run(
            HandleAgentStartedAction(
                agent_id=source, produced_at=produced_at_or_now(), reason=event.reason
            )
        )

    async def on_terminated(self, source: str, event: AgentTerminatedEvent) -> None:
        await self._processors.terminated.run(
            HandleAgentTerminatedAction(
                agent_id=source, produced_at=produced_at_or_now(), reason=event.reason
            )
        )

    async def on_error(self, source: str, event: AgentErrorEvent) -> None:
        await self._processors.error.run(
            HandleAgentErrorAction(agent_id=source, produced_at=produced_at_or_now(), error=event)
        )


def register_agent_event_handlers(
    dispatcher: EventDispatcher, processors: AgentProcessors
) -> AgentEventHandlers:
    handlers = AgentEventHandlers(processors)
    dispatcher.consume(AgentHeartbeatEvent, handlers.on_heartbeat)
    dispatcher.consume(AgentStartedEvent, handlers.on_started)
    dispatcher.consume(AgentTerminatedEvent, handlers.on_terminated)
    dispatcher.consume(AgentErrorEvent, handlers.on_error)
    return handlers
