"""Fees per pool and the days they apply: a period that overlaps another is refused, nothing changed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import asyncpg
import pytest

from backbone.errors import NotAllowed, RuleError
from volunteers import fees
from volunteers.fees import NewFee
from volunteers.model import Scope

from .vh_world import EVERYTHING, pool

# The periods below start in December 2026 or later.
TODAY = date(2026, 12, 1)


async def add(conn: asyncpg.Connection, pool_id, fee: str, start: date, end: date | None = None) -> dict:
    return await fees.add_fee(
        conn=conn,
        pool_id=pool_id,
        fee=NewFee(Decimal(fee), start, end),
        scope=EVERYTHING,
        by="staff-1",
        today=TODAY,
    )


async def test_periods_that_follow_each_other_are_kept_in_order(conn):
    pool_id = await pool(conn)
    await add(conn, pool_id, "150", date(2027, 1, 1), date(2027, 3, 14))
    await add(conn, pool_id, "175.50", date(2027, 3, 15))
    listed = await fees.list_fees(conn=conn, pool_id=pool_id, scope=EVERYTHING)
    assert [(f["hourly_fee"], f["valid_from"], f["valid_until"]) for f in listed] == [
        (Decimal("150.00"), date(2027, 1, 1), date(2027, 3, 14)),
        (Decimal("175.50"), date(2027, 3, 15), None),
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2027, 3, 14), None),  # the last day of the first period
        (date(2026, 12, 1), date(2027, 1, 1)),  # its first day
        (date(2027, 2, 1), date(2027, 2, 2)),  # inside it
    ],
)
async def test_a_period_overlapping_another_is_refused_in_swedish_and_nothing_is_added(conn, start, end):
    pool_id = await pool(conn)
    await add(conn, pool_id, "150", date(2027, 1, 1), date(2027, 3, 14))
    with pytest.raises(RuleError) as refused:
        await add(conn, pool_id, "175", start, end)
    assert str(refused.value).startswith(
        "Avgiften överlappar en annan avgift för poolen: 150,00 kr per timme "
        "från 2027-01-01 till och med 2027-03-14."
    )
    assert len(await fees.list_fees(conn=conn, pool_id=pool_id, scope=EVERYTHING)) == 1


async def test_an_open_period_is_ended_so_that_a_new_fee_can_follow(conn):
    pool_id = await pool(conn)
    first = await add(conn, pool_id, "150", date(2027, 1, 1))
    with pytest.raises(RuleError, match="från 2027-01-01 tills vidare"):
        await add(conn, pool_id, "175", date(2027, 7, 1))
    await fees.end_fee(
        conn=conn, fee_id=first["id"], valid_until=date(2027, 6, 30), scope=EVERYTHING, today=TODAY
    )
    await add(conn, pool_id, "175", date(2027, 7, 1))
    # Lengthening the first period again would run into the second.
    with pytest.raises(RuleError, match="175,00 kr per timme från 2027-07-01 tills vidare"):
        await fees.end_fee(
            conn=conn, fee_id=first["id"], valid_until=date(2027, 7, 31), scope=EVERYTHING, today=TODAY
        )


async def test_other_pools_periods_do_not_count(conn):
    one, other = await pool(conn), await pool(conn)
    await add(conn, one, "150", date(2027, 1, 1))
    await add(conn, other, "200", date(2027, 1, 1))


async def test_an_end_before_the_start_and_a_negative_fee_are_refused(conn):
    pool_id = await pool(conn)
    with pytest.raises(RuleError, match="Slutdatumet är före startdatumet"):
        await add(conn, pool_id, "150", date(2027, 2, 1), date(2027, 1, 31))
    with pytest.raises(RuleError, match="negativ"):
        await add(conn, pool_id, "-1", date(2027, 2, 1))


async def test_a_coordinator_sets_fees_of_their_own_pools_only(conn):
    mine, theirs = await pool(conn), await pool(conn)
    scope = Scope(everything=False, pool_ids=frozenset({mine}))
    await fees.add_fee(
        conn=conn, pool_id=mine, fee=NewFee(Decimal(100), date(2027, 1, 1)), scope=scope, by="c", today=TODAY
    )
    with pytest.raises(NotAllowed):
        await fees.add_fee(
            conn=conn,
            pool_id=theirs,
            fee=NewFee(Decimal(100), date(2027, 1, 1)),
            scope=scope,
            by="c",
            today=TODAY,
        )


async def test_the_database_refuses_overlaps_the_use_case_did_not_see(conn):
    pool_id = await pool(conn)
    await add(conn, pool_id, "150", date(2027, 1, 1))
    with pytest.raises(asyncpg.ExclusionViolationError):
        await conn.execute(
            "INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, created_by)"
            " VALUES (gen_random_uuid(), $1, 200, '2027-05-01', 'x')",
            pool_id,
        )


async def test_fees_are_not_changed_back_in_time(conn):
    """A fee report already paid out must not change under payroll's feet (review finding 6)."""
    pool_id = await pool(conn)
    today = date(2027, 5, 20)
    with pytest.raises(RuleError, match="innan den här månaden"):
        await fees.add_fee(
            conn=conn,
            pool_id=pool_id,
            fee=NewFee(Decimal("150"), date(2027, 4, 30), None),
            scope=EVERYTHING,
            by="staff-1",
            today=today,
        )
    first = await fees.add_fee(
        conn=conn,
        pool_id=pool_id,
        fee=NewFee(Decimal("150"), date(2027, 5, 1), None),
        scope=EVERYTHING,
        by="staff-1",
        today=today,
    )
    with pytest.raises(RuleError, match="före i dag"):
        await fees.end_fee(
            conn=conn, fee_id=first["id"], valid_until=date(2027, 5, 19), scope=EVERYTHING, today=today
        )
    ended = await fees.end_fee(
        conn=conn, fee_id=first["id"], valid_until=date(2027, 5, 31), scope=EVERYTHING, today=today
    )
    assert ended["valid_until"] == date(2027, 5, 31)
    with pytest.raises(RuleError, match="före i dag"):
        await fees.end_fee(
            conn=conn,
            fee_id=first["id"],
            valid_until=date(2027, 6, 30),
            scope=EVERYTHING,
            today=date(2027, 6, 5),
        )
