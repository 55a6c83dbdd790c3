"""Keypair operations."""

from __future__ import annotations

from ai.backend.manager.actions.keypair import GetKeypairAction
from ai.backend.manager.errors.base import ObjectNotFound, PermissionDenied
from ai.backend.manager.repositories.keypair import KeypairRepository
from ai.backend.manager.repositories.keypair.types import KeypairDetail


class KeypairService:
    def __init__(self, repository: KeypairRepository) -> None:
        self._repository = repository

    async def get_keypair(self, action: GetKeypairAction) -> KeypairDetail:
        requester = action.requester
        access_key = action.access_key or requester.access_key
        detail = await self._repository.get_detail(access_key)
        if access_key != requester.access_key:
            allowed = requester.is_superadmin or (
                requester.role == "admin"
                and detail is not None
                and detail.domain_name == requester.domain_name
            )
            if not allowed:
                raise PermissionDenied("Only administrators can read another user's keypair")
        if detail is None:
            raise ObjectNotFound(f"No keypair with access key {access_key}")
        return detail
