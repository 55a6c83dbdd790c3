"""`backend.ai mgr start-server`."""

from __future__ import annotations

import asyncio

import click

from ai.backend.manager.cli.context import CLIContext, fail


@click.command("start-server")
@click.option("--debug", is_flag=True, help="Log at DEBUG level (overrides [logging] level).")
@click.pass_obj
def start_server(cli_ctx: CLIContext, debug: bool) -> None:
    """Run the manager: the API (default :8081) and Prometheus metrics (default :18080)."""
    import uvloop

    from ai.backend.manager.clients.etcd import EtcdUnavailable
    from ai.backend.manager.errors.config import ConfigurationError
    from ai.backend.manager.server import serve, setup_logging

    config = cli_ctx.config
    setup_logging(config, debug=debug or cli_ctx.log_level == "DEBUG")
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(config))
    except (ConfigurationError, EtcdUnavailable) as e:
        fail(str(e))
    except KeyboardInterrupt:
        pass
