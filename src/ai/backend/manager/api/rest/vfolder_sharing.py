"""`/folders/...` sharing and cloning: invitations, direct shares, ownership, clone.

Shapes follow rest-api.md §3 (P2 rows) and what the official client reads: `invited_ids`,
`invitations`, `shared_emails`, `unshared_emails`, `shared`, and the clone's `bgtask_id`.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from ai.backend.manager.actions.vfolder_sharing import (
    AcceptInvitationAction,
    ChangeVFolderOwnershipAction,
    CloneVFolderAction,
    DeleteInvitationAction,
    InviteVFolderAction,
    LeaveVFolderAction,
    ListInvitationsAction,
    ListSentInvitationsAction,
    ListSharedVFoldersAction,
    ShareVFolderAction,
    UnshareVFolderAction,
    UpdateInvitationAction,
    UpdateSharedVFolderAction,
    UpdateSharingStatusAction,
)
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.api.routing import (
    read_model,
)
from ai.backend.manager.data.vfolder_sharing import InvitationRecord, SharedEntry
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.types import VFolderOwnershipType, VFolderPermission, VFolderUsageMode


class _Body(BaseModel):
    """A request body; an explicit null stands for the field's default."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name is not None:
            field = cls.model_fields[info.field_name]
            if not field.is_required() and field.default is not None:
                return field.default
        return value


class InviteBody(_Body):
    permission: VFolderPermission = Field(
        default=VFolderPermission.READ_WRITE, validation_alias=AliasChoices("perm", "permission")
    )
    emails: list[str] = Field(validation_alias=AliasChoices("user_ids", "emails", "userIDs"))


class InvitationBody(_Body):
    inv_id: uuid.UUID = Field(validation_alias=AliasChoices("inv_id", "invitation_id"))


class InvitationPermissionBody(_Body):
    permission: VFolderPermission = Field(validation_alias=AliasChoices("perm", "permission"))


class ShareBody(_Body):
    permission: VFolderPermission = Field(
        default=VFolderPermission.READ_WRITE, validation_alias=AliasChoices("permission", "perm")
    )
    emails: list[str]


class UnshareBody(_Body):
    emails: list[str]


class LeaveBody(_Body):
    shared_user_uuid: uuid.UUID | None = Field(
        default=None, validation_alias=AliasChoices("shared_user_uuid", "sharedUserUuid")
    )


class UpdateSharedBody(_Body):
    vfolder: uuid.UUID = Field(validation_alias=AliasChoices("vfolder", "vfolder_id"))
    user: uuid.UUID = Field(validation_alias=AliasChoices("user", "user_id"))
    permission: VFolderPermission | None = Field(
        default=None, validation_alias=AliasChoices("perm", "permission")
    )


class UserPermission(_Body):
    user_id: uuid.UUID = Field(validation_alias=AliasChoices("user_id", "user"))
    perm: VFolderPermission | None = Field(
        default=None, validation_alias=AliasChoices("perm", "permission")
    )


class SharingStatusBody(_Body):
    vfolder: uuid.UUID = Field(validation_alias=AliasChoices("vfolder", "vfolder_id"))
    user_perm_list: list[UserPermission] = Field(
        validation_alias=AliasChoices("user_perm_list", "user_perm", "userPermList")
    )


class ChangeOwnershipBody(_Body):
    vfolder: uuid.UUID = Field(validation_alias=AliasChoices("vfolder", "vfolder_id"))
    user_email: str


class CloneBody(_Body):
    target_name: str
    target_host: str | None = Field(
        default=None, validation_alias=AliasChoices("target_host", "folder_host")
    )
    usage_mode: VFolderUsageMode = VFolderUsageMode.GENERAL
    permission: VFolderPermission = VFolderPermission.READ_WRITE
    cloneable: bool = False


def invitation_json(invitation: InvitationRecord) -> dict[str, Any]:
    return {
        "id": str(invitation.id),
        "inviter": invitation.inviter,
        "invitee": invitation.invitee,
        "perm": invitation.permission.value,
        "state": invitation.state.value,
        "created_at": invitation.created_at.isoformat(),
        "modified_at": (
            invitation.modified_at.isoformat() if invitation.modified_at is not None else None
        ),
        "vfolder_id": str(invitation.vfolder_id),
        "vfolder_name": invitation.vfolder_name,
    }


def shared_json(entry: SharedEntry) -> dict[str, Any]:
    return {
        "vfolder_id": str(entry.vfolder_id),
        "vfolder_name": entry.vfolder_name,
        "status": entry.status.value,
        "owner": str(entry.owner) if entry.owner is not None else "",
        "type": "project" if entry.ownership_type == VFolderOwnershipType.GROUP else "user",
        "shared_to": {"uuid": str(entry.user_uuid), "email": entry.user_email},
        "perm": entry.permission.value,
    }


async def invite(request: web.Request) -> web.Response:
    body = await read_model(request, InviteBody)
    invited = await api_context(request).processors.vfolder_sharing.invite.run(
        InviteVFolderAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            permission=body.permission,
            emails=tuple(body.emails),
        )
    )
    return web.json_response({"invited_ids": invited}, status=201)


async def list_invitations(request: web.Request) -> web.Response:
    found = await api_context(request).processors.vfolder_sharing.list_invitations.run(
        ListInvitationsAction(requester=current_user(request))
    )
    return web.json_response({"invitations": [invitation_json(i) for i in found]})


async def list_sent_invitations(request: web.Request) -> web.Response:
    found = await api_context(request).processors.vfolder_sharing.list_sent_invitations.run(
        ListSentInvitationsAction(requester=current_user(request))
    )
    return web.json_response({"invitations": [invitation_json(i) for i in found]})


async def update_invitation(request: web.Request) -> web.Response:
    raw = request.match_info["inv_id"]
    try:
        invitation_id = uuid.UUID(raw)
    except ValueError:
        raise InvalidAPIParameters(f"Not an invitation id: {raw!r}") from None
    body = await read_model(request, InvitationPermissionBody)
    await api_context(request).processors.vfolder_sharing.update_invitation.run(
        UpdateInvitationAction(
            requester=current_user(request),
            invitation_id=invitation_id,
            permission=body.permission,
        )
    )
    return web.json_response({"msg": f"vfolder invitation updated: {invitation_id}."})


async def accept_invitation(request: web.Request) -> web.Response:
    body = await read_model(request, InvitationBody)
    await api_context(request).processors.vfolder_sharing.accept_invitation.run(
        AcceptInvitationAction(requester=current_user(request), invitation_id=body.inv_id)
    )
    return web.json_response({"msg": ""})


async def delete_invitation(request: web.Request) -> web.Response:
    body = await read_model(request, InvitationBody)
    await api_context(request).processors.vfolder_sharing.delete_invitation.run(
        DeleteInvitationAction(requester=current_user(request), invitation_id=body.inv_id)
    )
    return web.json_response({"msg": ""})


async def share(request: web.Request) -> web.Response:
    body = await read_model(request, ShareBody)
    shared = await api_context(request).processors.vfolder_sharing.share.run(
        ShareVFolderAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            permission=body.permission,
            emails=tuple(body.emails),
        )
    )
    return web.json_response({"shared_emails": shared}, status=201)


async def unshare(request: web.Request) -> web.Response:
    body = await read_model(request, UnshareBody)
    unshared = await api_context(request).processors.vfolder_sharing.unshare.run(
        UnshareVFolderAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            emails=tuple(body.emails),
        )
    )
    return web.json_response({"unshared_emails": unshared})


async def leave(request: web.Request) -> web.Response:
    body = await read_model(request, LeaveBody)
    await api_context(request).processors.vfolder_sharing.leave.run(
        LeaveVFolderAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            shared_user=body.shared_user_uuid,
        )
    )
    return web.json_response({"msg": "left the shared vfolder"})


async def list_shared(request: web.Request) -> web.Response:
    raw = request.query.get("vfolder_id") or request.query.get("vfolderId")
    folder_id: uuid.UUID | None = None
    if raw:
        try:
            folder_id = uuid.UUID(raw)
        except ValueError:
            raise InvalidAPIParameters(f"`vfolder_id` must be a UUID, not {raw!r}") from None
    found = await api_context(request).processors.vfolder_sharing.list_shared.run(
        ListSharedVFoldersAction(requester=current_user(request), folder_id=folder_id)
    )
    return web.json_response({"shared": [shared_json(e) for e in found]})


async def update_shared(request: web.Request) -> web.Response:
    body = await read_model(request, UpdateSharedBody)
    await api_context(request).processors.vfolder_sharing.update_shared.run(
        UpdateSharedVFolderAction(
            requester=current_user(request),
            folder_id=body.vfolder,
            user_id=body.user,
            permission=body.permission,
        )
    )
    return web.json_response({"msg": "shared vfolder permission updated"})


async def update_sharing_status(request: web.Request) -> web.Response:
    body = await read_model(request, SharingStatusBody)
    await api_context(request).processors.vfolder_sharing.update_sharing_status.run(
        UpdateSharingStatusAction(
            requester=current_user(request),
            folder_id=body.vfolder,
            changes=tuple((entry.user_id, entry.perm) for entry in body.user_perm_list),
        )
    )
    return web.Response(status=201)


async def change_ownership(request: web.Request) -> web.Response:
    body = await read_model(request, ChangeOwnershipBody)
    await api_context(request).processors.vfolder_sharing.change_ownership.run(
        ChangeVFolderOwnershipAction(
            requester=current_user(request), folder_id=body.vfolder, user_email=body.user_email
        )
    )
    return web.json_response({"msg": ""})


async def clone(request: web.Request) -> web.Response:
    body = await read_model(request, CloneBody)
    requester = current_user(request)
    started = await api_context(request).processors.vfolder_sharing.clone.run(
        CloneVFolderAction(
            requester=requester,
            folder=request.match_info["vf"],
            target_name=body.target_name,
            target_host=body.target_host or None,
            usage_mode=body.usage_mode,
            permission=body.permission,
            cloneable=body.cloneable,
        )
    )
    folder = started.folder
    return web.json_response(
        {
            "id": folder.id.hex,
            "name": folder.name,
            "host": folder.host,
            "usage_mode": folder.usage_mode.value,
            "permission": started.permission.value,
            "creator": folder.creator or requester.email,
            "ownership_type": folder.ownership_type.value,
            "user": str(folder.user) if folder.user is not None else None,
            "group": str(folder.group) if folder.group is not None else None,
            "cloneable": folder.cloneable,
            "status": folder.status.value,
            "bgtask_id": str(started.bgtask_id),
        },
        status=201,
    )


def register_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/folders/invitations/list", list_invitations)
    r.add_get("/folders/invitations/list-sent", list_sent_invitations)
    r.add_get("/folders/invitations/list_sent", list_sent_invitations)
    r.add_post("/folders/invitations/update/{inv_id}", update_invitation)
    r.add_post("/folders/invitations/accept", accept_invitation)
    r.add_delete("/folders/invitations/delete", delete_invitation)
    r.add_post("/folders/invitations/delete", delete_invitation)
    r.add_get("/folders/_/shared", list_shared)
    r.add_post("/folders/_/shared", update_shared)
    r.add_post("/folders/_/sharing", update_sharing_status)
    r.add_post("/folders/_/change-ownership", change_ownership)
    r.add_post("/folders/{vf}/invite", invite)
    r.add_post("/folders/{vf}/share", share)
    r.add_delete("/folders/{vf}/unshare", unshare)
    r.add_post("/folders/{vf}/unshare", unshare)
    r.add_post("/folders/{vf}/leave", leave)
    r.add_post("/folders/{vf}/clone", clone)
