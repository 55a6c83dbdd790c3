"""The processors of every operation, grouped by what they act on; built once in server.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ai.backend.manager.actions.announcement import (
    GetAnnouncementAction,
    UpdateAnnouncementAction,
)
from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.keypair import GetKeypairAction
from ai.backend.manager.actions.session import (
    CompleteCodeAction,
    CreateSessionAction,
    CreateSessionResult,
    DestroySessionAction,
    DownloadSessionFileAction,
    DownloadSessionFilesAction,
    ExecuteCodeAction,
    GetSessionByIdAction,
    GetSessionInfoAction,
    GetSessionLogsAction,
    InterruptSessionAction,
    ListSessionFilesAction,
    ListSessionsAction,
    RenameSessionAction,
    RestartSessionAction,
    UploadSessionFilesAction,
)
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.keypair.types import KeypairDetail
from ai.backend.manager.repositories.session.types import SessionRecord
from ai.backend.manager.services.announcement.service import Announcement, AnnouncementService
from ai.backend.manager.services.keypair.service import KeypairService
from ai.backend.manager.services.session.service import SessionService


@dataclass(frozen=True)
class KeypairProcessors:
    get: ActionProcessor[GetKeypairAction, KeypairDetail]


@dataclass(frozen=True)
class AnnouncementProcessors:
    get: ActionProcessor[GetAnnouncementAction, Announcement]
    update: ActionProcessor[UpdateAnnouncementAction, Announcement]


@dataclass(frozen=True)
class SessionProcessors:
    create: ActionProcessor[CreateSessionAction, CreateSessionResult]
    get_info: ActionProcessor[GetSessionInfoAction, SessionRecord]
    get_by_id: ActionProcessor[GetSessionByIdAction, SessionRecord | None]
    list: ActionProcessor[ListSessionsAction, tuple[list[SessionRecord], int]]
    destroy: ActionProcessor[DestroySessionAction, SessionRecord]
    rename: ActionProcessor[RenameSessionAction, None]
    restart: ActionProcessor[RestartSessionAction, None]
    interrupt: ActionProcessor[InterruptSessionAction, dict[str, Any]]
    complete: ActionProcessor[CompleteCodeAction, Any]
    execute: ActionProcessor[ExecuteCodeAction, dict[str, Any]]
    get_logs: ActionProcessor[GetSessionLogsAction, str]
    list_files: ActionProcessor[ListSessionFilesAction, dict[str, Any]]
    upload_files: ActionProcessor[UploadSessionFilesAction, None]
    download_files: ActionProcessor[DownloadSessionFilesAction, Sequence[bytes]]
    download_single: ActionProcessor[DownloadSessionFileAction, bytes]


@dataclass(frozen=True)
class Processors:
    keypair: KeypairProcessors
    announcement: AnnouncementProcessors
    session: SessionProcessors


@dataclass(frozen=True)
class Services:
    keypair: KeypairService
    announcement: AnnouncementService
    session: SessionService


def build_processors(services: Services, metrics: ManagerMetrics) -> Processors:
    session = services.session
    return Processors(
        keypair=KeypairProcessors(
            get=ActionProcessor(services.keypair.get_keypair, metrics=metrics),
        ),
        announcement=AnnouncementProcessors(
            get=ActionProcessor(services.announcement.get, metrics=metrics),
            update=ActionProcessor(services.announcement.update, metrics=metrics),
        ),
        session=SessionProcessors(
            create=ActionProcessor(session.create, metrics=metrics),
            get_info=ActionProcessor(session.get_info, metrics=metrics),
            get_by_id=ActionProcessor(session.get_by_id, metrics=metrics),
            list=ActionProcessor(session.list_sessions, metrics=metrics),
            destroy=ActionProcessor(session.destroy, metrics=metrics),
            rename=ActionProcessor(session.rename, metrics=metrics),
            restart=ActionProcessor(session.restart, metrics=metrics),
            interrupt=ActionProcessor(session.interrupt, metrics=metrics),
            complete=ActionProcessor(session.complete, metrics=metrics),
            execute=ActionProcessor(session.execute, metrics=metrics),
            get_logs=ActionProcessor(session.get_logs, metrics=metrics),
            list_files=ActionProcessor(session.list_files, metrics=metrics),
            upload_files=ActionProcessor(session.upload_files, metrics=metrics),
            download_files=ActionProcessor(session.download_files, metrics=metrics),
            download_single=ActionProcessor(session.download_single, metrics=metrics),
        ),
    )
