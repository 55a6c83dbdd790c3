"""Value types sent to and received from agents."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRefSpec:
    """What the agent's `ImageRef` holds; sent as msgpack ext 7 (see codec.py).

    `name` excludes the project (`python` in `cr.backend.ai/stable/python:3.9-ubuntu20.04`),
    `project` is `stable`, `tag` is `3.9-ubuntu20.04` and `registry` is `cr.backend.ai`.
    """

    name: str
    project: str | None
    tag: str
    registry: str
    architecture: str
    is_local: bool = False

    @property
    def canonical(self) -> str:
        path = "/".join(part for part in (self.registry, self.project, self.name) if part)
        return f"{path}:{self.tag}"

    @classmethod
    def from_canonical(
        cls,
        canonical: str,
        *,
        project: str | None,
        registry: str,
        architecture: str,
        is_local: bool = False,
    ) -> ImageRefSpec:
        """Split a canonical image string (`registry/project/name:tag`) into its parts.

        `registry` is the registry's name as configured (the leading path component of the
        canonical string); `project` may be None for images outside any project.
        """
        path, tag = _split_tag(canonical)
        if registry and path.startswith(registry + "/"):
            path = path[len(registry) + 1 :]
        if not project:
            name = path
        elif path == project:
            name = ""
        elif path.startswith(project + "/"):
            name = path[len(project) + 1 :]
        else:
            raise ValueError(f"image {canonical!r} is not in project {project!r}")
        return cls(
            name=name,
            project=project,
            tag=tag,
            registry=registry,
            architecture=architecture,
            is_local=is_local,
        )


def _split_tag(image: str) -> tuple[str, str]:
    """`a/b:c` -> (`a/b`, `c`); a missing tag means `latest` (a `:port` is not a tag)."""
    path, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        return image, "latest"
    return path, tag
