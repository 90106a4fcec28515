"""Routes for organisations: the municipal administrations and user organisations that take part."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from meetings import registry
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Reader, Staff
from meetings.api.schemas import OrganisationCreate, OrganisationPublic, OrganisationUpdate, Page
from meetings.model import OrganisationKind

router = APIRouter(prefix="/v1/organisations", tags=["organisations"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganisationPublic)
async def create_organisation(body: OrganisationCreate, conn: ConnDep, _who: Staff) -> OrganisationPublic:
    row = await registry.register_organisation(conn=conn, name=body.name, kind=body.kind)
    return OrganisationPublic.model_validate(row)


@router.get("", response_model=Page[OrganisationPublic])
async def list_organisations(
    conn: ConnDep,
    _who: Reader,
    name: Annotated[str | None, Query(description="Part of the name")] = None,
    kind: OrganisationKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[OrganisationPublic]:
    rows, total = await registry.list_organisations(
        conn=conn, name=name, kind=kind, limit=limit, offset=offset
    )
    return Page(
        items=[OrganisationPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{organisation_id}", response_model=OrganisationPublic)
async def read_organisation(organisation_id: uuid.UUID, conn: ConnDep, _who: Reader) -> OrganisationPublic:
    return OrganisationPublic.model_validate(
        await registry.get_organisation(conn=conn, organisation_id=organisation_id)
    )


@router.patch("/{organisation_id}", response_model=OrganisationPublic)
async def update_organisation(
    organisation_id: uuid.UUID, body: OrganisationUpdate, conn: ConnDep, _who: Staff
) -> OrganisationPublic:
    row = await registry.update_organisation(
        conn=conn, organisation_id=organisation_id, version=body.version, name=body.name, kind=body.kind
    )
    return OrganisationPublic.model_validate(row)
