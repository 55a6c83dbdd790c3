"""The announcement lives in etcd (`manager/announcement`), so all manager processes agree."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.announcement import (
    GetAnnouncementAction,
    UpdateAnnouncementAction,
)
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.errors.base import PermissionDenied

ANNOUNCEMENT_KEY = "manager/announcement"


@dataclass(frozen=True, slots=True)
class Announcement:
    enabled: bool
    message: str


class AnnouncementService:
    def __init__(self, etcd: EtcdClient) -> None:
        self._etcd = etcd

    async def get(self, action: GetAnnouncementAction) -> Announcement:
        message = await self._etcd.get(ANNOUNCEMENT_KEY)
        return Announcement(enabled=bool(message), message=message or "")

    async def update(self, action: UpdateAnnouncementAction) -> Announcement:
        if not action.requester.is_superadmin:
            raise PermissionDenied("Only superadmins can change the announcement")
        if action.enabled and action.message:
            await self._etcd.put(ANNOUNCEMENT_KEY, action.message)
            return Announcement(enabled=True, message=action.message)
        await self._etcd.delete(ANNOUNCEMENT_KEY)
        return Announcement(enabled=False, message="")
