"""`backend.ai mgr`: the manager's administration commands."""

from __future__ import annotations

from pathlib import Path

import click

from ai.backend.manager.cli.context import CLIContext, setup_cli_logging
from ai.backend.manager.cli.lazy import LazyGroup

_LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_SUBCOMMANDS = {
    "start-server": "ai.backend.manager.cli.start_server:start_server",
    "etcd": "ai.backend.manager.cli.etcd:etcd",
    "schema": "ai.backend.manager.cli.schema:schema",
    "fixture": "ai.backend.manager.cli.fixture:fixture",
    "image": "ai.backend.manager.cli.image:image",
    "registry": "ai.backend.manager.cli.registry:registry",
}


@click.group(
    cls=LazyGroup,
    lazy_subcommands=_SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-f",
    "--config-path",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="manager.toml to use (default: ./manager.toml, ~/.config/backend.ai/manager.toml, "
    "/etc/backend.ai/manager.toml).",
)
@click.option("--debug", is_flag=True, help="Log at DEBUG level.")
@click.option(
    "--log-level",
    type=click.Choice(_LOG_LEVELS, case_sensitive=False),
    default="WARNING",
    show_default=True,
    help="Logging verbosity of the administration commands.",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, debug: bool, log_level: str) -> None:
    """Backend.AI Manager administration."""
    level = "DEBUG" if debug else log_level
    setup_cli_logging(level)
    ctx.obj = CLIContext(config_path=config_path, log_level=level)


if __name__ == "__main__":
    main()
