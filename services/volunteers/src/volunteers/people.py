"""Volunteers: their profile, availability, trainings and certificates, and pool memberships.

Use cases on a connection, one transaction each. This is special-category personal data: every
use case takes the caller's `Scope`, and a volunteer outside it does not exist for them (404), so
a coordinator cannot even learn that someone is in another pool.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from backbone import paging
from backbone.errors import NotAllowed, NotFound, RuleError, StaleVersion
from backbone.outbox import add_event
from volunteers import contracts as c
from volunteers.model import (
    AvailabilityException,
    Channel,
    MembershipStatus,
    NewQualification,
    NewVolunteer,
    NotAsked,
    Scope,
    VolunteerStatus,
    WeeklySlot,
    check_times,
    check_weekly_slot,
)
from volunteers.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class VolunteerChanges:
    name: str
    email: str | None
    phone: str | None
    preferred_channel: Channel
    language: str
    languages: tuple[str, ...]
    areas: tuple[str, ...]
    does_not_want: str
    client_units: tuple[str, ...]
    status: VolunteerStatus


def _not_found(volunteer_id: uuid.UUID) -> NotFound:
    return NotFound(f"Det finns ingen volontär med id {volunteer_id} i de pooler du arbetar med.")


def _reachable(email: str | None, phone: str | None) -> None:
    if not email and not phone:
        raise RuleError("Ange en e-postadress eller ett telefonnummer, så att vi kan nå personen.")


async def _visible(conn: asyncpg.Connection, volunteer_id: uuid.UUID, scope: Scope, *, lock: bool) -> Row:
    """The volunteer, if `scope` reaches them: a coordinator reaches members of their own pools."""
    row = await (q.lock_volunteer if lock else q.get_volunteer).fetchrow(conn, id=volunteer_id)
    if row is None:
        raise _not_found(volunteer_id)
    if not scope.everything and not await q.standing_in_pools.fetchval(
        conn, volunteer_id=volunteer_id, pool_ids=scope.sql_pool_ids
    ):
        raise _not_found(volunteer_id)
    return dict(row)


async def create_volunteer(
    *,
    conn: asyncpg.Connection,
    volunteer: NewVolunteer,
    pools: list[tuple[uuid.UUID, MembershipStatus]],
    scope: Scope,
) -> Row:
    """A new volunteer, with their first pool memberships. A coordinator must put them in one of
    their own pools, or they could not see the person they just added."""
    _reachable(volunteer.email, volunteer.phone)
    if not scope.everything and not any(scope.covers(pool_id) for pool_id, _ in pools):
        raise RuleError("Lägg till personen i minst en av dina pooler, annars kan du inte se hen efteråt.")
    async with conn.transaction():
        row = dict(
            await q.insert_volunteer.fetchrow(
                conn,
                id=uuid.uuid4(),
                name=volunteer.name,
                email=volunteer.email,
                phone=volunteer.phone,
                preferred_channel=volunteer.preferred_channel,
                language=volunteer.language,
                languages=list(volunteer.languages),
                areas=list(volunteer.areas),
                does_not_want=volunteer.does_not_want,
                client_units=list(volunteer.client_units),
            )
        )
        for pool_id, status in pools:
            await _set_membership(conn, row, pool_id, status, scope)
    return await get_volunteer(conn=conn, volunteer_id=row["id"], scope=scope)


async def get_volunteer(*, conn: asyncpg.Connection, volunteer_id: uuid.UUID, scope: Scope) -> Row:
    """Everything the service holds about the volunteer that a coordinator works with."""
    row = await _visible(conn, volunteer_id, scope, lock=False)
    memberships = [dict(m) for m in await q.memberships_of.fetch(conn, volunteer_id=volunteer_id)]
    qualifications = [dict(x) for x in await q.qualifications_of.fetch(conn, volunteer_id=volunteer_id)]
    assignments = [dict(x) for x in await q.assignments_of.fetch(conn, volunteer_id=volunteer_id)]
    if not scope.everything:
        # A coordinator learns nothing of the person's other pools: not that they are members,
        # not their work there, not the certificates only those pools ask for.
        keys = {r["key"] for r in await q.requirement_keys_of_pools.fetch(conn, pool_ids=scope.sql_pool_ids)}
        memberships = [m for m in memberships if scope.covers(m["pool_id"])]
        assignments = [a for a in assignments if scope.covers(a["pool_id"])]
        qualifications = [x for x in qualifications if x["key"] in keys]
    row["memberships"] = memberships
    row["weekly"] = [dict(w) for w in await q.weekly_of.fetch(conn, volunteer_id=volunteer_id)]
    row["exceptions"] = [dict(e) for e in await q.exceptions_of.fetch(conn, volunteer_id=volunteer_id)]
    row["qualifications"] = qualifications
    # Consent is given per purpose, not per pool; the coordinator needs it to know whether an offer
    # may be sent, so it stays.
    row["consents"] = [dict(x) for x in await q.consents_of.fetch(conn, volunteer_id=volunteer_id)]
    row["assignments"] = assignments
    return row


async def list_volunteers(
    *,
    conn: asyncpg.Connection,
    scope: Scope,
    today: date,
    pool_id: uuid.UUID | None,
    search: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    if pool_id is not None and not scope.covers(pool_id):
        return [], 0
    rows, total = await paging.fetch_page(
        conn,
        q.list_volunteers,
        pool_ids=scope.sql_pool_ids,
        pool_id=pool_id,
        search=search or None,
        today=today,
        limit=limit,
        offset=offset,
    )
    memberships = await q.memberships_of_many.fetch(conn, volunteer_ids=[r["id"] for r in rows])
    for row in rows:
        row["memberships"] = [
            dict(m) for m in memberships if m["volunteer_id"] == row["id"] and scope.covers(m["pool_id"])
        ]
    return rows, total


async def update_volunteer(
    *,
    conn: asyncpg.Connection,
    volunteer_id: uuid.UUID,
    changes: VolunteerChanges,
    version: int,
    scope: Scope,
) -> Row:
    if changes.status == "erased":
        raise RuleError("Radering görs genom en begäran om radering, inte genom att ändra profilen.")
    _reachable(changes.email, changes.phone)
    async with conn.transaction():
        current = await _visible(conn, volunteer_id, scope, lock=True)
        if current["version"] != version:
            raise StaleVersion(
                "Någon annan har ändrat uppgifterna under tiden. Ladda om sidan och försök igen."
            )
        values = vars(changes) | {
            "languages": list(changes.languages),
            "areas": list(changes.areas),
            "client_units": list(changes.client_units),
        }
        await q.update_volunteer.fetchrow(conn, id=volunteer_id, **values)
    return await get_volunteer(conn=conn, volunteer_id=volunteer_id, scope=scope)


async def set_weekly(
    *, conn: asyncpg.Connection, volunteer_id: uuid.UUID, slots: list[WeeklySlot], scope: Scope
) -> list[Row]:
    """Replace the weekly pattern (an empty one means: ask them any time)."""
    for slot in slots:
        check_weekly_slot(slot.starts, slot.ends)
    async with conn.transaction():
        await _visible(conn, volunteer_id, scope, lock=True)
        await q.delete_weekly.execute(conn, volunteer_id=volunteer_id)
        for slot in slots:
            await q.insert_weekly.execute(
                conn,
                id=uuid.uuid4(),
                volunteer_id=volunteer_id,
                weekday=slot.weekday,
                starts=slot.starts,
                ends=slot.ends,
            )
        return [dict(w) for w in await q.weekly_of.fetch(conn, volunteer_id=volunteer_id)]


async def add_exception(
    *, conn: asyncpg.Connection, volunteer_id: uuid.UUID, exception: AvailabilityException, scope: Scope
) -> Row:
    check_times(exception.starts_at, exception.ends_at)
    async with conn.transaction():
        await _visible(conn, volunteer_id, scope, lock=True)
        return dict(
            await q.insert_exception.fetchrow(
                conn,
                id=uuid.uuid4(),
                volunteer_id=volunteer_id,
                starts_at=exception.starts_at,
                ends_at=exception.ends_at,
                available=exception.available,
                note=exception.note,
            )
        )


async def remove_exception(
    *, conn: asyncpg.Connection, volunteer_id: uuid.UUID, exception_id: uuid.UUID, scope: Scope
) -> None:
    async with conn.transaction():
        await _visible(conn, volunteer_id, scope, lock=True)
        if await q.delete_exception.fetchval(conn, id=exception_id, volunteer_id=volunteer_id) is None:
            raise NotFound("Det undantaget finns inte (det kan redan vara borttaget).")


async def add_qualification(
    *,
    conn: asyncpg.Connection,
    volunteer_id: uuid.UUID,
    qualification: NewQualification,
    scope: Scope,
    by: str,
) -> Row:
    _dates_in_order(qualification)
    async with conn.transaction():
        await _visible(conn, volunteer_id, scope, lock=True)
        # The pool's requirement says what this is and whether it runs out, not the form: a record
        # check typed in as a training without an end date would otherwise count forever.
        asked = await q.requirement_of_members_pools.fetchrow(
            conn, volunteer_id=volunteer_id, key=qualification.key, pool_ids=scope.sql_pool_ids
        )
        if asked is None:
            # Matching reads records by key: one recorded for a pool that does not ask for it, or
            # by someone not coordinating the pool that does, would make the person eligible there
            # without that pool's coordinator checking anything.
            raise NotAllowed(
                f"Ingen av dina pooler som personen är med i kräver {qualification.key!r}, så du kan "
                "inte registrera det. Den som samordnar poolen som kräver det får göra det."
            )
        kind = _kind_asked(asked, qualification)
        return dict(await _insert_qualification(conn, volunteer_id, qualification, kind, by))


async def record_for_pool(
    *,
    conn: asyncpg.Connection,
    pool_id: uuid.UUID,
    volunteer_ids: list[uuid.UUID],
    qualification: NewQualification,
    scope: Scope,
    by: str,
) -> list[Row]:
    """One training (agreement, certificate) that several members of a pool did: one record each, all
    or none. Only what this pool asks for and only its members, so a coordinator of two pools cannot
    record, from one of them, people or requirements of the other."""
    _dates_in_order(qualification)
    scope.require(pool_id)
    async with conn.transaction():
        if await q.get_pool.fetchrow(conn, id=pool_id) is None:
            raise NotFound(f"Det finns ingen pool med id {pool_id}.")
        requirements = await q.requirements_of.fetch(conn, pool_id=pool_id)
        asked = next((r for r in requirements if r["key"] == qualification.key), None)
        if asked is None:
            raise NotAsked(f"Poolen kräver inte {qualification.key!r}. Välj något av det som poolen kräver.")
        kind = _kind_asked(asked, qualification)
        wanted = list(dict.fromkeys(volunteer_ids))
        members = {
            r["volunteer_id"]
            for r in await q.standing_in_pool.fetch(conn, pool_id=pool_id, volunteer_ids=wanted)
        }
        strangers = [v for v in wanted if v not in members]
        if strangers:
            raise RuleError(
                f"{len(strangers)} av de valda personerna är inte med i poolen. "
                "Välj bara personer som är med i poolen."
            )
        recorded: list[Row] = []
        for volunteer_id in wanted:
            await q.lock_volunteer.fetchrow(conn, id=volunteer_id)
            row = await _insert_qualification(conn, volunteer_id, qualification, kind, by)
            recorded.append(dict(row) | {"volunteer_id": volunteer_id})
        return recorded


async def _set_membership(
    conn: asyncpg.Connection, volunteer: Row, pool_id: uuid.UUID, status: MembershipStatus, scope: Scope
) -> Row:
    scope.require(pool_id)
    pool = await q.get_pool.fetchrow(conn, id=pool_id)
    if pool is None:
        raise NotFound(f"Det finns ingen pool med id {pool_id}.")
    before = await q.get_membership.fetchrow(conn, pool_id=pool_id, volunteer_id=volunteer["id"])
    row = dict(
        await q.upsert_membership.fetchrow(
            conn, id=uuid.uuid4(), pool_id=pool_id, volunteer_id=volunteer["id"], status=status
        )
    )
    was = before["status"] if before else None
    about = {"volunteer_id": str(volunteer["id"]), "pool_id": str(pool_id), "pool_key": pool["key"]}
    if status == "active" and was != "active":
        await add_event(
            conn,
            c.VOLUNTEER_JOINED_POOL,
            c.VolunteerJoinedPoolV1(**about),
            aggregate_id=about["volunteer_id"],
        )
    elif status == "left" and was not in (None, "left"):
        await add_event(
            conn, c.VOLUNTEER_LEFT_POOL, c.VolunteerLeftPoolV1(**about), aggregate_id=about["volunteer_id"]
        )
    return row


async def set_membership(
    *,
    conn: asyncpg.Connection,
    volunteer_id: uuid.UUID,
    pool_id: uuid.UUID,
    status: MembershipStatus,
    scope: Scope,
) -> Row:
    async with conn.transaction():
        scope.require(pool_id)
        # A coordinator adds to their pools only people they already see (in another of their pools).
        volunteer = await _visible(conn, volunteer_id, scope, lock=True)
        return await _set_membership(conn, volunteer, pool_id, status, scope)


async def visible(
    *, conn: asyncpg.Connection, volunteer_id: uuid.UUID, scope: Scope, lock: bool = False
) -> Row:
    """For other use cases of the service (consents): the volunteer as `scope` may reach them."""
    return await _visible(conn, volunteer_id, scope, lock=lock)


def _dates_in_order(qualification: NewQualification) -> None:
    if qualification.expires_on is not None and qualification.expires_on < qualification.completed_on:
        raise RuleError("Slutdatumet är före datumet då det blev klart. Kontrollera datumen.")


def _kind_asked(asked: asyncpg.Record, qualification: NewQualification) -> str:
    """What the pool's requirement says this is; one that runs out needs its end date."""
    kind: str = asked["kind"]
    if (kind == "certificate" or asked["expires"]) and qualification.expires_on is None:
        raise RuleError("Ett intyg behöver ett datum då det går ut. Skriv in datumet från intyget.")
    return kind


async def _insert_qualification(
    conn: asyncpg.Connection, volunteer_id: uuid.UUID, qualification: NewQualification, kind: str, by: str
) -> asyncpg.Record:
    return await q.insert_qualification.fetchrow(
        conn,
        id=uuid.uuid4(),
        volunteer_id=volunteer_id,
        key=qualification.key,
        kind=kind,
        completed_on=qualification.completed_on,
        expires_on=qualification.expires_on,
        note=qualification.note,
        recorded_by=by,
    )
