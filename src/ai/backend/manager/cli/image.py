"""`backend.ai mgr image`: rescan registries, list and curate the image catalogue."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.actions.container_registry import RescanImagesAction
from ai.backend.manager.actions.image import (
    AddImageAction,
    AliasImageAction,
    DealiasImageAction,
    ForgetImageAction,
    ListImagesAction,
    ModifyImageAction,
    ResolveImageAction,
)
from ai.backend.manager.cli.context import CLIContext, fail
from ai.backend.manager.cli.engine import run_with_engine
from ai.backend.manager.cli.registry import run_registry_service
from ai.backend.manager.data.image import RescanOutcome
from ai.backend.manager.errors.base import BackendAIError
from ai.backend.manager.repositories.image import (
    AddedImage,
    AliasChange,
    ImageRecord,
    ImageRepository,
)
from ai.backend.manager.services.container_registry.service import ContainerRegistryService
from ai.backend.manager.services.image import ForgottenImages, ImageService, image_resource_limits
from ai.backend.manager.services.image.reference import DEFAULT_ARCHITECTURE
from ai.backend.manager.types import ContainerRegistryType
from ai.backend.manager.utils.sizes import InvalidBinarySize, parse_binary_size


def _run[T](cli_ctx: CLIContext, body: Callable[[ImageService], Awaitable[T]]) -> T:
    """Run `body` with an image service on the configured database; errors are one line."""

    async def _with_service(engine: AsyncEngine) -> T:
        return await body(ImageService(ImageRepository(engine)))

    try:
        return run_with_engine(cli_ctx, _with_service)
    except BackendAIError as e:
        fail(e.msg or e.error_title)


def _pairs(option: str, values: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` option values as a mapping (the value may contain `=`)."""
    result: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"{option} expects KEY=VALUE, not {item!r}")
        result[key.strip()] = value.strip()
    return result


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


@click.group()
def image() -> None:
    """List and curate the images sessions can use."""


@image.command("list")
@click.option("--all", "include_deleted", is_flag=True, help="Include forgotten images.")
@click.pass_obj
def list_images(cli_ctx: CLIContext, include_deleted: bool) -> None:
    """List the images: canonical name, architecture, aliases and status."""

    async def _list(service: ImageService) -> list[ImageRecord]:
        return await service.list_images(ListImagesAction(include_deleted=include_deleted))

    records = _run(cli_ctx, _list)
    if not records:
        click.echo("No images; add one with `backend.ai mgr image add`.")
        return
    rows = [(r.name, r.architecture, ", ".join(r.aliases) or "-", r.status.value) for r in records]
    _table(("IMAGE", "ARCH", "ALIASES", "STATUS"), rows)


@image.command()
@click.argument("canonical")
@click.option(
    "--architecture",
    "--arch",
    default=DEFAULT_ARCHITECTURE,
    show_default=True,
    help="The platform the image is built for.",
)
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="An image label.")
@click.option(
    "--min", "min_slots", multiple=True, metavar="SLOT=AMOUNT", help="e.g. cpu=1, mem=256m."
)
@click.option("--max", "max_slots", multiple=True, metavar="SLOT=AMOUNT", help="e.g. cpu=8.")
@click.option(
    "--registry-url", default=None, help="URL for a new registry (default: https://REGISTRY)."
)
@click.option(
    "--registry-type",
    type=click.Choice([t.value for t in ContainerRegistryType]),
    default=ContainerRegistryType.DOCKER.value,
    show_default=True,
    help="Type of a new registry.",
)
@click.option("--digest", default=None, metavar="sha256:HEX", help="The image config digest.")
@click.option("--size", "size", default=None, metavar="BYTES", help="Image size (e.g. 1g).")
@click.pass_obj
def add(
    cli_ctx: CLIContext,
    canonical: str,
    architecture: str,
    labels: tuple[str, ...],
    min_slots: tuple[str, ...],
    max_slots: tuple[str, ...],
    registry_url: str | None,
    registry_type: str,
    digest: str | None,
    size: str | None,
) -> None:
    """Register CANONICAL (registry/project/name:tag) for an architecture.

    Creates the registry's row when it has none. Adding an image that exists updates the
    options given and makes it live again, so running the same command twice is harmless.
    """
    size_bytes: int | None = None
    if size is not None:
        try:
            size_bytes = int(parse_binary_size(size))
        except InvalidBinarySize as e:
            fail(f"--size: {e}")
    action = AddImageAction(
        canonical=canonical,
        architecture=architecture,
        labels=_pairs("--label", labels),
        min_slots=dict[str, str | Decimal](_pairs("--min", min_slots)),
        max_slots=dict[str, str | Decimal](_pairs("--max", max_slots)),
        digest=digest,
        size_bytes=size_bytes,
        registry_url=registry_url,
        registry_type=ContainerRegistryType(registry_type),
    )

    async def _add(service: ImageService) -> AddedImage:
        return await service.add_image(action)

    added = _run(cli_ctx, _add)
    record = added.image
    if added.registry_created:
        reg = record.registry_info
        project = f", project {reg.project}" if reg.project else ""
        click.echo(f"Created the container registry {reg.name} ({reg.url}{project}).")
    verb = "Added" if added.image_created else "Updated"
    click.echo(f"{verb} {record.name} ({record.architecture}), id {record.id}.")


@image.command()
@click.argument("alias")
@click.argument("target")
@click.argument("architecture", default=DEFAULT_ARCHITECTURE)
@click.pass_obj
def alias(cli_ctx: CLIContext, alias: str, target: str, architecture: str) -> None:
    """Make ALIAS name the image TARGET (for ARCHITECTURE, default x86_64)."""

    async def _alias(service: ImageService) -> AliasChange:
        return await service.alias_image(
            AliasImageAction(alias=alias, target=target, architecture=architecture)
        )

    change = _run(cli_ctx, _alias)
    where = f"{change.image.name} ({change.image.architecture})"
    if change.previous_target is None:
        click.echo(f"{change.alias} -> {where}")
    elif change.previous_target == change.image.name:
        click.echo(f"{change.alias} -> {where} (unchanged)")
    else:
        click.echo(f"{change.alias} -> {where} (was {change.previous_target})")


@image.command()
@click.argument("alias")
@click.pass_obj
def dealias(cli_ctx: CLIContext, alias: str) -> None:
    """Remove the alias ALIAS."""

    async def _dealias(service: ImageService) -> str:
        return await service.dealias_image(DealiasImageAction(alias=alias))

    previous = _run(cli_ctx, _dealias)
    click.echo(f"Removed the alias {alias} (it named {previous}).")


@image.command()
@click.argument("canonical")
@click.argument("architecture", required=False)
@click.pass_obj
def forget(cli_ctx: CLIContext, canonical: str, architecture: str | None) -> None:
    """Mark CANONICAL deleted (for ARCHITECTURE only, or for all of them)."""

    async def _forget(service: ImageService) -> ForgottenImages:
        return await service.forget_image(
            ForgetImageAction(canonical=canonical, architecture=architecture)
        )

    result = _run(cli_ctx, _forget)
    for record in result.forgotten:
        click.echo(f"Forgot {record.name} ({record.architecture}).")
    for record in result.already_deleted:
        click.echo(f"{record.name} ({record.architecture}) was already forgotten.")


@image.command()
@click.argument("registry", required=False)
@click.option("--project", "-p", default=None, help="Scan only this project of the registry.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@click.pass_obj
def rescan(cli_ctx: CLIContext, registry: str | None, project: str | None, quiet: bool) -> None:
    """Read the images of REGISTRY (every registered registry if omitted) into the catalogue.

    All or nothing: if the registry does not answer or answers garbage, the catalogue is left
    as it was. Images with broken labels are skipped and listed.
    """
    interactive = sys.stderr.isatty()

    async def _progress(done: int, total: int, message: str) -> None:
        if quiet:
            return
        line = f"[{done}/{total}] {message}"
        if interactive:
            click.echo("\r\033[K" + line[:150], nl=False, err=True)
        else:
            click.echo(line, err=True)

    async def _rescan(service: ContainerRegistryService) -> RescanOutcome:
        return await service.rescan(
            RescanImagesAction(registry=registry, project=project, progress=_progress)
        )

    outcome = run_registry_service(cli_ctx, _rescan)
    if interactive and not quiet:
        click.echo("", err=True)
    click.echo(outcome.message)
    for warning in outcome.warnings:
        click.echo(f"  warning: {warning}")


@image.command()
@click.argument("reference")
@click.argument("architecture", default=DEFAULT_ARCHITECTURE)
@click.pass_obj
def inspect(cli_ctx: CLIContext, reference: str, architecture: str) -> None:
    """Show everything the catalogue knows of REFERENCE (name, alias or short name)."""

    async def _inspect(service: ImageService) -> ImageRecord:
        return await service.lookup_image(
            ResolveImageAction(reference=reference, architecture=architecture)
        )

    record = _run(cli_ctx, _inspect)
    limits = {
        slot: {"min": str(low), "max": None if high is None else str(high)}
        for slot, (low, high) in image_resource_limits(record).items()
    }
    info = {
        "id": str(record.id),
        "name": record.name,
        "registry": record.registry,
        "registry_url": record.registry_info.url,
        "project": record.project,
        "image": record.image,
        "tag": record.tag,
        "architecture": record.architecture,
        "digest": record.config_digest,
        "size_bytes": record.size_bytes,
        "type": record.type.value,
        "status": record.status.value,
        "aliases": list(record.aliases),
        "accelerators": record.accelerators.split(",") if record.accelerators else [],
        "resource_limits": limits,
        "labels": dict(sorted(record.labels.items())),
    }
    click.echo(json.dumps(info, indent=2))


@image.command("set-resource-limit")
@click.argument("reference")
@click.argument("slot")
@click.argument("range_value", metavar="MIN:MAX")
@click.argument("architecture", default=DEFAULT_ARCHITECTURE)
@click.pass_obj
def set_resource_limit(
    cli_ctx: CLIContext, reference: str, slot: str, range_value: str, architecture: str
) -> None:
    """Set the SLOT limits of REFERENCE: `1:4`, `256m:` (no maximum), `:8g` (no minimum)."""
    low, sep, high = range_value.partition(":")
    if not sep:
        fail(f"expected MIN:MAX (either side may be empty), not {range_value!r}")

    async def _set(service: ImageService) -> ImageRecord:
        return await service.modify_image(
            ModifyImageAction(
                target=reference,
                architecture=architecture,
                resource_limits={slot: (low.strip() or None, high.strip() or None)},
            )
        )

    record = _run(cli_ctx, _set)
    low_amount, high_amount = image_resource_limits(record).get(slot, (None, None))
    shown_high = "unlimited" if high_amount is None else str(high_amount)
    click.echo(f"{record.name} ({record.architecture}): {slot} min {low_amount}, max {shown_high}")
