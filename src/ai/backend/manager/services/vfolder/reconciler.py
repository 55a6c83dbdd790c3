"""Runs `VFolderService.reconcile` at start-up and then periodically, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ai.backend.manager.services.vfolder.service import VFolderService

log = logging.getLogger(__name__)


class VFolderReconciler:
    def __init__(self, service: VFolderService, *, interval: float = 300.0) -> None:
        self._service = service
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One round now (tests; operators' tools): the number of folders fixed."""
        return await self._service.reconcile()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="vfolder-reconciler")

    async def _run(self) -> None:
        while True:
            try:
                fixed = await asyncio.wait_for(self._service.reconcile(), timeout=self._interval)
                if fixed:
                    log.info("vfolder reconciler fixed %d folders", fixed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("vfolder reconciler round failed")
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
