"""The monthly fee report for payroll (per person, pool and fee; totals per pool and month) and
the numbers behind the chart of hours per pool per month.

Only approved hours count. Each day's work is paid at the fee that applied that day, so a fee
change mid-month gives a person two lines in that pool. Amounts are rounded to whole öre per
line (half away from zero, as payroll rounds), and every total is the sum of its lines, so the
CSV adds up the way payroll checks it. Hours are shown rounded; minutes are the exact figure.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg

from backbone.errors import RuleError
from volunteers.model import Scope
from volunteers.sql_queries import q

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_CHART_MONTHS = 36
ERASED_NAME = "Raderad person"


def hours_of(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_month(text: str) -> date:
    """ "2027-03" → 1 March 2027; anything else is refused in words a person can act on."""
    try:
        year, month = text.split("-")
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            # Year 9999's December has no next month to end the report at.
            raise ValueError(year)
        return date(int(year), int(month), 1)
    except ValueError:
        raise RuleError(
            f"Månaden {text!r} går inte att läsa. Skriv den som år-månad, till exempel 2027-03."
        ) from None


@dataclass(slots=True)
class Sum:
    minutes: int = 0
    amount: Decimal = ZERO

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)


@dataclass(slots=True)
class Line:
    pool_id: uuid.UUID
    pool_name: str
    # None: no fee applied on those days (the pool is unpaid, or a fee is missing).
    hourly_fee: Decimal | None
    minutes: int
    amount: Decimal

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)


@dataclass(slots=True)
class Person:
    volunteer_id: uuid.UUID
    # After an erasure only the pseudonym (the id) and the hours are left.
    name: str
    erased: bool
    lines: list[Line] = field(default_factory=list)
    minutes: int = 0
    amount: Decimal = ZERO

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)


@dataclass(slots=True)
class PoolTotal:
    pool_id: uuid.UUID
    pool_name: str
    minutes: int = 0
    amount: Decimal = ZERO

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)


@dataclass(frozen=True)
class MissingFee:
    """Hours in a paid pool on days no fee covers: payroll would pay nothing for them."""

    pool_id: uuid.UUID
    pool_name: str
    minutes: int


@dataclass(frozen=True)
class FeeReport:
    month: date
    people: list[Person]
    pools: list[PoolTotal]
    total: Sum
    missing_fees: list[MissingFee]


async def fee_report(*, conn: asyncpg.Connection, month: date, scope: Scope) -> FeeReport:
    start = date(month.year, month.month, 1)
    rows = await q.fee_report_lines.fetch(
        conn, month_start=start, month_end=next_month(start), pool_ids=scope.sql_pool_ids
    )
    return build_report(start, rows)


async def fee_report_json(*, conn: asyncpg.Connection, month: date, scope: Scope) -> str:
    """The report as JSON text, `report_document`'s document built by the database in one query
    (the route's answer: 5,000 people made into Python objects and then JSON cost over a second)."""
    start = date(month.year, month.month, 1)
    document: str = await q.fee_report_document.fetchval(
        conn,
        month_start=start,
        month_end=next_month(start),
        pool_ids=scope.sql_pool_ids,
        month_key=month_key(start),
        erased_name=ERASED_NAME,
    )
    return document


def build_report(month: date, rows: Iterable[asyncpg.Record]) -> FeeReport:
    """Lines (already summed and priced by the query, in name order) grouped per person and pool."""
    people: dict[uuid.UUID, Person] = {}
    pools: dict[uuid.UUID, PoolTotal] = {}
    missing: dict[uuid.UUID, int] = {}
    total = Sum()
    for volunteer_id, name, erased, pool_id, pool_name, paid, fee, minutes, amount in rows:
        person = people.get(volunteer_id)
        if person is None:
            person = people[volunteer_id] = Person(volunteer_id, ERASED_NAME if erased else name, erased)
        person.lines.append(Line(pool_id, pool_name, fee, minutes, amount))
        person.minutes += minutes
        person.amount += amount
        pool = pools.get(pool_id)
        if pool is None:
            pool = pools[pool_id] = PoolTotal(pool_id, pool_name)
        pool.minutes += minutes
        pool.amount += amount
        total.minutes += minutes
        total.amount += amount
        if fee is None and paid:
            missing[pool_id] = missing.get(pool_id, 0) + minutes
    ordered = sorted(pools.values(), key=lambda p: (p.pool_name, str(p.pool_id)))
    return FeeReport(
        month=month,
        people=list(people.values()),
        pools=ordered,
        total=total,
        missing_fees=[
            MissingFee(p.pool_id, p.pool_name, missing[p.pool_id]) for p in ordered if p.pool_id in missing
        ],
    )


def hours_text(minutes: int) -> str:
    """Hours to two decimals, as `hours_of` gives them: whole minutes never fall on a half öre of an
    hour (100 * m / 60 is never n + 0.5), so the float's rounding is the decimal one, and cheaper."""
    return f"{minutes / 60:.2f}"


def _sums(s: Sum | Line | Person | PoolTotal) -> dict[str, Any]:
    # Amounts keep the query's two decimals through every sum, so str() is their "1260.00".
    return {"minutes": s.minutes, "hours": hours_text(s.minutes), "amount": str(s.amount)}


def report_document(report: FeeReport) -> dict[str, Any]:
    """The report as the JSON the route answers (api/schemas/work.py FeeReportPublic documents it).
    The route's answer is built by the database (`fee_report_json`); this is the readable form of
    the same document, and the tests hold the two to each other."""
    return {
        "month": month_key(report.month),
        "people": [
            {
                "volunteer_id": str(p.volunteer_id),
                "name": p.name,
                "erased": p.erased,
                **_sums(p),
                "lines": [
                    {
                        "pool_id": str(line.pool_id),
                        "pool_name": line.pool_name,
                        "hourly_fee": None if line.hourly_fee is None else str(line.hourly_fee),
                        **_sums(line),
                    }
                    for line in p.lines
                ],
            }
            for p in report.people
        ],
        "pools": [{"pool_id": str(p.pool_id), "pool_name": p.pool_name, **_sums(p)} for p in report.pools],
        "total": _sums(report.total),
        "missing_fees": [
            {"pool_id": str(m.pool_id), "pool_name": m.pool_name, "minutes": m.minutes}
            for m in report.missing_fees
        ],
    }


def _decimal(value: Decimal | None) -> str:
    return "" if value is None else str(value).replace(".", ",")


CSV_HEADER = ["Månad", "Person-id", "Namn", "Pool", "Timarvode (kr)", "Minuter", "Timmar", "Belopp (kr)"]


def _cell(text: str) -> str:
    """Names are typed by people: a spreadsheet would run one starting with = + - @ as a formula."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def fee_report_csv(report: FeeReport) -> str:
    """One line per person, pool and fee, the way a Swedish spreadsheet reads it: semicolons,
    decimal commas, and a byte-order mark so that å, ä and ö survive the opening."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    month = month_key(report.month)
    for person in report.people:
        for line in person.lines:
            writer.writerow(
                [
                    month,
                    str(person.volunteer_id),
                    _cell(person.name),
                    _cell(line.pool_name),
                    _decimal(line.hourly_fee),
                    str(line.minutes),
                    hours_text(line.minutes).replace(".", ","),
                    _decimal(line.amount),
                ]
            )
    return "\ufeff" + out.getvalue()


@dataclass(frozen=True)
class Series:
    pool_id: uuid.UUID
    pool_name: str
    # One number per month of the chart, in the order of Chart.months (0 for a month without hours).
    minutes: list[int]

    @property
    def hours(self) -> list[Decimal]:
        return [hours_of(m) for m in self.minutes]


@dataclass(frozen=True)
class Chart:
    months: list[str]
    series: list[Series]


async def hours_chart(*, conn: asyncpg.Connection, first_month: date, months: int, scope: Scope) -> Chart:
    """Approved hours per pool per month, `months` months from `first_month`, zeros included."""
    if not 1 <= months <= MAX_CHART_MONTHS:
        raise RuleError(f"Välj mellan 1 och {MAX_CHART_MONTHS} månader.")
    keys: list[date] = [date(first_month.year, first_month.month, 1)]
    while len(keys) < months:
        keys.append(next_month(keys[-1]))
    rows = await q.hours_per_pool_and_month.fetch(
        conn, first_day=keys[0], end_day=next_month(keys[-1]), pool_ids=scope.sql_pool_ids
    )
    index = {month: i for i, month in enumerate(keys)}
    series: dict[uuid.UUID, Series] = {}
    for row in rows:
        entry = series.setdefault(row["pool_id"], Series(row["pool_id"], row["pool_name"], [0] * months))
        entry.minutes[index[row["month"]]] = row["minutes"]
    return Chart(months=[month_key(m) for m in keys], series=list(series.values()))
