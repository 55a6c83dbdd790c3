"""`backend.ai mgr registry`: register the container registries that images come from."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.actions.container_registry import (
    CreateRegistryAction,
    DeleteRegistryAction,
    ListRegistriesAction,
    ModifyRegistryAction,
)
from ai.backend.manager.cli.context import CLIContext, fail
from ai.backend.manager.cli.engine import run_with_engine
from ai.backend.manager.data.image import RegistryInput, RegistryRecord
from ai.backend.manager.errors.base import BackendAIError
from ai.backend.manager.repositories.container_registry import ContainerRegistryRepository
from ai.backend.manager.services.container_registry.service import ContainerRegistryService
from ai.backend.manager.types import ContainerRegistryType

_TYPES = [t.value for t in ContainerRegistryType]


def run_registry_service[T](
    cli_ctx: CLIContext, body: Callable[[ContainerRegistryService], Awaitable[T]]
) -> T:
    """Run `body` with a registry service on the configured database; errors are one line."""

    async def _with_service(engine: AsyncEngine) -> T:
        return await body(ContainerRegistryService(ContainerRegistryRepository(engine)))

    try:
        return run_with_engine(cli_ctx, _with_service)
    except BackendAIError as e:
        fail(e.msg or e.error_title)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _describe(record: RegistryRecord) -> str:
    project = f", project {record.project}" if record.project else ""
    return f"{record.name} ({record.type.value}, {record.url}{project})"


def _password(from_stdin: bool, given: str | None) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return given


@click.group()
def registry() -> None:
    """Register the container registries that image rescans read."""


@registry.command("list")
@click.pass_obj
def list_registries(cli_ctx: CLIContext) -> None:
    """List the registered registries (passwords are never shown)."""

    async def _list(service: ContainerRegistryService) -> list[RegistryRecord]:
        return await service.list_registries(ListRegistriesAction())

    rows = run_registry_service(cli_ctx, _list)
    if not rows:
        click.echo("No container registries; add one with `backend.ai mgr registry add`.")
        return
    _table(
        ("NAME", "TYPE", "URL", "PROJECT", "USERNAME", "PASSWORD", "SSL-VERIFY", "GLOBAL", "ID"),
        [
            (
                r.name,
                r.type.value,
                r.url,
                r.project or "-",
                r.username or "-",
                "(set)" if r.has_password else "-",
                "no" if r.ssl_verify is False else "yes",
                "yes" if r.is_global else "no",
                str(r.id),
            )
            for r in rows
        ],
    )


def _credential_options[F: Callable[..., object]](fn: F) -> F:
    fn = click.option("--username", default=None, help="Account for pulls and rescans.")(fn)
    fn = click.option(
        "--password",
        default=None,
        help="Its password (prefer --password-stdin: command lines are visible to others).",
    )(fn)
    fn = click.option(
        "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
    )(fn)
    return fn


@registry.command()
@click.argument("name")
@click.argument("url")
@click.option(
    "--type",
    "registry_type",
    type=click.Choice(_TYPES),
    default=ContainerRegistryType.DOCKER.value,
    show_default=True,
)
@click.option("--project", default=None, help="Repository prefix (Harbor: project) to scan.")
@_credential_options
@click.option("--no-ssl-verify", is_flag=True, help="Accept any TLS certificate.")
@click.option("--not-global", is_flag=True, help="Not usable by every project.")
@click.pass_obj
def add(
    cli_ctx: CLIContext,
    name: str,
    url: str,
    registry_type: str,
    project: str | None,
    username: str | None,
    password: str | None,
    password_stdin: bool,
    no_ssl_verify: bool,
    not_global: bool,
) -> None:
    """Register NAME (the host[:port] image names start with), served at URL.

    \b
    Example:
      backend.ai mgr registry add 127.0.0.1:5050 http://127.0.0.1:5050 --project testing
    """
    values = RegistryInput(
        registry_name=name,
        url=url,
        type=ContainerRegistryType(registry_type),
        project=project,
        username=username,
        password=_password(password_stdin, password),
        ssl_verify=not no_ssl_verify,
        is_global=not not_global,
    )

    async def _add(service: ContainerRegistryService) -> RegistryRecord:
        return await service.create_registry(CreateRegistryAction(values=values))

    created = run_registry_service(cli_ctx, _add)
    click.echo(f"Registered {_describe(created)}, id {created.id}.")
    click.echo(f"Rescan it with: backend.ai mgr image rescan {created.name}")


@registry.command()
@click.argument("name")
@click.option("--url", default=None)
@click.option("--type", "registry_type", type=click.Choice(_TYPES), default=None)
@click.option("--project", default=None, help="New project ('' to clear).")
@_credential_options
@click.option("--clear-credentials", is_flag=True, help="Forget the username and password.")
@click.option("--ssl-verify/--no-ssl-verify", default=None)
@click.pass_obj
def update(
    cli_ctx: CLIContext,
    name: str,
    url: str | None,
    registry_type: str | None,
    project: str | None,
    username: str | None,
    password: str | None,
    password_stdin: bool,
    clear_credentials: bool,
    ssl_verify: bool | None,
) -> None:
    """Change the registry NAME (every row of that name)."""
    values = RegistryInput(
        url=url,
        type=ContainerRegistryType(registry_type) if registry_type else None,
        project=project,
        username=username,
        password=_password(password_stdin, password),
        ssl_verify=ssl_verify,
        cleared=frozenset({"username", "password"}) if clear_credentials else frozenset(),
    )

    async def _update(service: ContainerRegistryService) -> list[RegistryRecord]:
        return await service.modify_registry(ModifyRegistryAction(hostname=name, values=values))

    for record in run_registry_service(cli_ctx, _update):
        click.echo(f"Updated {_describe(record)}.")


@registry.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def remove(cli_ctx: CLIContext, name: str, yes: bool) -> None:
    """Delete the registry NAME and the images the catalogue has from it."""
    if not yes:
        click.confirm(f"Delete {name} and its images from the catalogue?", abort=True)

    async def _remove(service: ContainerRegistryService) -> list[RegistryRecord]:
        return await service.delete_registry(DeleteRegistryAction(hostname=name))

    for record in run_registry_service(cli_ctx, _remove):
        click.echo(f"Deleted {_describe(record)}.")
