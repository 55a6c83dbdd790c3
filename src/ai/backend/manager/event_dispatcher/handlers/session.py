"""Agent events about kernels, images and session results, routed to the launcher.

Handlers are thin: they translate the event into one launcher call, and the launcher's
repository writes are idempotent (a duplicated or late event changes nothing).
"""

from __future__ import annotations

from ai.backend.manager.event_dispatcher.dispatcher import EventDispatcher
from ai.backend.manager.events.image import (
    ImagePullFailedEvent,
    ImagePullFinishedEvent,
    ImagePullStartedEvent,
)
from ai.backend.manager.events.kernel import KernelStartedEvent, KernelTerminatedEvent
from ai.backend.manager.events.session import SessionFailureEvent, SessionSuccessEvent
from ai.backend.manager.repositories.session import SessionRepository
from ai.backend.manager.sokovan.launcher import SessionLauncher
from ai.backend.manager.types import SessionResult


class SessionEventHandlers:
    def __init__(self, launcher: SessionLauncher, sessions: SessionRepository) -> None:
        self._launcher = launcher
        self._sessions = sessions

    async def on_kernel_started(self, source: str, event: KernelStartedEvent) -> None:
        info = event.creation_info.model_dump(mode="json")
        await self._launcher.on_kernel_started(event.kernel_id, info)

    async def on_kernel_terminated(self, source: str, event: KernelTerminatedEvent) -> None:
        await self._launcher.on_kernel_terminated(
            event.kernel_id, str(event.reason), event.exit_code
        )

    async def on_image_pull_started(self, source: str, event: ImagePullStartedEvent) -> None:
        await self._launcher.on_image_pulling(event.agent_id or source, event.image)

    async def on_image_pull_finished(self, source: str, event: ImagePullFinishedEvent) -> None:
        await self._launcher.on_image_ready(event.agent_id or source, event.image)

    async def on_image_pull_failed(self, source: str, event: ImagePullFailedEvent) -> None:
        await self._launcher.on_image_failed(event.agent_id or source, event.image, event.msg)

    async def on_session_success(self, source: str, event: SessionSuccessEvent) -> None:
        await self._sessions.set_result(event.session_id, SessionResult.SUCCESS)

    async def on_session_failure(self, source: str, event: SessionFailureEvent) -> None:
        await self._sessions.set_result(event.session_id, SessionResult.FAILURE)


def register_session_event_handlers(
    dispatcher: EventDispatcher, handlers: SessionEventHandlers
) -> None:
    dispatcher.consume(KernelStartedEvent, handlers.on_kernel_started)
    dispatcher.consume(KernelTerminatedEvent, handlers.on_kernel_terminated)
    dispatcher.consume(ImagePullStartedEvent, handlers.on_image_pull_started)
    dispatcher.consume(ImagePullFinishedEvent, handlers.on_image_pull_finished)
    dispatcher.consume(ImagePullFailedEvent, handlers.on_image_pull_failed)
    dispatcher.consume(SessionSuccessEvent, handlers.on_session_success)
    dispatcher.consume(SessionFailureEvent, handlers.on_session_failure)
