"""Hourly fees per pool and the days they apply: what the fee report multiplies hours by.

A period runs from `valid_from` to `valid_until` (both included; none: until further notice), and
two periods of one pool never overlap, so each day of work has at most one fee. A fee is never
re-priced: a new amount is a new period after the old one ends, so a month already paid can always
be worked out again to the krona.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from volunteers.model import Scope
from volunteers.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class NewFee:
    hourly_fee: Decimal
    valid_from: date
    valid_until: date | None = None


def describe_period(valid_from: date, valid_until: date | None) -> str:
    """A period the way a person reads it: "från 2027-01-01 till och med 2027-06-30"."""
    if valid_until is None:
        return f"från {valid_from.isoformat()} tills vidare"
    return f"från {valid_from.isoformat()} till och med {valid_until.isoformat()}"


def kronor(amount: Decimal) -> str:
    """150.5 → "150,50 kr" (Swedish decimal comma)."""
    return f"{amount:.2f}".replace(".", ",") + " kr"


def _check_period(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise RuleError(
            "Slutdatumet är före startdatumet. Ange ett slutdatum samma dag som startdatumet eller senare."
        )


def _overlap_message(other: Row) -> str:
    return (
        "Avgiften överlappar en annan avgift för poolen: "
        f"{kronor(other['hourly_fee'])} per timme "
        f"{describe_period(other['valid_from'], other['valid_until'])}. "
        "Två avgifter kan inte gälla samma dag. Välj datum som inte överlappar, "
        "eller avsluta den andra avgiften först (ange ett slutdatum för den)."
    )


async def _pool(conn: asyncpg.Connection, pool_id: uuid.UUID, scope: Scope, *, lock: bool) -> Row:
    query = q.lock_pool_for_fees if lock else q.get_pool_for_fees
    pool = await query.fetchrow(conn, pool_id=pool_id)
    if pool is None:
        raise NotFound("Poolen finns inte. Den kan ha tagits bort; ladda om sidan.")
    scope.require(pool_id)
    return dict(pool)


def _not_back_in_time(valid_from: date | None, valid_until: date | None, today: date) -> None:
    """Months already reported to payroll stay as they were paid: a fee changes from now on."""
    if valid_from is not None and valid_from < today.replace(day=1):
        raise RuleError(
            "En ny avgift kan inte börja innan den här månaden, eftersom tidigare månader redan kan "
            f"vara utbetalda. Välj {today.replace(day=1).isoformat()} eller ett senare datum."
        )
    if valid_until is not None and valid_until < today:
        raise RuleError(
            "Slutdatumet kan inte vara före i dag, eftersom avgiften redan kan vara utbetald för de "
            f"dagarna. Välj {today.isoformat()} eller ett senare datum."
        )


async def add_fee(
    *, conn: asyncpg.Connection, pool_id: uuid.UUID, fee: NewFee, scope: Scope, by: str, today: date
) -> Row:
    """Add a fee period to a pool; refused when it overlaps one the pool has or starts in a month
    that may already be paid out."""
    _check_period(fee.valid_from, fee.valid_until)
    _not_back_in_time(fee.valid_from, fee.valid_until, today)
    if fee.hourly_fee < 0:
        raise RuleError("Avgiften kan inte vara negativ. Ange 0 kr om uppdraget är obetalt.")
    async with conn.transaction():
        # The pool's row is the lock two writers of its fees take turns on.
        await _pool(conn, pool_id, scope, lock=True)
        clash = await q.overlapping_fees.fetchrow(
            conn, pool_id=pool_id, except_id=None, valid_from=fee.valid_from, valid_until=fee.valid_until
        )
        if clash is not None:
            raise RuleError(_overlap_message(dict(clash)))
        row = await q.insert_fee.fetchrow(
            conn,
            id=uuid.uuid4(),
            pool_id=pool_id,
            hourly_fee=fee.hourly_fee,
            valid_from=fee.valid_from,
            valid_until=fee.valid_until,
            created_by=by,
        )
    return dict(row)


async def end_fee(
    *, conn: asyncpg.Connection, fee_id: uuid.UUID, valid_until: date, scope: Scope, today: date
) -> Row:
    """Give an open (or later-ending) fee period its last day, so a new fee can follow it."""
    async with conn.transaction():
        fee = await q.get_fee_for_update.fetchrow(conn, id=fee_id)
        if fee is None:
            raise NotFound("Avgiften finns inte. Ladda om sidan.")
        await _pool(conn, fee["pool_id"], scope, lock=True)
        _check_period(fee["valid_from"], valid_until)
        # Moving an end that has passed would change days already paid, as would one before today.
        _not_back_in_time(None, min(valid_until, fee["valid_until"] or valid_until), today)
        if fee["valid_until"] is not None and valid_until > fee["valid_until"]:
            # Lengthening could run into the next period; that is a new period, checked as one.
            clash = await q.overlapping_fees.fetchrow(
                conn,
                pool_id=fee["pool_id"],
                except_id=fee_id,
                valid_from=fee["valid_from"],
                valid_until=valid_until,
            )
            if clash is not None:
                raise RuleError(_overlap_message(dict(clash)))
        row = await q.end_fee.fetchrow(conn, id=fee_id, valid_until=valid_until)
    return dict(row)


async def list_fees(*, conn: asyncpg.Connection, pool_id: uuid.UUID, scope: Scope) -> list[Row]:
    await _pool(conn, pool_id, scope, lock=False)
    return [dict(r) for r in await q.list_fees.fetch(conn, pool_id=pool_id)]
