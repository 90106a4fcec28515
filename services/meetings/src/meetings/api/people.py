"""Routes for people; an organisation representative sees and manages only its own organisation's."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from backbone.errors import NotAllowed
from meetings import registry
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Reader, Representative, organisation_scope
from meetings.api.schemas import Page, PersonCreate, PersonPublic, PersonUpdate

router = APIRouter(prefix="/v1/people", tags=["people"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PersonPublic)
async def create_person(body: PersonCreate, conn: ConnDep, who: Representative) -> PersonPublic:
    scope = organisation_scope(who)
    organisation_id = body.organisation_id
    if scope is not None:
        if organisation_id not in (None, scope):
            raise NotAllowed("you can only add people to your own organisation")
        organisation_id = scope
    row = await registry.register_person(
        conn=conn,
        name=body.name,
        email=str(body.email) if body.email else None,
        organisation_id=organisation_id,
        scope=scope,
    )
    return PersonPublic.model_validate(row)


@router.get("", response_model=Page[PersonPublic])
async def list_people(
    conn: ConnDep,
    who: Reader,
    organisation_id: uuid.UUID | None = None,
    name: Annotated[str | None, Query(description="Part of the name")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PersonPublic]:
    scope = organisation_scope(who)
    if scope is not None:
        organisation_id = scope
    rows, total = await registry.list_people(
        conn=conn, organisation_id=organisation_id, name=name, limit=limit, offset=offset
    )
    return Page(items=[PersonPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{person_id}", response_model=PersonPublic)
async def read_person(person_id: uuid.UUID, conn: ConnDep, who: Reader) -> PersonPublic:
    row = await registry.get_person(conn=conn, person_id=person_id, scope=organisation_scope(who))
    return PersonPublic.model_validate(row)


@router.patch("/{person_id}", response_model=PersonPublic)
async def update_person(
    person_id: uuid.UUID, body: PersonUpdate, conn: ConnDep, who: Representative
) -> PersonPublic:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    if "email" in changes and changes["email"] is not None:
        changes["email"] = str(changes["email"])
    row = await registry.update_person(
        conn=conn, person_id=person_id, version=body.version, changes=changes, scope=organisation_scope(who)
    )
    return PersonPublic.model_validate(row)
