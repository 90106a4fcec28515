"""Routes for groups (joint development group, management group, working groups) and their members."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from meetings import registry
from meetings.api.deps import (
    ERRORS,
    ConnDep,
    Limit,
    Offset,
    Reader,
    Representative,
    Staff,
    organisation_scope,
)
from meetings.api.schemas import GroupCreate, GroupPublic, MemberPublic, MemberUpdate, Page
from meetings.model import GroupKind

router = APIRouter(prefix="/v1/groups", tags=["groups"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=GroupPublic)
async def create_group(body: GroupCreate, conn: ConnDep, _who: Staff) -> GroupPublic:
    row = await registry.create_group(
        conn=conn,
        name=body.name,
        kind=body.kind,
        description=body.description,
        parent_group_id=body.parent_group_id,
    )
    return GroupPublic.model_validate(row)


@router.get("", response_model=Page[GroupPublic])
async def list_groups(
    conn: ConnDep, _who: Reader, kind: GroupKind | None = None, limit: Limit = 50, offset: Offset = 0
) -> Page[GroupPublic]:
    rows, total = await registry.list_groups(conn=conn, kind=kind, limit=limit, offset=offset)
    return Page(items=[GroupPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{group_id}", response_model=GroupPublic)
async def read_group(group_id: uuid.UUID, conn: ConnDep, _who: Reader) -> GroupPublic:
    group = await registry.get_group(conn=conn, group_id=group_id)
    members = await registry.list_members(conn=conn, group_id=group_id)
    return GroupPublic.model_validate({**group, "member_count": len(members)})


@router.get("/{group_id}/members", response_model=list[MemberPublic])
async def list_members(group_id: uuid.UUID, conn: ConnDep, who: Reader) -> list[MemberPublic]:
    rows = await registry.list_members(conn=conn, group_id=group_id, scope=organisation_scope(who))
    return [MemberPublic.model_validate(r) for r in rows]


@router.put("/{group_id}/members/{person_id}", response_model=MemberPublic)
async def put_member(
    group_id: uuid.UUID, person_id: uuid.UUID, body: MemberUpdate, conn: ConnDep, who: Representative
) -> MemberPublic:
    await registry.add_member(
        conn=conn,
        group_id=group_id,
        person_id=person_id,
        organisation_id=body.organisation_id,
        role=body.role,
        scope=organisation_scope(who),
    )
    rows = await registry.list_members(conn=conn, group_id=group_id)
    return MemberPublic.model_validate(next(r for r in rows if r["person_id"] == person_id))


@router.delete("/{group_id}/members/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_member(
    group_id: uuid.UUID, person_id: uuid.UUID, conn: ConnDep, who: Representative
) -> Response:
    await registry.remove_member(
        conn=conn, group_id=group_id, person_id=person_id, scope=organisation_scope(who)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
