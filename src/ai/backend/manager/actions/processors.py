"""The processors of every operation, grouped by what they act on; built once in server.py."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.announcement import (
    GetAnnouncementAction,
    UpdateAnnouncementAction,
)
from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.keypair import GetKeypairAction
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.keypair.types import KeypairDetail
from ai.backend.manager.services.announcement.service import Announcement, AnnouncementService
from ai.backend.manager.services.keypair.service import KeypairService


@dataclass(frozen=True)
class KeypairProcessors:
    get: ActionProcessor[GetKeypairAction, KeypairDetail]


@dataclass(frozen=True)
class AnnouncementProcessors:
    get: ActionProcessor[GetAnnouncementAction, Announcement]
    update: ActionProcessor[UpdateAnnouncementAction, Announcement]


@dataclass(frozen=True)
class Processors:
    keypair: KeypairProcessors
    announcement: AnnouncementProcessors


@dataclass(frozen=True)
class Services:
    keypair: KeypairService
    announcement: AnnouncementService


def build_processors(services: Services, metrics: ManagerMetrics) -> Processors:
    return Processors(
        keypair=KeypairProcessors(
            get=ActionProcessor(services.keypair.get_keypair, metrics=metrics),
        ),
        announcement=AnnouncementProcessors(
            get=ActionProcessor(services.announcement.get, metrics=metrics),
            update=ActionProcessor(services.announcement.update, metrics=metrics),
        ),
    )
