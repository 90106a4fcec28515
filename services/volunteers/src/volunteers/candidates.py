"""Matching on the database: the request as a `Need`, and the candidates' lists.

`match_request` judges every member of the pool in SQL (`match_page`: the rules of matching.py, with
reason codes) and reads back one page of the ranked and of the excluded, the counts per reason and
the totals; only the page's rows are made into sentences here. `candidates_for` reads members as the
pure rules take them (`Candidate`s, what is read about each person as arrays on their row): for one
person (is this offer's answer still allowed?) and for the tests that hold the SQL to the rules."""

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


def _reasons(codes: list[str], row: asyncpg.Record) -> list[matching.Reason]:
    """The codes of one excluded person back as `Reason`s, with what their sentences need."""
    latest = dict(zip(row["latest_keys"] or (), row["latest_on"] or (), strict=True))
    found: list[matching.Reason] = []
    for name in codes:
        code, key = matching.parse_name(name)
        if code == "requirement_expired":
            found.append(matching.Reason(code, key, on=latest.get(key)))
        elif code == "away":
            away = row["away_starts"], row["away_ends"], row["away_note"]
            found.append(matching.Reason(code, starts_at=away[0], ends_at=away[1], note=away[2]))
        elif code == "busy":
            found.append(matching.Reason(code, starts_at=row["busy_starts"], ends_at=row["busy_ends"]))
        elif code == "monthly_cap":
            found.append(matching.Reason(code, assignments=row["this_month"]))
        else:
            found.append(matching.Reason(code, key))
    return found


async def match_request(
    conn: asyncpg.Connection,
    request: Mapping[str, Any],
    *,
    zone: ZoneInfo,
    window_days: int,
    page: matching.Page = matching.Page(),
) -> matching.Result:
    """`matching.match` of the pool's members for `request`, computed by the database: `page` of
    each list, the totals and the counts per reason."""
    need = await need_of(conn, request, zone=zone, window_days=window_days)
    month_starts, month_ends = month_of(need.starts_at, need.zone)
    local_starts, local_ends = need.local_starts, need.local_ends
    rows = await q.match_page.fetch(
        conn,
        pool_id=request["pool_id"],
        request_id=request["id"],
        purpose=OFFERS_PURPOSE,
        window_starts=need.starts_at - timedelta(days=need.window_days),
        history_starts=need.starts_at - timedelta(days=matching.HISTORY_DAYS),
        month_starts=month_starts,
        month_ends=month_ends,
        keys=[r.key for r in need.requirements],
        expires=[r.expires for r in need.requirements],
        # One bit per requirement, from 1 << 1 (see `held` in match_page).
        all_met=sum(1 << at for at in range(1, len(need.requirements) + 1)),
        day=need.day,
        last_day=need.last_day,
        weekday=local_starts.isoweekday(),
        same_day=local_starts.date() == local_ends.date(),
        local_starts=local_starts.time(),
        local_ends=local_ends.time(),
        starts_at=need.starts_at,
        ends_at=need.ends_at,
        # As the rules read them: an empty text asks for nothing.
        unit=need.unit or None,
        language=need.language or None,
        area=need.area or None,
        monthly_cap=need.monthly_cap,
        reason=page.reason,
        ranked_limit=page.ranked_limit,
        ranked_offset=page.ranked_offset,
        excluded_limit=page.excluded_limit,
        excluded_offset=page.excluded_offset,
    )
    ranked: list[matching.Ranked] = []
    excluded: list[matching.Excluded] = []
    by_reason: list[matching.ReasonCount] = []
    ranked_total = excluded_total = 0
    for row in rows:
        part = row["part"]
        if part == "ranked":
            ranked.append(
                matching.Ranked(
                    row["id"],
                    row["name"],
                    row["at"],
                    matching.fairness_reason(row["recent"], row["this_month"], row["last_assigned_at"], need),
                )
            )
        elif part == "excluded":
            reasons = _reasons(row["codes"], row)
            excluded.append(
                matching.Excluded(
                    row["id"],
                    row["name"],
                    tuple(matching.phrase(r, need) for r in reasons),
                    tuple(row["codes"]),
                )
            )
        elif part == "reason":
            heading = matching.summary(matching.Reason(*matching.parse_name(row["name"])), need)
            by_reason.append(matching.ReasonCount(row["name"], heading, row["count"]))
        else:
            ranked_total, excluded_total = row["at"], row["count"]
    by_reason.sort(key=lambda c: (-c.count, c.code))
    return matching.Result(
        ranked=ranked,
        excluded=excluded,
        ranked_total=ranked_total,
        excluded_total=excluded_total,
        by_reason=by_reason,
    )
