"""Storage proxies' clone outcomes -> the copy's row (whichever manager started the clone).

The manager that started a clone follows it as a background task; these handlers settle the
copy even if that manager is gone. Both paths only move a CLONING row, so either may go first.
"""

from __future__ import annotations

import logging
import uuid

from ai.backend.manager.actions.vfolder_sharing import SettleCloneAction
from ai.backend.manager.event_dispatcher.dispatcher import EventDispatcher
from ai.backend.manager.events.vfolder_clone import (
    VFolderCloneFailureEvent,
    VFolderCloneSuccessEvent,
)
from ai.backend.manager.services.vfolder_sharing.processors import VFolderSharingProcessors

log = logging.getLogger(__name__)


class VFolderCloneEventHandlers:
    def __init__(self, processors: VFolderSharingProcessors) -> None:
        self._processors = processors

    async def _settle(self, dst_vfid: str, succeeded: bool, message: str) -> None:
        # `<quota scope id>/<folder uuid hex>`: only the folder's uuid matters here
        try:
            target = uuid.UUID(dst_vfid.rpartition("/")[2])
        except ValueError:
            log.warning("ignoring a clone outcome for the unreadable folder id %r", dst_vfid)
            return
        await self._processors.settle_clone.run(
            SettleCloneAction(target_id=target, succeeded=succeeded, message=message)
        )

    async def on_success(self, source: str, event: VFolderCloneSuccessEvent) -> None:
        await self._settle(event.dst_vfid, True, "")

    async def on_failure(self, source: str, event: VFolderCloneFailureEvent) -> None:
        await self._settle(event.dst_vfid, False, event.message)


def register_vfolder_clone_handlers(
    dispatcher: EventDispatcher, processors: VFolderSharingProcessors
) -> VFolderCloneEventHandlers:
    handlers = VFolderCloneEventHandlers(processors)
    dispatcher.consume(VFolderCloneSuccessEvent, handlers.on_success)
    dispatcher.consume(VFolderCloneFailureEvent, handlers.on_failure)
    return handlers
