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

from ai.backend.manager.actions.image import (
    AliasImageAction,
    DealiasImageAction,
    ForgetImageAction,
    GetImageAction,
    ListImagesAction,
    ResolveImageAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.image import Image
from ai.backend.manager.errors.base import InvalidAPIParameters, ObjectNotFound
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


def _forgotten_image(result: ForgottenImages, what: str) -> Image:
    records = [*result.forgotten, *result.already_deleted]
    if not records:
        raise ImageNotFound(f"No image {what!r}")
    return Image.from_record(records[0])
