"""Reading what matching needs from the database: the request as a `Need`, the pool's members as
`Candidate`s. One query over the pool's members only, with what is read about each person as
arrays on their row, so the cost follows the pool's size and the assignments of the year before the
request, not the whole register."""

from __future__ import annotations

import uuid
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
    members = await q.match_members.fetch(
        conn,
        pool_id=request["pool_id"],
        volunteer_id=volunteer_id,
        request_id=request["id"],
        purpose=OFFERS_PURPOSE,
        window_starts=need.starts_at - timedelta(days=need.window_days),
        history_starts=need.starts_at - timedelta(days=matching.HISTORY_DAYS),
        month_starts=month_starts,
        month_ends=month_ends,
        keys=sorted({r.key for r in need.requirements}),
        weekday=need.local_starts.isoweekday(),
        starts_at=need.starts_at,
        ends_at=need.ends_at,
    )
    weekday = need.local_starts.isoweekday()
    # Building 5,000 candidates is most of a match's Python time, so: the record unpacked by
    # position, one shared empty tuple, and one frozenset per distinct list of languages, areas or
    # units (a pool has a handful), not three new sets per person.
    sets: dict[tuple[str, ...], frozenset[str]] = {(): _NOTHING}

    def as_set(values: list[str] | None) -> frozenset[str]:
        key = tuple(values) if values else ()
        found_set = sets.get(key)
        if found_set is None:
            found_set = sets[key] = frozenset(key)
        return found_set

    none: tuple[Any, ...] = ()
    found: list[matching.Candidate] = []
    for (
        id_, name, status, membership, languages, areas, client_units, consents, recent, this_month,
        last_assigned_at, offer_status, assigned_here, keeps_pattern, weekly_starts, weekly_ends,
        held_keys, held_completed, held_expires, away_starts, away_ends, away_available, away_notes,
        busy_starts, busy_ends,
    ) in members:  # fmt: skip
        found.append(
            matching.Candidate(
                id_,
                name,
                status,
                membership,
                consents,
                as_set(languages),
                as_set(areas),
                as_set(client_units),
                tuple(map(matching.Qualification, held_keys, held_completed, held_expires))
                if held_keys
                else none,
                tuple(WeeklySlot(weekday, s, e) for s, e in zip(weekly_starts, weekly_ends, strict=True))
                if weekly_starts
                else none,
                tuple(map(AvailabilityException, away_starts, away_ends, away_available, away_notes))
                if away_starts
                else none,
                tuple(zip(busy_starts, busy_ends, strict=True)) if busy_starts else none,
                recent,
                this_month,
                last_assigned_at,
                offer_status,
                assigned_here,
                keeps_pattern,
            )
        )
    return found


async def match_request(
    conn: asyncpg.Connection, request: Mapping[str, Any], *, zone: ZoneInfo, window_days: int
) -> matching.Result:
    need = await need_of(conn, request, zone=zone, window_days=window_days)
    return matching.match(need, await candidates_for(conn, request, need))
