"""Image references as users type them, and the platform names images are built for.

A reference is `[registry/][project/]name[:tag]`:

* the first `/`-separated component is a registry only if it looks like a host: it contains a
  `.` or a `:` (a port), or it is `localhost`. So `cr.backend.ai/stable/python:3.9` names the
  registry `cr.backend.ai`, while `lablup/python:3.9` names the project `lablup` on no registry;
* of the remaining components, the first is the project when there are two or more
  (`stable/python` -> project `stable`, name `python`; `stable/ngc/pytorch` -> name
  `ngc/pytorch`), and the rest is the image name;
* the tag follows the last `:` of the last component, and is `latest` when absent.

The canonical string joins the parts that are present: `registry/project/name:tag`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ai.backend.manager.errors.image import InvalidImageReference

DEFAULT_TAG: Final = "latest"
DEFAULT_ARCHITECTURE: Final = "x86_64"

# What clients report (`platform.machine()` and Docker's names) -> the names images are built for.
ARCHITECTURE_ALIASES: Final[dict[str, str]] = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "arm64": "aarch64",
    "armv8": "aarch64",
    "i686": "x86",
    "x32": "x86",
}

_PATH_COMPONENT = re.compile(r"^[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*$")
_REGISTRY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_ARCHITECTURE = re.compile(r"^[A-Za-z0-9_]+$")


def normalize_architecture(architecture: str) -> str:
    """The canonical platform name (`amd64` -> `x86_64`, `arm64` -> `aarch64`)."""
    arch = architecture.strip().lower()
    if not _ARCHITECTURE.match(arch):
        raise InvalidImageReference(f"Invalid architecture {architecture!r}")
    return ARCHITECTURE_ALIASES.get(arch, arch)


def looks_like_registry(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A parsed image reference; `registry` and `project` are empty when not given."""

    registry: str
    project: str
    name: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        reference = text.strip()
        if not reference:
            raise InvalidImageReference("The image reference is empty")
        if "://" in reference or "@" in reference or any(c.isspace() for c in reference):
            raise InvalidImageReference(
                f"Invalid image reference {text!r} "
                "(expected [registry/][project/]name[:tag], without a scheme or digest)"
            )
        components = reference.split("/")
        registry = ""
        if len(components) > 1 and looks_like_registry(components[0]):
            registry = components.pop(0)
            if not _REGISTRY.match(registry):
                raise InvalidImageReference(f"Invalid registry {registry!r} in {text!r}")
        last, sep, tag = components[-1].rpartition(":")
        if sep:
            components[-1] = last
            if not _TAG.match(tag):
                raise InvalidImageReference(f"Invalid tag {tag!r} in {text!r}")
        else:
            tag = DEFAULT_TAG
        for component in components:
            if not _PATH_COMPONENT.match(component):
                raise InvalidImageReference(
                    f"Invalid image name component {component!r} in {text!r}"
                )
        project = components.pop(0) if len(components) > 1 else ""
        return cls(registry=registry, project=project, name="/".join(components), tag=tag)

    @property
    def repository(self) -> str:
        """`project/name` (what the `images.image` column holds)."""
        return "/".join(p for p in (self.project, self.name) if p)

    @property
    def short(self) -> str:
        """The reference without its registry: `project/name:tag`."""
        return f"{self.repository}:{self.tag}"

    @property
    def canonical(self) -> str:
        """`registry/project/name:tag`, skipping the parts that are empty."""
        return "/".join(p for p in (self.registry, self.project, self.name) if p) + f":{self.tag}"

    def for_platform(self, architecture: str, *, is_local: bool = False) -> PlatformImageRef:
        return PlatformImageRef(
            name=self.name,
            project=self.project or None,
            tag=self.tag,
            registry=self.registry,
            architecture=normalize_architecture(architecture),
            is_local=is_local,
        )

    def __str__(self) -> str:
        return self.canonical


@dataclass(frozen=True, slots=True)
class PlatformImageRef:
    """One image build, in the shape the agent RPC names images by (its `ImageRef`)."""

    name: str  # without the project: `python`
    project: str | None
    tag: str
    registry: str
    architecture: str
    is_local: bool

    @property
    def canonical(self) -> str:
        return "/".join(p for p in (self.registry, self.project, self.name) if p) + f":{self.tag}"

    def to_dict(self) -> dict[str, str | bool | None]:
        return {
            "name": self.name,
            "project": self.project,
            "tag": self.tag,
            "registry": self.registry,
            "architecture": self.architecture,
            "is_local": self.is_local,
        }
