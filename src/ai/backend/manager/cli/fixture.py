"""`backend.ai mgr fixture`: load JSON fixtures (rows per table) into the database."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.cli.context import CLIContext, fail
from ai.backend.manager.cli.engine import run_with_engine
from ai.backend.manager.services.fixture import (
    FixtureError,
    FixtureReport,
    populate_fixture,
    read_fixture_file,
)


@click.group()
def fixture() -> None:
    """Load fixtures (JSON objects of table name -> list of rows)."""


@fixture.command()
@click.argument("fixture_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def populate(cli_ctx: CLIContext, fixture_path: Path) -> None:
    """Load FILE in one transaction: rows that exist are skipped (`"__mode": "insert"`, the
    default) or updated (`"__mode": "update"`); any error loads nothing."""
    try:
        parsed = read_fixture_file(fixture_path)
    except FixtureError as e:
        fail(f"{fixture_path}: {e}; nothing was loaded")

    async def _load(engine: AsyncEngine) -> FixtureReport:
        return await populate_fixture(engine, parsed)

    try:
        report = run_with_engine(cli_ctx, _load)
    except FixtureError as e:
        fail(f"{fixture_path}: {e}; nothing was loaded")
    click.echo(f"Loaded {fixture_path} (mode: {report.mode.value}):")
    for table in report.tables:
        click.echo(f"  {table}")
