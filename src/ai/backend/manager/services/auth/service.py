"""Authenticate signed API requests against keypairs."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from ai.backend.manager.data.keypair import KeypairCredential
from ai.backend.manager.defs import MAX_CLOCK_SKEW_SECONDS
from ai.backend.manager.errors.base import AuthorizationFailed, InvalidAuthParameters
from ai.backend.manager.repositories.keypair import KeypairCache, KeypairRepository
from ai.backend.manager.services.auth.signature import (
    compute_signature,
    content_type_candidates,
    host_candidates,
    is_valid_api_version,
    parse_authorization,
    parse_request_date,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser, SignedRequest
from ai.backend.manager.services.auth.usage import KeypairUsageRecorder

log = logging.getLogger(__name__)


class AuthService:
    def __init__(
        self,
        *,
        keypairs: KeypairRepository,
        cache: KeypairCache,
        usage: KeypairUsageRecorder,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_clock_skew: float = MAX_CLOCK_SKEW_SECONDS,
    ) -> None:
        self._keypairs = keypairs
        self._cache = cache
        self._usage = usage
        self._clock = clock
        self._max_clock_skew = max_clock_skew

    async def _credential(self, access_key: str) -> KeypairCredential | None:
        cached = await self._cache.get(access_key)
        if cached is not None:
            return cached
        credential = await self._keypairs.get_credential(access_key)
        if credential is not None:
            await self._cache.put(credential)
        return credential

    async def authenticate(self, request: SignedRequest) -> AuthenticatedUser:
        """Check a signed request; raise a typed auth error with a clear message if it fails."""
        claim = parse_authorization(request.authorization)
        if claim is None:
            raise InvalidAuthParameters(
                "Malformed Authorization header "
                "(expected 'BackendAI signMethod=HMAC-SHA256, credential=<access key>:<signature>')"
            )
        if not request.date_header:
            raise InvalidAuthParameters("Date or X-BackendAI-Date header is missing")
        request_date = parse_request_date(request.date_header)
        if request_date is None:
            raise InvalidAuthParameters(f"Cannot parse the request date {request.date_header!r}")
        if not is_valid_api_version(request.api_version):
            raise InvalidAuthParameters(
                "X-BackendAI-Version header is missing or malformed (expected vN.YYYYMMDD)"
            )
        skew = abs((self._clock() - request_date).total_seconds())
        if skew > self._max_clock_skew:
            raise AuthorizationFailed(
                f"Too large clock skew: the request date is {int(skew)} seconds away from the "
                f"server time (at most {int(self._max_clock_skew)} allowed)"
            )
        credential = await self._credential(claim.access_key)
        if credential is None:
            raise AuthorizationFailed("Access key not found")
        if not self._signature_matches(
            request, claim.signature, claim.hash_type, credential, request_date
        ):
            raise AuthorizationFailed("Signature mismatch")
        if not credential.is_active:
            raise AuthorizationFailed("The access key is inactive")
        if not credential.user_is_active:
            raise AuthorizationFailed(f"The user account is {credential.user_status}")
        self._usage.record(credential.access_key, self._clock())
        return AuthenticatedUser(
            access_key=credential.access_key,
            is_admin=credential.is_admin,
            resource_policy=credential.resource_policy,
            rate_limit=credential.rate_limit,
            user_uuid=credential.user_uuid,
            email=credential.user_email,
            role=credential.user_role,
            domain_name=credential.domain_name,
        )

    @staticmethod
    def _signature_matches(
        request: SignedRequest,
        signature: str,
        hash_type: str,
        credential: KeypairCredential,
        request_date: datetime,
    ) -> bool:
        for host in host_candidates(request.host):
            for content_type in content_type_candidates(request.content_type):
                expected = compute_signature(
                    secret_key=credential.secret_key,
                    request_date=request_date,
                    method=request.method,
                    raw_path=request.raw_path,
                    date_header=request.date_header,
                    host=host,
                    content_type=content_type,
                    api_version=request.api_version,
                    hash_type=hash_type,
                )
                if hmac.compare_digest(expected, signature):
                    return True
        return False

    async def invalidate_keypairs(self, *access_keys: str) -> None:
        """Forget cached credentials after a keypair or its owner changed."""
        await self._cache.invalidate(*access_keys)
