"""Reading what matching needs from the database: the request as a `Need`, the pool's members as
`Candidate`s. Five queries, each over the pool's members only, so the cost follows the pool's size
and the assignments near the request's time, not the whole register."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from volunteers import matching
from volunteers.model import OFFERS_PURPOSE, AvailabilityException, WeeklySlot
from volunteers.sql_queries import q

_NOTHING: frozenset[str] = frozenset()


def month_of(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar month `moment` falls in, as [start, end)."""
    local = moment.astimezone(zone)
    first = date(local.year, local.month, 1)
    following = date(local.year + (local.month == 12), local.month % 12 + 1, 1)
    return (
        datetime(first.year, first.month, 1, tzinfo=zone),
        datetime(following.year, following.month, 1, tzinfo=zone),
    )


async def need_of(
    conn: asyncpg.Connection, request: Mapping[str, Any], *, zone: ZoneInfo, window_days: int
) -> matching.Need:
    requirements = await q.requirements_of.fetch(conn, pool_id=request["pool_id"])
    return matching.Need(
        request_id=request["id"],
        starts_at=request["starts_at"],
        ends_at=request["ends_at"],
        zone=zone,
        requirements=tuple(
            matching.Requirement(r["key"], r["kind"], r["label"], r["expires"]) for r in requirements
        ),
        monthly_cap=int(request["monthly_cap"]),
        window_days=window_days,
        language=request["language"],
        area=request["area"],
        unit=request["unit"],
    )


async def candidates_for(
    conn: asyncpg.Connection,
    request: Mapping[str, Any],
    need: matching.Need,
    *,
    volunteer_id: uuid.UUID | None = None,
) -> list[matching.Candidate]:
    """The pool's members (or one of them) as matching sees them for `request`."""
    month_starts, month_ends = month_of(need.starts_at, need.zone)
    common = {"pool_id": request["pool_id"], "volunteer_id": volunteer_id}
    members = await q.match_members.fetch(
        conn,
        **common,
        request_id=request["id"],
        purpose=OFFERS_PURPOSE,
        window_starts=need.starts_at - timedelta(days=need.window_days),
        history_starts=need.starts_at - timedelta(days=matching.HISTORY_DAYS),
        month_starts=month_starts,
        month_ends=month_ends,
    )
    held: dict[uuid.UUID, list[matching.Qualification]] = defaultdict(list)
    if need.requirements:
        keys = sorted({r.key for r in need.requirements})
        for row in await q.match_qualifications.fetch(conn, **common, keys=keys):
            held[row["volunteer_id"]].append(
                matching.Qualification(row["key"], row["completed_on"], row["expires_on"])
            )
    weekly: dict[uuid.UUID, list[WeeklySlot]] = defaultdict(list)
    for row in await q.match_weekly.fetch(conn, **common, weekday=need.local_starts.isoweekday()):
        weekly[row["volunteer_id"]].append(WeeklySlot(row["weekday"], row["starts"], row["ends"]))
    window = {"starts_at": need.starts_at, "ends_at": need.ends_at}
    exceptions: dict[uuid.UUID, list[AvailabilityException]] = defaultdict(list)
    for row in await q.match_exceptions.fetch(conn, **common, **window):
        exceptions[row["volunteer_id"]].append(
            AvailabilityException(row["starts_at"], row["ends_at"], row["available"], row["note"])
        )
    busy: dict[uuid.UUID, list[tuple[datetime, datetime]]] = defaultdict(list)
    for row in await q.match_busy.fetch(conn, **common, **window, request_id=request["id"]):
        busy[row["volunteer_id"]].append((row["starts_at"], row["ends_at"]))
    none: tuple[Any, ...] = ()
    return [
        matching.Candidate(
            m["id"],
            m["name"],
            m["status"],
            m["membership"],
            m["consents"],
            frozenset(m["languages"]),
            frozenset(m["areas"]) if m["areas"] else _NOTHING,
            frozenset(m["client_units"]) if m["client_units"] else _NOTHING,
            tuple(held.get(m["id"], none)),
            tuple(weekly.get(m["id"], none)),
            tuple(exceptions.get(m["id"], none)),
            tuple(busy.get(m["id"], none)),
            m["recent"],
            m["this_month"],
            m["last_assigned_at"],
            m["offer_status"],
            m["assigned_here"],
            m["keeps_pattern"],
        )
        for m in members
    ]


async def match_request(
    conn: asyncpg.Connection, request: Mapping[str, Any], *, zone: ZoneInfo, window_days: int
) -> matching.Result:
    need = await need_of(conn, request, zone=zone, window_days=window_days)
    return matching.match(need, await candidates_for(conn, request, need))
