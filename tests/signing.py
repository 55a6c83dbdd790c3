"""A minimal client-side signer for tests, following spec/auth.md (independent of the server's
verification path except for the shared pure signature function)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ai.backend.manager.defs import API_VERSION
from ai.backend.manager.services.auth.signature import compute_signature

ADMIN_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
ADMIN_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
USER_ACCESS_KEY = "AKIANABBDUSEREXAMPLE"
USER_SECRET_KEY = "C8qnIo29EZvXkPK_MXcuAakYTy4NYrxwmCEyNPlf"


def signed_headers(
    method: str,
    rel_url: str,
    *,
    host: str,
    access_key: str = ADMIN_ACCESS_KEY,
    secret_key: str = ADMIN_SECRET_KEY,
    content_type: str = "application/json",
    date: datetime | None = None,
    skew: timedelta = timedelta(0),
    version: str = API_VERSION,
) -> dict[str, str]:
    when = (date or datetime.now(UTC)) + skew
    date_header = when.isoformat()
    signature = compute_signature(
        secret_key=secret_key,
        request_date=when,
        method=method,
        raw_path=rel_url,
        date_header=date_header,
        host=host,
        content_type=content_type,
        api_version=version,
    )
    return {
        "Date": date_header,
        "Content-Type": content_type,
        "X-BackendAI-Version": version,
        "X-BackendAI-Domain": "default",
        "Authorization": f"BackendAI signMethod=HMAC-SHA256, credential={access_key}:{signature}",
    }
