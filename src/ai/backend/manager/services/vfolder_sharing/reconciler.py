"""Runs `VFolderSharingService.reconcile_clones` at start-up and then periodically."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ai.backend.manager.services.vfolder_sharing.service import VFolderSharingService

log = logging.getLogger(__name__)


class CloneReconciler:
    def __init__(self, service: VFolderSharingService, *, interval: float = 300.0) -> None:
        self._service = service
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        return await self._service.reconcile_clones()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="vfolder-clone-reconciler")

    async def _run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._interval):
                    fixed = await self._service.reconcile_clones()
                if fixed:
                    log.info("clone reconciler settled %d folders", fixed)
            except Exception:
                log.exception("clone reconciler round failed")
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
