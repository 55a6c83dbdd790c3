"""What every `backend.ai mgr` subcommand gets: the config path and a lazily loaded config."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from ai.backend.manager.clients.etcd import EtcdClient, EtcdUnavailable
from ai.backend.manager.config.loader import load_config
from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.errors.config import ConfigurationError

T = TypeVar("T")


def fail(message: str, *, exit_code: int = 1) -> NoReturn:
    """Print one clear line to stderr and exit non-zero (no traceback)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(exit_code)


@dataclass
class CLIContext:
    config_path: Path | None
    log_level: str = "WARNING"
    _config: ManagerLocalConfig | None = field(default=None, init=False)

    @property
    def config(self) -> ManagerLocalConfig:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigurationError as e:
                fail(str(e))
        return self._config

    def etcd(self) -> EtcdClient:
        cfg = self.config.etcd
        return EtcdClient(
            host=cfg.addr.host,
            port=cfg.addr.port,
            namespace=cfg.namespace,
            user=cfg.user,
            password=cfg.password,
            timeout=cfg.timeout,
        )

    def run(self, coro_fn: Callable[[], Awaitable[T]]) -> T:
        """Run an async command body, turning infrastructure failures into one-line errors."""

        async def _main() -> T:
            return await coro_fn()

        try:
            return asyncio.run(_main())
        except EtcdUnavailable as e:
            fail(str(e))
        except ConfigurationError as e:
            fail(str(e))
        except OSError as e:
            fail(f"{type(e).__name__}: {e}")


def setup_cli_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
