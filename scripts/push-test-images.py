#!/usr/bin/env python3
"""Push Backend.AI-labelled test images to a container registry through the v2 HTTP API.

No Docker needed: every image is one tiny gzipped tar layer, a config blob whose labels carry
what the manager reads on a rescan (`ai.backend.kernelspec`, `ai.backend.resource.min.*`,
`ai.backend.service-ports`, `ai.backend.accelerators`, the architecture), and a manifest. An
image built for several architectures gets one manifest per architecture and an index (OCI) or
a manifest list (Docker) under its tag.

    push-test-images.py --registry http://127.0.0.1:5050       # the demo set
    push-test-images.py --registry URL --with-broken            # + images with bad labels
    push-test-images.py --registry URL --image testing/r:4.3 --arch x86_64 \
        --label ai.backend.kernelspec=1
    push-test-images.py --registry URL --bulk 500 [--bulk-repo bench/python]

The functions are importable (tests and benchmarks load this file): `push_images(url, specs)`.
Only the standard library and aiohttp are used.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import io
import json
import sys
import tarfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

import aiohttp

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

# Backend.AI names -> the GOARCH names image configs use.
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "amd64": "amd64", "arm64": "arm64"}

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)
ATTEMPTS = 3


@dataclass(frozen=True)
class ImageSpec:
    """One image to push: `repository` is `project/name`, pushed under `tag`."""

    repository: str
    tag: str
    labels: Mapping[str, str]
    architectures: Sequence[str] = ("x86_64",)
    oci: bool = False  # OCI media types (otherwise Docker's)
    env: Sequence[str] = field(default_factory=lambda: ("PATH=/usr/local/bin:/usr/bin:/bin",))

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


def python_labels(**extra: str) -> dict[str, str]:
    """Labels of a typical Backend.AI Python kernel image."""
    labels = {
        "ai.backend.kernelspec": "1",
        "ai.backend.features": "batch query uid-match user-input",
        "ai.backend.base-distro": "ubuntu22.04",
        "ai.backend.runtime-type": "python",
        "ai.backend.runtime-path": "/usr/bin/python3",
        "ai.backend.resource.min.cpu": "1",
        "ai.backend.resource.min.mem": "256m",
        "ai.backend.service-ports": "jupyter:http:8080,jupyterlab:http:8090",
        "ai.backend.accelerators": "cuda",
    }
    labels.update(extra)
    return labels


def demo_specs(project: str = "testing") -> list[ImageSpec]:
    """Two well-labelled images: a multi-architecture Python (OCI index) and a Lua."""
    return [
        ImageSpec(
            repository=f"{project}/python",
            tag="3.11-ubuntu22.04",
            labels=python_labels(),
            architectures=("x86_64", "aarch64"),
            oci=True,
        ),
        ImageSpec(
            repository=f"{project}/lua",
            tag="5.4-alpine3.18",
            labels={
                "ai.backend.kernelspec": "1",
                "ai.backend.features": "query batch",
                "ai.backend.base-distro": "alpine3.18",
                "ai.backend.runtime-type": "lua",
                "ai.backend.runtime-path": "/usr/bin/lua",
                "ai.backend.resource.min.cpu": "1",
                "ai.backend.resource.min.mem": "128m",
                "ai.backend.service-ports": "",
            },
        ),
    ]


def broken_specs(project: str = "testing") -> list[ImageSpec]:
    """An image whose labels the manager must refuse (and one that is no kernel image)."""
    return [
        ImageSpec(
            repository=f"{project}/broken",
            tag="1.0",
            labels=python_labels(
                **{
                    "ai.backend.resource.min.mem": "lots",
                    "ai.backend.service-ports": "jupyter:http",
                }
            ),
        ),
        ImageSpec(repository=f"{project}/plain", tag="latest", labels={"maintainer": "nobody"}),
    ]


def bulk_specs(count: int, repository: str = "bench/python") -> list[ImageSpec]:
    """`count` tags of one repository, each with its own config blob."""
    return [
        ImageSpec(
            repository=repository,
            tag=f"3.11-t{index:04d}",
            labels=python_labels(**{"ai.backend.test.index": str(index)}),
        )
        for index in range(count)
    ]


# --- blobs -----------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer_tar() -> bytes:
    """A deterministic tar with one file (the same bytes on every run)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        payload = b"Backend.AI test image layer\n"
        info = tarfile.TarInfo("etc/backend.ai-test")
        info.size = len(payload)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


LAYER_TAR = _layer_tar()
LAYER_GZ = gzip.compress(LAYER_TAR, mtime=0)


def image_config(spec: ImageSpec, architecture: str) -> bytes:
    config = {
        "architecture": GOARCH.get(architecture, architecture),
        "os": "linux",
        "created": "2026-01-01T00:00:00Z",
        "config": {
            "Env": list(spec.env),
            "Cmd": ["/bin/sh"],
            "Labels": dict(spec.labels),
        },
        "rootfs": {"type": "layers", "diff_ids": [sha256(LAYER_TAR)]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "push-test-images.py"}],
    }
    return json.dumps(config, sort_keys=True).encode()


def image_manifest(spec: ImageSpec, config: bytes) -> tuple[bytes, str]:
    media_type = OCI_MANIFEST if spec.oci else DOCKER_MANIFEST
    manifest = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": OCI_CONFIG if spec.oci else DOCKER_CONFIG,
            "size": len(config),
            "digest": sha256(config),
        },
        "layers": [
            {
                "mediaType": OCI_LAYER if spec.oci else DOCKER_LAYER,
                "size": len(LAYER_GZ),
                "digest": sha256(LAYER_GZ),
            }
        ],
    }
    return json.dumps(manifest, sort_keys=True).encode(), media_type


def image_index(spec: ImageSpec, manifests: Iterable[tuple[str, bytes, str]]) -> tuple[bytes, str]:
    media_type = OCI_INDEX if spec.oci else DOCKER_MANIFEST_LIST
    index = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [
            {
                "mediaType": manifest_type,
                "size": len(body),
                "digest": sha256(body),
                "platform": {"architecture": GOARCH.get(arch, arch), "os": "linux"},
            }
            for arch, body, manifest_type in manifests
        ],
    }
    return json.dumps(index, sort_keys=True).encode(), media_type


# --- the v2 API ------------------------------------------------------------------------------


class PushError(RuntimeError):
    pass


class RegistryPusher:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        concurrency: int = 16,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/") + "/"
        self._slots = asyncio.Semaphore(concurrency)
        self._pushed_blobs: dict[tuple[str, str], asyncio.Future[None]] = {}

    def _url(self, path: str) -> str:
        return urljoin(self._base, path.lstrip("/"))

    async def _request(
        self,
        method: str,
        url: str,
        *,
        ok: Sequence[int],
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Mapping[str, str]]:
        last: Exception | None = None
        for attempt in range(ATTEMPTS):
            try:
                async with self._session.request(
                    method, url, data=data, headers=headers, timeout=REQUEST_TIMEOUT
                ) as resp:
                    body = await resp.read()
                    if resp.status in ok:
                        return resp.status, resp.headers
                    if resp.status < 500:
                        text = body[:300].decode(errors="replace")
                        raise PushError(f"{method} {url}: HTTP {resp.status} {text}")
                    last = PushError(f"{method} {url}: HTTP {resp.status}")
            except (aiohttp.ClientError, TimeoutError) as e:
                last = e
            await asyncio.sleep(0.2 * (attempt + 1))
        raise PushError(f"{method} {url} failed after {ATTEMPTS} attempts: {last}")

    async def push_blob(self, repository: str, data: bytes) -> str:
        digest = sha256(data)
        key = (repository, digest)
        pending = self._pushed_blobs.get(key)
        if pending is not None:
            await pending
            return digest
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pushed_blobs[key] = future
        try:
            async with self._slots:
                status, _ = await self._request(
                    "HEAD", self._url(f"/v2/{repository}/blobs/{digest}"), ok=(200, 404)
                )
                if status != 200:
                    _, headers = await self._request(
                        "POST", self._url(f"/v2/{repository}/blobs/uploads/"), ok=(202,)
                    )
                    location = headers.get("Location")
                    if not location:
                        raise PushError(f"no upload location for {repository}")
                    upload = self._url(location) if location.startswith("/") else location
                    upload += ("&" if "?" in upload else "?") + f"digest={digest}"
                    await self._request(
                        "PUT",
                        upload,
                        ok=(201,),
                        data=data,
                        headers={"Content-Type": "application/octet-stream"},
                    )
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: others awaiting it see it, nobody else logs it
            self._pushed_blobs.pop(key, None)
            raise
        future.set_result(None)
        return digest

    async def put_manifest(
        self, repository: str, reference: str, body: bytes, media_type: str
    ) -> str:
        async with self._slots:
            await self._request(
                "PUT",
                self._url(f"/v2/{repository}/manifests/{reference}"),
                ok=(201,),
                data=body,
                headers={"Content-Type": media_type},
            )
        return sha256(body)

    async def push_image(self, spec: ImageSpec) -> str:
        """Push one image (all its architectures); returns the digest its tag points at."""
        await self.push_blob(spec.repository, LAYER_GZ)
        manifests: list[tuple[str, bytes, str]] = []
        for arch in spec.architectures:
            config = image_config(spec, arch)
            await self.push_blob(spec.repository, config)
            body, media_type = image_manifest(spec, config)
            manifests.append((arch, body, media_type))
        if len(manifests) == 1:
            _, body, media_type = manifests[0]
            return await self.put_manifest(spec.repository, spec.tag, body, media_type)
        for _, body, media_type in manifests:
            await self.put_manifest(spec.repository, sha256(body), body, media_type)
        index, index_type = image_index(spec, manifests)
        return await self.put_manifest(spec.repository, spec.tag, index, index_type)


async def push_images(
    registry_url: str,
    specs: Sequence[ImageSpec],
    *,
    username: str | None = None,
    password: str | None = None,
    concurrency: int = 16,
) -> dict[str, str]:
    """Push every spec; returns `{repository:tag: digest}`."""
    auth = aiohttp.BasicAuth(username, password or "") if username else None
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(auth=auth, connector=connector) as session:
        pusher = RegistryPusher(session, registry_url, concurrency=concurrency)
        digests = await asyncio.gather(*(pusher.push_image(spec) for spec in specs))
    return {spec.reference: digest for spec, digest in zip(specs, digests, strict=True)}


# --- command line ----------------------------------------------------------------------------


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", required=True, help="e.g. http://127.0.0.1:5050")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--project", default="testing", help="project of the demo images")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo images")
    parser.add_argument("--with-broken", action="store_true", help="add images with bad labels")
    parser.add_argument("--image", action="append", default=[], metavar="REPO:TAG")
    parser.add_argument("--arch", action="append", default=[], help="for --image (repeatable)")
    parser.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--oci", action="store_true", help="OCI media types for --image")
    parser.add_argument("--bulk", type=int, default=0, metavar="N", help="push N tags")
    parser.add_argument("--bulk-repo", default="bench/python")
    parser.add_argument("--concurrency", type=int, default=16)
    return parser.parse_args(argv)


def _specs_from_args(args: argparse.Namespace) -> list[ImageSpec]:
    specs: list[ImageSpec] = []
    explicit = bool(args.image or args.bulk)
    if not args.no_demo and not explicit:
        specs += demo_specs(args.project)
    if args.with_broken:
        specs += broken_specs(args.project)
    labels: dict[str, str] = {}
    for item in args.label:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--label expects KEY=VALUE, not {item!r}")
        labels[key] = value
    for ref in args.image:
        repository, sep, tag = ref.rpartition(":")
        if not sep or "/" in tag:
            repository, tag = ref, "latest"
        specs.append(
            ImageSpec(
                repository=repository,
                tag=tag,
                labels=labels or python_labels(),
                architectures=tuple(args.arch) or ("x86_64",),
                oci=args.oci,
            )
        )
    if args.bulk:
        specs += bulk_specs(args.bulk, args.bulk_repo)
    return specs


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    specs = _specs_from_args(args)
    if not specs:
        print("nothing to push", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        digests = asyncio.run(
            push_images(
                args.registry,
                specs,
                username=args.username,
                password=args.password,
                concurrency=args.concurrency,
            )
        )
    except PushError as e:
        print(f"push failed: {e}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    if len(digests) <= 20:
        for reference, digest in digests.items():
            print(f"{reference}  {digest}")
    print(f"pushed {len(digests)} images to {args.registry} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
