"""Find, read and validate manager.toml; every failure becomes one line naming the key."""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.errors.config import ConfigurationError

CONFIG_FILE_NAME = "manager.toml"


def default_config_paths() -> list[Path]:
    """Where manager.toml is looked for, in order, when no path is given."""
    return [
        Path.cwd() / CONFIG_FILE_NAME,
        Path.home() / ".config" / "backend.ai" / CONFIG_FILE_NAME,
        Path("/etc/backend.ai") / CONFIG_FILE_NAME,
    ]


def find_config_file(explicit: Path | None = None) -> Path:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigurationError(f"config file not found: {explicit}")
        return explicit
    env_path = os.environ.get("BACKEND_MANAGER_CONFIG")
    if env_path:
        return find_config_file(Path(env_path))
    for candidate in default_config_paths():
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(p) for p in default_config_paths())
    raise ConfigurationError(f"no {CONFIG_FILE_NAME} found (searched {searched}); pass -f PATH")


def _describe_error(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"])
    section, _, rest = location.partition(".")
    key = f"[{section}] {rest}" if rest else f"[{section}]"
    value = error.get("input")
    shown = "" if isinstance(value, dict) or error["type"] == "missing" else f" (got {value!r})"
    return f"{key}: {error['msg']}{shown}"


def parse_config(raw: Mapping[str, Any], *, source: str = CONFIG_FILE_NAME) -> ManagerLocalConfig:
    try:
        return ManagerLocalConfig.model_validate(raw)
    except ValidationError as e:
        first = _describe_error(e.errors()[0])
        more = len(e.errors()) - 1
        suffix = f" (and {more} more)" if more else ""
        raise ConfigurationError(f"{source}: {first}{suffix}") from None


def load_config(explicit: Path | None = None) -> ManagerLocalConfig:
    path = find_config_file(explicit)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigurationError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigurationError(f"{path}: cannot read: {e.strerror}") from None
    config = parse_config(raw, source=str(path))
    if not config.manager.id:
        manager = config.manager.model_copy(update={"id": f"i-{socket.gethostname()}"})
        config = config.model_copy(update={"manager": manager})
    return config
