"""Routes for volunteers: profile, availability, trainings and certificates, pools, consent.

Coordinators only, each for the pools their identity names (special-category data: staff who only
ask for volunteers see none of it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Response, status

from volunteers import consents, people
from volunteers.api.deps import ERRORS, ConnDep, ContextDep, Coordinator, Limit, Offset, scope_of
from volunteers.api.schemas import (
    ConsentCreate,
    ConsentPublic,
    ConsentsLinkIssued,
    ConsentWithdraw,
    ExceptionCreate,
    ExceptionPublic,
    MembershipPublic,
    MembershipUpdate,
    Page,
    QualificationCreate,
    QualificationPublic,
    VolunteerCreate,
    VolunteerPublic,
    VolunteerSummary,
    VolunteerUpdate,
    WeeklySlotPublic,
    WeeklyUpdate,
)
from volunteers.api.work_deps import LinkContextDep

router = APIRouter(prefix="/v1/volunteers", tags=["volunteers"], responses=ERRORS)


@router.get("", response_model=Page[VolunteerSummary])
async def list_volunteers(
    conn: ConnDep,
    who: Coordinator,
    ctx: ContextDep,
    pool_id: uuid.UUID | None = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[VolunteerSummary]:
    rows, total = await people.list_volunteers(
        conn=conn,
        scope=await scope_of(conn, who),
        today=ctx.now.astimezone(ctx.zone).date(),
        pool_id=pool_id,
        search=q,
        limit=limit,
        offset=offset,
    )
    return Page(items=[VolunteerSummary.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=VolunteerPublic)
async def create_volunteer(body: VolunteerCreate, conn: ConnDep, who: Coordinator) -> VolunteerPublic:
    row = await people.create_volunteer(
        conn=conn,
        volunteer=body.to_domain(),
        pools=[(p.pool_id, p.status) for p in body.pools],
        scope=await scope_of(conn, who),
    )
    return VolunteerPublic.of(row)


@router.get("/{volunteer_id}", response_model=VolunteerPublic)
async def read_volunteer(volunteer_id: uuid.UUID, conn: ConnDep, who: Coordinator) -> VolunteerPublic:
    return VolunteerPublic.of(
        await people.get_volunteer(conn=conn, volunteer_id=volunteer_id, scope=await scope_of(conn, who))
    )


@router.put("/{volunteer_id}", response_model=VolunteerPublic)
async def update_volunteer(
    volunteer_id: uuid.UUID, body: VolunteerUpdate, conn: ConnDep, who: Coordinator
) -> VolunteerPublic:
    row = await people.update_volunteer(
        conn=conn,
        volunteer_id=volunteer_id,
        changes=body.to_domain(),
        version=body.version,
        scope=await scope_of(conn, who),
    )
    return VolunteerPublic.of(row)


@router.put("/{volunteer_id}/weekly", response_model=list[WeeklySlotPublic])
async def set_weekly(
    volunteer_id: uuid.UUID, body: WeeklyUpdate, conn: ConnDep, who: Coordinator
) -> list[WeeklySlotPublic]:
    rows = await people.set_weekly(
        conn=conn,
        volunteer_id=volunteer_id,
        slots=[s.to_domain() for s in body.slots],
        scope=await scope_of(conn, who),
    )
    return [WeeklySlotPublic.model_validate(r) for r in rows]


@router.post(
    "/{volunteer_id}/exceptions", status_code=status.HTTP_201_CREATED, response_model=ExceptionPublic
)
async def add_exception(
    volunteer_id: uuid.UUID, body: ExceptionCreate, conn: ConnDep, who: Coordinator
) -> ExceptionPublic:
    row = await people.add_exception(
        conn=conn, volunteer_id=volunteer_id, exception=body.to_domain(), scope=await scope_of(conn, who)
    )
    return ExceptionPublic.model_validate(row)


@router.delete("/{volunteer_id}/exceptions/{exception_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_exception(
    volunteer_id: uuid.UUID, exception_id: uuid.UUID, conn: ConnDep, who: Coordinator
) -> Response:
    await people.remove_exception(
        conn=conn, volunteer_id=volunteer_id, exception_id=exception_id, scope=await scope_of(conn, who)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{volunteer_id}/qualifications", status_code=status.HTTP_201_CREATED, response_model=QualificationPublic
)
async def add_qualification(
    volunteer_id: uuid.UUID, body: QualificationCreate, conn: ConnDep, who: Coordinator
) -> QualificationPublic:
    row = await people.add_qualification(
        conn=conn,
        volunteer_id=volunteer_id,
        qualification=body.to_domain(),
        scope=await scope_of(conn, who),
        by=who.subject,
    )
    return QualificationPublic.model_validate(row)


@router.put("/{volunteer_id}/pools/{pool_id}", response_model=MembershipPublic)
async def set_membership(
    volunteer_id: uuid.UUID, pool_id: uuid.UUID, body: MembershipUpdate, conn: ConnDep, who: Coordinator
) -> MembershipPublic:
    await people.set_membership(
        conn=conn,
        volunteer_id=volunteer_id,
        pool_id=pool_id,
        status=body.status,
        scope=await scope_of(conn, who),
    )
    row = await people.get_volunteer(conn=conn, volunteer_id=volunteer_id, scope=await scope_of(conn, who))
    return next(MembershipPublic.model_validate(m) for m in row["memberships"] if m["pool_id"] == pool_id)


@router.post("/{volunteer_id}/consents", status_code=status.HTTP_201_CREATED, response_model=ConsentPublic)
async def give_consent(
    volunteer_id: uuid.UUID, body: ConsentCreate, conn: ConnDep, who: Coordinator
) -> ConsentPublic:
    row = await consents.give(
        conn=conn,
        volunteer_id=volunteer_id,
        consent=body.to_domain(),
        scope=await scope_of(conn, who),
        by=who.subject,
        now=datetime.now(UTC),
    )
    return ConsentPublic.model_validate(row)


@router.post("/{volunteer_id}/consents/{consent_id}/withdraw", response_model=ConsentPublic)
async def withdraw_consent(
    volunteer_id: uuid.UUID, consent_id: uuid.UUID, body: ConsentWithdraw, conn: ConnDep, who: Coordinator
) -> ConsentPublic:
    row = await consents.withdraw(
        conn=conn,
        volunteer_id=volunteer_id,
        consent_id=consent_id,
        how=body.how,
        scope=await scope_of(conn, who),
        now=datetime.now(UTC),
    )
    return ConsentPublic.model_validate(row)


@router.post("/{volunteer_id}/consents-link", response_model=ConsentsLinkIssued)
async def issue_consents_link(
    volunteer_id: uuid.UUID, conn: ConnDep, who: Coordinator, ctx: LinkContextDep
) -> ConsentsLinkIssued:
    """The link the volunteer sees and withdraws their consents with (`<public page>/…?token=<token>`);
    it works until it expires, as often as they come back."""
    await people.visible(conn=conn, volunteer_id=volunteer_id, scope=await scope_of(conn, who))
    link = consents.consents_link(volunteer_id, ctx)
    return ConsentsLinkIssued(token=ctx.signer.sign(link, now=ctx.now), expires_at=link.expires_at)
