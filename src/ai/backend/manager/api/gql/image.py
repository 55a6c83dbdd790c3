"""GraphQL root fields of images (queries and mutations), merged into the schema.

Every user may list and read the images their domain's registries allow; changing the catalogue
(aliases, forgetting) is for superadmins, and a refusal is a GraphQL error. Expected failures
(no such image or alias, a bad reference) come back as `ok: false` with the reason in `msg`.
"""

import logging
import uuid
from collections.abc import Awaitable

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.container_registry import RescanImagesAction
from ai.backend.manager.actions.image import (
    AliasImageAction,
    DealiasImageAction,
    ForgetImageAction,
    GetImageAction,
    ListImagesAction,
    ModifyImageAction,
    ResolveImageAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.image import Image
from ai.backend.manager.errors.base import InvalidAPIParameters, ObjectNotFound, PermissionDenied
from ai.backend.manager.errors.image import ImageNotFound, InvalidImageReference
from ai.backend.manager.services.image.reference import DEFAULT_ARCHITECTURE
from ai.backend.manager.services.image.types import ForgottenImages

log = logging.getLogger(__name__)


def _parse_image_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidImageReference(f"{value!r} is not an image id (a UUID)") from None


@strawberry.type(name="ImageMutationResult")
class ImageMutationResult:
    ok: bool
    msg: str
    image: Image | None = None


async def _outcome(run: Awaitable[Image | None], success: str = "success") -> ImageMutationResult:
    """The mutation result of `run`: its image, or `ok: false` for an expected failure."""
    try:
        image = await run
    except (ObjectNotFound, InvalidAPIParameters) as e:
        return ImageMutationResult(ok=False, msg=e.msg or e.error_title)
    return ImageMutationResult(ok=True, msg=success, image=image)


@strawberry.type(name="RescanImages")
class RescanImagesResult:
    ok: bool
    msg: str
    task_id: uuid.UUID | None = None


@strawberry.type(name="PreloadImage")
class PreloadImageResult:
    ok: bool
    msg: str
    task_id: str | None = None


@strawberry.type(name="ModifyImage")
class ModifyImageResult:
    ok: bool
    msg: str


@strawberry.input(name="KVPairInput")
class KVPairInput:
    key: str
    value: str


@strawberry.input(name="ResourceLimitInput")
class ResourceLimitInput:
    key: str
    min: str | None = None
    max: str | None = None


@strawberry.input(name="ModifyImageInput")
class ModifyImageInput:
    name: str | None = None
    registry: str | None = None
    image: str | None = None
    tag: str | None = None
    architecture: str | None = None
    is_local: bool | None = None
    size_bytes: int | None = None
    type: str | None = None
    digest: str | None = None
    labels: list[KVPairInput] | None = None
    supported_accelerators: list[str] | None = None
    resource_limits: list[ResourceLimitInput] | None = None


_FIXED_FIELDS = ("name", "registry", "image", "tag", "architecture", "is_local", "type")


@strawberry.type
class ImageQuery:
    @strawberry.field(
        description=(
            "The live images the caller may use. Operational images are listed only when"
            " `is_operation` is null (the reference manager's behaviour)."
        )
    )
    async def images(
        self,
        info: Info[GQLContext, None],
        is_installed: bool | None = None,
        is_operation: bool | None = False,
    ) -> list[Image]:
        ctx = info.context
        records = await ctx.processors.image.list.run(
            ListImagesAction(requester=ctx.user, include_operational=is_operation is None)
        )
        if is_installed is not None:
            records = [r for r in records if bool(r.installed_agents) == is_installed]
        return [Image.from_record(r) for r in records]

    @strawberry.field(
        description=(
            "One image: by `id`, or by `reference` (canonical name, alias or unambiguous"
            " short name) and `architecture` (default x86_64). An error when there is none."
        )
    )
    async def image(
        self,
        info: Info[GQLContext, None],
        id: str | None = None,
        reference: str | None = None,
        architecture: str | None = None,
    ) -> Image:
        ctx = info.context
        if id is not None:
            record = await ctx.processors.image.get.run(
                GetImageAction(requester=ctx.user, image_id=_parse_image_id(id))
            )
        elif reference is not None:
            record = await ctx.processors.image.lookup.run(
                ResolveImageAction(
                    requester=ctx.user,
                    reference=reference,
                    architecture=architecture or DEFAULT_ARCHITECTURE,
                )
            )
        else:
            raise InvalidAPIParameters("Give either `id` or `reference` (and `architecture`)")
        return Image.from_record(record)


@strawberry.type
class ImageMutation:
    @strawberry.mutation(description="Point an alias at an image (superadmin only).")
    async def alias_image(
        self,
        info: Info[GQLContext, None],
        alias: str,
        target: str,
        architecture: str | None = None,
    ) -> ImageMutationResult:
        ctx = info.context

        async def run() -> Image:
            change = await ctx.processors.image.alias.run(
                AliasImageAction(
                    requester=ctx.user,
                    alias=alias,
                    target=target,
                    architecture=architecture or DEFAULT_ARCHITECTURE,
                )
            )
            log.info("image alias %s -> %s set by %s", alias, change.image.name, ctx.user.email)
            return Image.from_record(change.image)

        return await _outcome(run())

    @strawberry.mutation(description="Remove an image alias (superadmin only).")
    async def dealias_image(self, info: Info[GQLContext, None], alias: str) -> ImageMutationResult:
        ctx = info.context

        async def run() -> None:
            await ctx.processors.image.dealias.run(
                DealiasImageAction(requester=ctx.user, alias=alias)
            )

        return await _outcome(run())

    @strawberry.mutation(
        description="Forget (mark deleted) an image by canonical name and architecture."
    )
    async def forget_image(
        self,
        info: Info[GQLContext, None],
        reference: str,
        architecture: str | None = None,
    ) -> ImageMutationResult:
        ctx = info.context

        async def run() -> Image:
            result = await ctx.processors.image.forget.run(
                ForgetImageAction(
                    requester=ctx.user,
                    canonical=reference,
                    architecture=architecture or DEFAULT_ARCHITECTURE,
                )
            )
            return _forgotten_image(result, reference)

        return await _outcome(run())

    @strawberry.mutation(description="Forget (mark deleted) an image build by its id.")
    async def forget_image_by_id(
        self, info: Info[GQLContext, None], image_id: str
    ) -> ImageMutationResult:
        ctx = info.context

        async def run() -> Image:
            result = await ctx.processors.image.forget.run(
                ForgetImageAction(requester=ctx.user, image_id=_parse_image_id(image_id))
            )
            return _forgotten_image(result, image_id)

        return await _outcome(run())

    @strawberry.mutation(
        description=(
            "Read the images of a registry (all when `registry` is null) into the catalogue, as"
            " a background task: follow `task_id` at /events/background-task (superadmin only)."
        )
    )
    async def rescan_images(
        self,
        info: Info[GQLContext, None],
        registry: str | None = None,
        project: str | None = None,
    ) -> RescanImagesResult:
        ctx = info.context
        try:
            task_id = await ctx.processors.container_registry.start_rescan.run(
                RescanImagesAction(requester=ctx.user, registry=registry, project=project)
            )
        except (ObjectNotFound, InvalidAPIParameters) as e:
            return RescanImagesResult(ok=False, msg=e.msg or e.error_title)
        log.info(
            "image rescan of %s started by %s (task %s)",
            registry or "all registries",
            ctx.user.email,
            task_id,
        )
        return RescanImagesResult(ok=True, msg="", task_id=task_id)

    @strawberry.mutation(
        description=(
            "Change a live image's labels, supported accelerators, resource limits, size or"
            " digest (superadmin only). Its identity (name, registry, tag, architecture) cannot"
            " change: rescan the registry instead."
        )
    )
    async def modify_image(
        self,
        info: Info[GQLContext, None],
        target: str,
        props: ModifyImageInput,
        architecture: str | None = None,
    ) -> ModifyImageResult:
        ctx = info.context
        fixed = [f for f in _FIXED_FIELDS if getattr(props, f) is not None]
        if fixed:
            return ModifyImageResult(
                ok=False,
                msg=f"Cannot change {', '.join(fixed)} of an image; rescan its registry instead",
            )
        limits = (
            {r.key: (r.min, r.max) for r in props.resource_limits}
            if props.resource_limits is not None
            else None
        )
        try:
            await ctx.processors.image.modify.run(
                ModifyImageAction(
                    requester=ctx.user,
                    target=target,
                    architecture=architecture or DEFAULT_ARCHITECTURE,
                    labels={kv.key: kv.value for kv in props.labels}
                    if props.labels is not None
                    else None,
                    accelerators=tuple(props.supported_accelerators)
                    if props.supported_accelerators is not None
                    else None,
                    resource_limits=limits,
                    size_bytes=props.size_bytes,
                    digest=props.digest,
                )
            )
        except (ObjectNotFound, InvalidAPIParameters) as e:
            return ModifyImageResult(ok=False, msg=e.msg or e.error_title)
        return ModifyImageResult(ok=True, msg="")

    @strawberry.mutation(description="Pull images on agents ahead of sessions.")
    async def preload_image(
        self,
        info: Info[GQLContext, None],
        references: list[str],
        target_agents: list[str],
    ) -> PreloadImageResult:
        ctx = info.context
        if not ctx.user.is_superadmin:
            raise PermissionDenied("Only superadmins can preload images")
        # Agents pull an image when a session on it is prepared (`check_and_pull`), which
        # already skips images they hold; there is no separate preloading yet.
        return PreloadImageResult(
            ok=False,
            msg=(
                "Preloading images is not supported: agents pull an image when the first"
                " session needs it"
            ),
        )


def _forgotten_image(result: ForgottenImages, what: str) -> Image:
    records = [*result.forgotten, *result.already_deleted]
    if not records:
        raise ImageNotFound(f"No image {what!r}")
    return Image.from_record(records[0])
