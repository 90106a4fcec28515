"""Routes for pools and their requirements."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from volunteers import people, pools
from volunteers.api.deps import ERRORS, ConnDep, Coordinator, Limit, Manager, Offset, Requester, scope_of
from volunteers.api.schemas import (
    Page,
    PoolCreate,
    PoolPublic,
    PoolQualificationCreate,
    PoolQualificationPublic,
    PoolUpdate,
    RequirementCreate,
    RequirementPublic,
)

router = APIRouter(prefix="/v1/pools", tags=["pools"], responses=ERRORS)


@router.get("", response_model=Page[PoolPublic])
async def list_pools(
    conn: ConnDep, _who: Requester, limit: Limit = 50, offset: Offset = 0
) -> Page[PoolPublic]:
    """Every pool with its requirements and member counts: nobody's personal data, so everyone
    who may ask for volunteers sees them all."""
    rows, total = await pools.list_pools(conn=conn, limit=limit, offset=offset)
    return Page(items=[PoolPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{pool_id}", response_model=PoolPublic)
async def read_pool(pool_id: uuid.UUID, conn: ConnDep, _who: Requester) -> PoolPublic:
    return PoolPublic.of(await pools.get_pool(conn=conn, pool_id=pool_id))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PoolPublic)
async def create_pool(body: PoolCreate, conn: ConnDep, _who: Manager) -> PoolPublic:
    return PoolPublic.of(await pools.create_pool(conn=conn, pool=body.to_domain()))


@router.put("/{pool_id}", response_model=PoolPublic)
async def update_pool(pool_id: uuid.UUID, body: PoolUpdate, conn: ConnDep, who: Coordinator) -> PoolPublic:
    row = await pools.update_pool(
        conn=conn,
        pool_id=pool_id,
        changes=body.to_domain(),
        version=body.version,
        scope=await scope_of(conn, who),
    )
    return PoolPublic.of(row)


@router.post("/{pool_id}/requirements", status_code=status.HTTP_201_CREATED, response_model=RequirementPublic)
async def add_requirement(
    pool_id: uuid.UUID, body: RequirementCreate, conn: ConnDep, who: Coordinator
) -> RequirementPublic:
    row = await pools.add_requirement(
        conn=conn, pool_id=pool_id, requirement=body.to_domain(), scope=await scope_of(conn, who)
    )
    return RequirementPublic.model_validate(row)


@router.post(
    "/{pool_id}/qualifications",
    status_code=status.HTTP_201_CREATED,
    response_model=list[PoolQualificationPublic],
)
async def record_for_pool(
    pool_id: uuid.UUID, body: PoolQualificationCreate, conn: ConnDep, who: Coordinator
) -> list[PoolQualificationPublic]:
    """A training done by several members of the pool: one record each, or none and the reason
    (someone not in the pool, something the pool does not ask for)."""
    rows = await people.record_for_pool(
        conn=conn,
        pool_id=pool_id,
        volunteer_ids=body.volunteer_ids,
        qualification=body.to_domain(),
        scope=await scope_of(conn, who),
        by=who.subject,
    )
    return [PoolQualificationPublic.model_validate(r) for r in rows]
