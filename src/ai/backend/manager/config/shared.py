"""The shared configuration kept in etcd, read by every manager process at start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ai.backend.manager.config.local import HostPort
from ai.backend.manager.errors.config import ConfigurationError


class RedisHelperConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    socket_timeout: float = 5.0
    socket_connect_timeout: float = 2.0


class RedisConfig(BaseModel):
    """`config/redis` in etcd: where Redis is, shared with the agents."""

    model_config = ConfigDict(extra="ignore")

    addr: HostPort
    password: str | None = None
    redis_helper_config: RedisHelperConfig = Field(default_factory=RedisHelperConfig)

    @field_validator("addr", mode="before")
    @classmethod
    def _parse_addr(cls, value: Any) -> Any:
        if isinstance(value, str):
            host, sep, port = value.rpartition(":")
            if not sep or not port.isdigit():
                raise ValueError(f"expected host:port, got {value!r}")
            return {"host": host.strip("[]"), "port": int(port)}
        return value


def parse_redis_config(raw: Mapping[str, Any], *, namespace: str) -> RedisConfig:
    if "addr" not in raw:
        raise ConfigurationError(
            f"etcd key config/redis/addr is not set in namespace {namespace!r}; set it with "
            "`backend.ai mgr etcd put config/redis/addr HOST:PORT`"
        )
    try:
        return RedisConfig.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        key = "/".join(str(p) for p in err["loc"])
        raise ConfigurationError(f"etcd key config/redis/{key}: {err['msg']}") from None
