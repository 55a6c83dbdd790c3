"""The processors of image operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.image import (
    AliasImageAction,
    DealiasImageAction,
    ForgetImageAction,
    GetImageAction,
    ListImagesAction,
    ModifyImageAction,
    ResolveImageAction,
)
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.image import AliasChange, ImageRecord, ImageRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.image.service import ImageService
from ai.backend.manager.services.image.types import ForgottenImages


@dataclass(frozen=True)
class ImageProcessors:
    list: ActionProcessor[ListImagesAction, list[ImageRecord]]
    get: ActionProcessor[GetImageAction, ImageRecord]
    lookup: ActionProcessor[ResolveImageAction, ImageRecord]
    alias: ActionProcessor[AliasImageAction, AliasChange]
    dealias: ActionProcessor[DealiasImageAction, str]
    forget: ActionProcessor[ForgetImageAction, ForgottenImages]
    modify: ActionProcessor[ModifyImageAction, ImageRecord]


def build_image_processors(deps: AdminDeps, metrics: ManagerMetrics) -> ImageProcessors:
    service = ImageService(ImageRepository(deps.db))
    return ImageProcessors(
        list=ActionProcessor(service.list_images, metrics=metrics),
        get=ActionProcessor(service.get_image, metrics=metrics),
        lookup=ActionProcessor(service.lookup_image, metrics=metrics),
        alias=ActionProcessor(service.alias_image, metrics=metrics),
        dealias=ActionProcessor(service.dealias_image, metrics=metrics),
        forget=ActionProcessor(service.forget_image, metrics=metrics),
        modify=ActionProcessor(service.modify_image, metrics=metrics),
    )
