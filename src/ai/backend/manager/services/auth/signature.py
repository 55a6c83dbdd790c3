"""The request-signing scheme of the Backend.AI API (spec/auth.md §3), as pure functions.

The signing key is derived from the secret key, the request's own UTC date and the host the
client addressed; the signature covers method, raw path with query, date, host, content type,
API version and the digest of an empty body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_AUTH_HEADER = re.compile(
    r"^BackendAI\s+signMethod=HMAC-(?P<hash>[A-Za-z0-9_-]+)\s*,\s*"
    r"credential=(?P<access_key>[^:\s]+):(?P<signature>[0-9a-fA-F]+)\s*$"
)
_API_VERSION = re.compile(r"^v(\d+)\.(\d{8})$")
SUPPORTED_HASHES = frozenset({"sha256", "sha1", "sha384", "sha512", "md5"})


@dataclass(frozen=True, slots=True)
class Credential:
    """What the Authorization header claims."""

    hash_type: str
    access_key: str
    signature: str


def parse_authorization(header: str) -> Credential | None:
    """Parse `BackendAI signMethod=HMAC-SHA256, credential=AK:SIG`; None if malformed."""
    match = _AUTH_HEADER.match(header.strip())
    if match is None:
        return None
    hash_type = match["hash"].lower().replace("-", "_")
    if hash_type not in SUPPORTED_HASHES:
        return None
    return Credential(hash_type, match["access_key"], match["signature"].lower())


def parse_request_date(value: str) -> datetime | None:
    """ISO-8601 (what the SDK sends) or RFC 1123/822; a date without a zone is taken as UTC."""
    value = value.strip()
    if not value:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def is_valid_api_version(value: str) -> bool:
    return _API_VERSION.match(value) is not None


def _hmac(key: bytes, message: str, hash_type: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hash_type).digest()


def string_to_sign(
    *,
    method: str,
    raw_path: str,
    date_header: str,
    host: str,
    content_type: str,
    api_version: str,
    hash_type: str = "sha256",
) -> str:
    empty_body_digest = hashlib.new(hash_type, b"").hexdigest()
    return "\n".join(
        (
            method.upper(),
            raw_path,
            date_header,
            f"host:{host}",
            f"content-type:{content_type.lower()}",
            f"x-backendai-version:{api_version}",
            empty_body_digest,
        )
    )


def compute_signature(
    *,
    secret_key: str,
    request_date: datetime,
    method: str,
    raw_path: str,
    date_header: str,
    host: str,
    content_type: str,
    api_version: str,
    hash_type: str = "sha256",
) -> str:
    """The lower-case hex signature a client with `secret_key` would send."""
    day = request_date.astimezone(UTC).strftime("%Y%m%d")
    date_key = _hmac(secret_key.encode("utf-8"), day, hash_type)
    signing_key = _hmac(date_key, host, hash_type)
    message = string_to_sign(
        method=method,
        raw_path=raw_path,
        date_header=date_header,
        host=host,
        content_type=content_type,
        api_version=api_version,
        hash_type=hash_type,
    )
    return hmac.new(signing_key, message.encode("utf-8"), hash_type).hexdigest()


def host_candidates(host_header: str) -> list[str]:
    """The authorities a client may have signed: as sent, and with an explicit default port."""
    candidates = [host_header]
    has_port = host_header.rsplit("]", 1)[-1].count(":") == 1
    if not has_port:
        candidates += [f"{host_header}:80", f"{host_header}:443"]
    return candidates


def content_type_candidates(content_type_header: str | None) -> list[str]:
    """The content types a client may have signed for the header it actually sent."""
    if not content_type_header:
        return ["application/octet-stream", "text/plain"]
    raw = content_type_header.strip().lower()
    media_type = raw.split(";", 1)[0].strip()
    return [raw] if media_type == raw else [raw, media_type]
