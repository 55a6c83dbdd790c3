"""Who may administer whom: the role rules shared by the user and keypair services."""

from __future__ import annotations

from ai.backend.manager.errors.base import PermissionDenied
from ai.backend.manager.services.auth.types import AuthenticatedUser

ADMIN_ROLES = frozenset({"superadmin", "admin"})


def admin_domain_scope(requester: AuthenticatedUser, what: str) -> str | None:
    """The domain an administrator may act in (`None`: every domain); others are refused."""
    if requester.is_superadmin:
        return None
    if requester.role == "admin":
        return requester.domain_name
    raise PermissionDenied(f"Only administrators can {what}")


def scoped_domain(requester: AuthenticatedUser, requested: str | None, what: str) -> str | None:
    """The domain a list covers: a domain admin's own, whatever else they ask for."""
    scope = admin_domain_scope(requester, what)
    if scope is not None and requested is not None and requested != scope:
        raise PermissionDenied(f"Domain administrators can only {what} in their own domain")
    return requested if scope is None else scope


def check_may_administer(
    requester: AuthenticatedUser, *, target_domain: str, target_role: str, what: str
) -> None:
    """Superadmins administer anyone; domain admins non-superadmins of their own domain."""
    scope = admin_domain_scope(requester, what)
    if scope is None:
        return
    if target_domain != scope:
        raise PermissionDenied(f"Domain administrators can only {what} in their own domain")
    if target_role == "superadmin":
        raise PermissionDenied(f"Only superadmins can {what} of a superadmin")
