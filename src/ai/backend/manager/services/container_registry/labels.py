"""What the Backend.AI labels of an image config mean to the catalogue.

A kernel image carries `ai.backend.kernelspec` (an integer); images without it are not kernel
images and a rescan passes them by. The labels read here:

* `ai.backend.resource.min.<slot>` / `ai.backend.resource.max.<slot>`: resource limits
  (`cpu=1`, `mem=256m`), stored in `images.resources` as `{slot: {min, max}}`;
* `ai.backend.accelerators`: the accelerators the image supports (`cuda,rocm`), or none;
* `ai.backend.service-ports`: `name:protocol:port` entries, comma-separated (a port may be a
  bracketed list `[8080,8081]`);
* `ai.backend.role`: `COMPUTE` (default), `INFERENCE` or `SYSTEM`.

Any of these that does not parse makes the image "broken": a rescan skips it with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ai.backend.manager.errors.image import InvalidImageResources
from ai.backend.manager.services.image.resources import build_resources_spec
from ai.backend.manager.types import ImageType

KERNELSPEC_LABEL: Final = "ai.backend.kernelspec"
MIN_PREFIX: Final = "ai.backend.resource.min."
MAX_PREFIX: Final = "ai.backend.resource.max."
ACCELERATORS_LABEL: Final = "ai.backend.accelerators"
SERVICE_PORTS_LABEL: Final = "ai.backend.service-ports"
ROLE_LABEL: Final = "ai.backend.role"

SERVICE_PROTOCOLS: Final = frozenset({"http", "tcp", "pty", "preopen", "internal", "vnc", "rdp"})
# Ports the agent keeps for itself (the REPL, sshd, ttyd): an image may not declare them.
RESERVED_PORTS: Final = frozenset({2000, 2001, 2002, 2003, 2200, 7681})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ROLES: Final = {
    "COMPUTE": ImageType.COMPUTE,
    "INFERENCE": ImageType.SERVICE,
    "SERVICE": ImageType.SERVICE,
    "SYSTEM": ImageType.SYSTEM,
}


class BrokenImageLabels(ValueError):
    """The labels of one image do not parse; the message says which and why."""


def is_kernel_image(labels: Mapping[str, str]) -> bool:
    return KERNELSPEC_LABEL in labels


def _parse_port(text: str, entry: str) -> None:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BrokenImageLabels(f"{SERVICE_PORTS_LABEL}: bad port {text!r} in {entry!r}")
    if int(text) in RESERVED_PORTS:
        raise BrokenImageLabels(
            f"{SERVICE_PORTS_LABEL}: port {text} in {entry!r} is reserved by the agent "
            "(2000-2003, 2200, 7681)"
        )


def validate_service_ports(value: str) -> None:
    """`name:protocol:port[,name:protocol:port...]`; an empty value declares none."""
    # Split on commas outside brackets (a port may be `[8080,8081]`).
    entries = [e.strip() for e in re.split(r",(?![^\[]*\])", value) if e.strip()]
    names: set[str] = set()
    for entry in entries:
        parts = entry.split(":")
        if len(parts) != 3:
            raise BrokenImageLabels(f"{SERVICE_PORTS_LABEL}: {entry!r} is not name:protocol:port")
        name, protocol, port = (p.strip() for p in parts)
        if not _NAME.match(name):
            raise BrokenImageLabels(f"{SERVICE_PORTS_LABEL}: bad service name {name!r}")
        if name in names:
            raise BrokenImageLabels(f"{SERVICE_PORTS_LABEL}: service {name!r} declared twice")
        names.add(name)
        if protocol not in SERVICE_PROTOCOLS:
            raise BrokenImageLabels(
                f"{SERVICE_PORTS_LABEL}: unknown protocol {protocol!r} in {entry!r}"
            )
        if port.startswith("[") and port.endswith("]"):
            ports = [p.strip() for p in port[1:-1].split(",")]
            if not ports or not all(ports):
                raise BrokenImageLabels(f"{SERVICE_PORTS_LABEL}: bad port list in {entry!r}")
            for item in ports:
                _parse_port(item, entry)
        else:
            _parse_port(port, entry)


def parse_accelerators(value: str | None) -> str | None:
    """The stored `accelerators` text (comma-joined names), or None for none."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    for name in names:
        if not _NAME.match(name) and name != "*":
            raise BrokenImageLabels(f"{ACCELERATORS_LABEL}: bad accelerator name {name!r}")
    return ",".join(names) or None


def parse_resources(labels: Mapping[str, str]) -> dict[str, dict[str, str | None]]:
    """`images.resources` from the min/max labels (amounts normalised, sizes in bytes)."""
    minimums = {
        k.removeprefix(MIN_PREFIX): v for k, v in labels.items() if k.startswith(MIN_PREFIX)
    }
    maximums = {
        k.removeprefix(MAX_PREFIX): v for k, v in labels.items() if k.startswith(MAX_PREFIX)
    }
    try:
        return build_resources_spec(minimums, maximums)
    except InvalidImageResources as e:
        raise BrokenImageLabels(e.msg or str(e)) from None


def parse_role(labels: Mapping[str, str]) -> ImageType:
    role = labels.get(ROLE_LABEL)
    if role is None or not role.strip():
        return ImageType.COMPUTE
    found = _ROLES.get(role.strip().upper())
    if found is None:
        raise BrokenImageLabels(f"{ROLE_LABEL}: unknown role {role!r}")
    return found


def check_kernelspec(labels: Mapping[str, str]) -> None:
    value = labels.get(KERNELSPEC_LABEL, "").strip()
    if not value.isdigit():
        raise BrokenImageLabels(f"{KERNELSPEC_LABEL}: {value!r} is not an integer")


def string_labels(raw: Any) -> dict[str, str]:
    """The `config.Labels` of an image config (null when the image has none)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BrokenImageLabels("config.Labels is not an object")
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}
