"""`backend.ai mgr etcd ...`: read and write the shared configuration in etcd."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ai.backend.manager.cli.context import CLIContext, fail


@click.group()
def etcd() -> None:
    """Read and write keys in the configured etcd namespace."""


@etcd.command()
@click.argument("key")
@click.argument("value")
@click.pass_obj
def put(cli_ctx: CLIContext, key: str, value: str) -> None:
    """Set KEY to VALUE."""
    client = cli_ctx.etcd()
    cli_ctx.run(lambda: client.put(key, value))


@etcd.command("put-json")
@click.argument("key")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.pass_obj
def put_json(cli_ctx: CLIContext, key: str, file: Path) -> None:
    """Store the JSON object in FILE (or - for stdin) under KEY, one etcd key per leaf."""
    try:
        text = click.get_text_stream("stdin").read() if str(file) == "-" else file.read_text()
    except OSError as e:
        fail(f"cannot read {file}: {e.strerror}")
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"{file} is not valid JSON: {e}")
    client = cli_ctx.etcd()
    if isinstance(value, dict):
        cli_ctx.run(lambda: client.put_prefix(key, value))
    else:
        cli_ctx.run(lambda: client.put(key, value if isinstance(value, str) else json.dumps(value)))


@etcd.command()
@click.argument("key")
@click.option("--prefix", is_flag=True, help="Print every key under KEY as a JSON object.")
@click.pass_obj
def get(cli_ctx: CLIContext, key: str, prefix: bool) -> None:
    """Print the value of KEY (exit 1 if it is not set)."""
    client = cli_ctx.etcd()
    if prefix:
        tree = cli_ctx.run(lambda: client.get_prefix(key))
        click.echo(json.dumps(tree, indent=2, ensure_ascii=False))
        return
    value = cli_ctx.run(lambda: client.get(key))
    if value is None:
        fail(f"no such key: {key}")
    click.echo(value)


@etcd.command()
@click.argument("key")
@click.option("--prefix", is_flag=True, help="Delete every key under KEY as well.")
@click.pass_obj
def delete(cli_ctx: CLIContext, key: str, prefix: bool) -> None:
    """Delete KEY (and with --prefix everything under it)."""
    client = cli_ctx.etcd()
    if prefix:
        cli_ctx.run(lambda: client.delete_prefix(key))
    else:
        cli_ctx.run(lambda: client.delete(key))
