"""The monthly fee report for payroll: sums per person, pool and fee, across a fee change mid-month."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date
from decimal import Decimal

import asyncpg

from volunteers import reports
from volunteers.fees import NewFee, add_fee
from volunteers.model import Scope

from .vh_world import EVERYTHING, pool, volunteer


async def worked(
    conn: asyncpg.Connection,
    volunteer_id: uuid.UUID,
    pool_id: uuid.UUID,
    day: str,
    minutes: int,
    status: str = "approved",
) -> None:
    # Hours as the hours use cases leave them; a request and assignment behind each, as in life.
    request_id, assignment_id = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by)"
        " VALUES ($1, $2, 1, $3::date + time '10:00', $3::date + time '18:00', 's')",
        request_id,
        pool_id,
        date.fromisoformat(day),
    )
    await conn.execute(
        "INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at)"
        " SELECT $1, $2, id, pool_id, starts_at, ends_at FROM requests WHERE id = $3",
        assignment_id,
        volunteer_id,
        request_id,
    )
    await conn.execute(
        "INSERT INTO hours"
        " (id, assignment_id, volunteer_id, pool_id, work_date, minutes, status, proposed_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, 'staff')",
        uuid.uuid4(),
        assignment_id,
        volunteer_id,
        pool_id,
        date.fromisoformat(day),
        minutes,
        status,
    )


async def fee(
    conn: asyncpg.Connection, pool_id: uuid.UUID, amount: str, start: str, end: str | None = None
) -> None:
    period = NewFee(Decimal(amount), date.fromisoformat(start), date.fromisoformat(end) if end else None)
    # Entered when the period began, as staff would have.
    await add_fee(conn=conn, pool_id=pool_id, fee=period, scope=EVERYTHING, by="s", today=period.valid_from)


async def a_month(conn: asyncpg.Connection) -> dict:
    x = await pool(conn, name="Klarspråksgranskare")
    y = await pool(conn, name="Mentorer")
    z = await pool(conn, name="Rekryteringspanel")
    await fee(conn, x, "150", "2027-01-01", "2027-03-14")
    await fee(conn, x, "180", "2027-03-15")
    await fee(conn, y, "100", "2027-01-01")
    # Pool z has no fee for March: its hours are reported, and the missing fee is pointed out.
    anna = await volunteer(conn, name="Anna Andersson", pools=(x, y))
    bo = await volunteer(conn, name="Bo Berg", pools=(x, z))
    await worked(conn, anna, x, "2027-03-10", 120)
    await worked(conn, anna, x, "2027-03-14", 90)  # the last day of the old fee
    await worked(conn, anna, x, "2027-03-15", 120)  # the first day of the new one
    await worked(conn, anna, x, "2027-03-31", 45)
    await worked(conn, anna, y, "2027-03-02", 60)
    await worked(conn, bo, x, "2027-03-20", 80)
    await worked(conn, bo, z, "2027-03-21", 30)
    # Not in the March report: another month, and hours not approved.
    await worked(conn, anna, x, "2027-02-28", 600)
    await worked(conn, anna, y, "2027-04-01", 600)
    await worked(conn, bo, y, "2027-03-22", 600, status="proposed")
    await worked(conn, bo, y, "2027-03-23", 600, status="rejected")
    return {"x": x, "y": y, "z": z, "anna": anna, "bo": bo}


def money(value: str) -> Decimal:
    return Decimal(value)


async def test_sums_across_a_fee_change_mid_month(conn):
    world = await a_month(conn)
    report = await reports.fee_report(conn=conn, month=date(2027, 3, 1), scope=EVERYTHING)
    anna, bo = report.people
    assert (anna.name, bo.name) == ("Anna Andersson", "Bo Berg")
    # Anna in Klarspråksgranskare: 120 + 90 = 210 min at 150 kr = 3.5 h * 150 = 525.00;
    # 120 + 45 = 165 min at 180 kr = 2.75 h * 180 = 495.00. Mentorer: 60 min at 100 kr = 100.00.
    assert [(line.pool_name, line.hourly_fee, line.minutes, line.amount) for line in anna.lines] == [
        ("Klarspråksgranskare", money("150.00"), 210, money("525.00")),
        ("Klarspråksgranskare", money("180.00"), 165, money("495.00")),
        ("Mentorer", money("100.00"), 60, money("100.00")),
    ]
    # 525 + 495 + 100 = 1120.00, over 210 + 165 + 60 = 435 min = 7.25 h
    assert (anna.minutes, anna.hours, anna.amount) == (435, money("7.25"), money("1120.00"))
    # Bo: 80 min at 180 kr = 240.00; 30 min in a pool without a fee: 0, and said so.
    assert [(line.pool_name, line.hourly_fee, line.minutes, line.amount) for line in bo.lines] == [
        ("Klarspråksgranskare", money("180.00"), 80, money("240.00")),
        ("Rekryteringspanel", None, 30, money("0.00")),
    ]
    assert (bo.minutes, bo.amount) == (110, money("240.00"))
    # Per pool and month: Klarspråksgranskare 210 + 165 + 80 = 455 min, 525 + 495 + 240 = 1260.00
    assert [(p.pool_name, p.minutes, p.amount) for p in report.pools] == [
        ("Klarspråksgranskare", 455, money("1260.00")),
        ("Mentorer", 60, money("100.00")),
        ("Rekryteringspanel", 30, money("0.00")),
    ]
    # 1260 + 100 + 0 = 1360.00 over 455 + 60 + 30 = 545 min
    assert (report.total.minutes, report.total.amount) == (545, money("1360.00"))
    assert [(m.pool_id, m.minutes) for m in report.missing_fees] == [(world["z"], 30)]


async def test_amounts_are_rounded_to_whole_ore_per_line(conn):
    x = await pool(conn)
    await fee(conn, x, "155.55", "2027-01-01")
    person = await volunteer(conn, pools=(x,))
    await worked(conn, person, x, "2027-03-03", 50)
    report = await reports.fee_report(conn=conn, month=date(2027, 3, 1), scope=EVERYTHING)
    # 155.55 * 50 / 60 = 129.625 → 129.63 (half up, as payroll rounds)
    assert report.people[0].amount == money("129.63")


async def test_a_coordinator_sees_only_their_pools(conn):
    world = await a_month(conn)
    scope = Scope(everything=False, pool_ids=frozenset({world["y"]}))
    report = await reports.fee_report(conn=conn, month=date(2027, 3, 1), scope=scope)
    assert [(p.name, p.amount) for p in report.people] == [("Anna Andersson", money("100.00"))]


async def test_the_json_the_route_answers_is_the_report_document_built_in_python(conn):
    """The route answers with the document built by the database (fee_report_json); it must be the
    one report_document makes from the report: every person, line, sum, rounding and order, a
    pseudonym for the erased, a coordinator's pools only, and an empty month."""
    world = await a_month(conn)
    unfair = await volunteer(conn, name="Åke Ärlig", pools=(world["x"],))
    await worked(conn, unfair, world["x"], "2027-03-05", 50)
    await worked(conn, unfair, world["x"], "2027-04-03", 7)
    await conn.execute(
        "UPDATE volunteers SET status = 'erased', email = NULL, phone = NULL WHERE id = $1", unfair
    )
    coordinator = Scope(everything=False, pool_ids=frozenset({world["y"], world["z"]}))
    for month, scope in (
        (date(2027, 3, 1), EVERYTHING),
        (date(2027, 4, 1), EVERYTHING),
        (date(2027, 3, 1), coordinator),
        (date(2026, 3, 1), EVERYTHING),
    ):
        built = reports.report_document(await reports.fee_report(conn=conn, month=month, scope=scope))
        answered = json.loads(await reports.fee_report_json(conn=conn, month=month, scope=scope))
        assert answered == built, (month, scope)
    assert built["people"] == [] and built["total"] == {"minutes": 0, "hours": "0.00", "amount": "0.00"}


async def test_the_csv_has_a_line_per_person_pool_and_fee_in_swedish_spreadsheet_form(conn):
    await a_month(conn)
    report = await reports.fee_report(conn=conn, month=date(2027, 3, 1), scope=EVERYTHING)
    text = reports.fee_report_csv(report)
    assert text.startswith("\ufeff")  # so that Excel reads the file as UTF-8 (å, ä, ö)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "Månad",
        "Person-id",
        "Namn",
        "Pool",
        "Timarvode (kr)",
        "Minuter",
        "Timmar",
        "Belopp (kr)",
    ]
    assert rows[1][2:] == ["Anna Andersson", "Klarspråksgranskare", "150,00", "210", "3,50", "525,00"]
    assert rows[1][0] == "2027-03"
    assert rows[-1][2:] == ["Bo Berg", "Rekryteringspanel", "", "30", "0,50", "0,00"]
    assert len(rows) == 1 + 5


async def test_hours_per_pool_per_month_for_the_chart_with_empty_months_as_zero(conn):
    world = await a_month(conn)
    chart = await reports.hours_chart(conn=conn, first_month=date(2027, 2, 1), months=3, scope=EVERYTHING)
    assert chart.months == ["2027-02", "2027-03", "2027-04"]
    by_pool = {series.pool_id: series.minutes for series in chart.series}
    # Klarspråksgranskare: Feb 600; Mar 455; Apr 0. Mentorer: 0; 60; 600. Rekrytering: 0; 30; 0.
    assert by_pool == {world["x"]: [600, 455, 0], world["y"]: [0, 60, 600], world["z"]: [0, 30, 0]}
