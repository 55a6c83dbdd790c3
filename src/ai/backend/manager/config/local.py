"""The pydantic model of manager.toml (the node-local configuration)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def _hyphenate(name: str) -> str:
    return name.replace("_", "-")


class ConfigSection(BaseModel):
    """Keys are written with hyphens in TOML; unknown keys are ignored for compatibility."""

    model_config = ConfigDict(
        alias_generator=_hyphenate, populate_by_name=True, extra="ignore", frozen=True
    )


class HostPort(ConfigSection):
    host: str
    port: int = Field(ge=0, le=65535)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class EtcdConfig(ConfigSection):
    namespace: str = "local"
    addr: HostPort = HostPort(host="127.0.0.1", port=2379)
    user: str = ""
    password: str = ""
    timeout: float = Field(default=5.0, gt=0)


class DatabaseConfig(ConfigSection):
    type: Literal["postgresql"] = "postgresql"
    addr: HostPort = HostPort(host="127.0.0.1", port=5432)
    name: str = Field(min_length=1, default="backend")
    user: str = "postgres"
    password: str = ""
    pool_size: int = Field(default=8, ge=1)
    pool_max_overflow: int = Field(default=16, ge=0)
    pool_recycle: float = -1
    pool_pre_ping: bool = False
    statement_timeout: float = Field(default=60.0, gt=0)

    def url(self, *, driver: str = "asyncpg") -> str:
        from sqlalchemy.engine import URL

        return URL.create(
            f"postgresql+{driver}",
            username=self.user or None,
            password=self.password or None,
            host=self.addr.host,
            port=self.addr.port,
            database=self.name,
        ).render_as_string(hide_password=False)


class ManagerSection(ConfigSection):
    id: str = ""
    num_proc: int = Field(default=1, ge=1, le=256)
    service_addr: HostPort = HostPort(host="0.0.0.0", port=8081)
    internal_addr: HostPort = HostPort(host="0.0.0.0", port=18080)
    ssl_enabled: bool = False
    ssl_cert: Path | None = None
    ssl_privkey: Path | None = None
    heartbeat_timeout: float = Field(default=40.0, gt=0)
    pid_file: Path | None = None
    keypair_cache_ttl: float = Field(default=30.0, ge=0)
    check_presets_cache_ttl: float = Field(default=15.0, ge=0)
    scheduler_interval: float = Field(default=2.0, gt=0)
    session_prepare_timeout: float = Field(default=300.0, gt=0)
    session_create_timeout: float = Field(default=600.0, gt=0)
    session_terminate_timeout: float = Field(default=120.0, gt=0)
    agent_rpc_keepalive_timeout: int = Field(default=60, ge=1)


class LoggingConfig(ConfigSection):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "NOTSET"] = "INFO"
    pkg_ns: dict[str, str] = Field(default_factory=dict)


class DebugConfig(ConfigSection):
    enabled: bool = False


class ManagerLocalConfig(ConfigSection):
    etcd: EtcdConfig = EtcdConfig()
    db: DatabaseConfig = DatabaseConfig()
    manager: ManagerSection = ManagerSection()
    logging: LoggingConfig = LoggingConfig()
    debug: DebugConfig = DebugConfig()
