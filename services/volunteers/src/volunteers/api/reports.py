"""Routes for the monthly fee report (JSON for the page, CSV for payroll) and the numbers of the
chart of hours per pool per month (the page draws the chart and its table)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from volunteers import reports
from volunteers.api.deps import ERRORS, ConnDep, Coordinator, scope_of
from volunteers.api.schemas.work import ChartPublic, FeeReportPublic

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERRORS)
Month = Annotated[str, Query(description="YYYY-MM", min_length=7, max_length=7)]


@router.get("/fees", response_class=Response, responses={200: {"model": FeeReportPublic}})
async def fee_report(month: Month, conn: ConnDep, who: Coordinator) -> Response:
    """Approved hours of the month per person, pool and fee, with totals per pool and in all.
    Amounts and hours are decimal strings ("1260.00"); minutes are the exact figure."""
    # The document as the database builds it: 5,000 people through Python objects, or through
    # response-model validation, cost more than the query.
    document = await reports.fee_report_json(
        conn=conn, month=reports.parse_month(month), scope=await scope_of(conn, who)
    )
    return Response(content=document, media_type="application/json")


@router.get("/fees.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def fee_report_csv(month: Month, conn: ConnDep, who: Coordinator) -> Response:
    """The same report as a spreadsheet for payroll: one line per person, pool and fee."""
    report = await reports.fee_report(
        conn=conn, month=reports.parse_month(month), scope=await scope_of(conn, who)
    )
    return Response(
        content=reports.fee_report_csv(report).encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="arvoden-{reports.month_key(report.month)}.csv"'
        },
    )


@router.get("/hours-chart", response_model=ChartPublic)
async def hours_chart(
    conn: ConnDep,
    who: Coordinator,
    from_: Annotated[
        str, Query(alias="from", description="The first month, YYYY-MM", min_length=7, max_length=7)
    ],
    months: Annotated[int, Query(description="How many months")] = 12,
) -> ChartPublic:
    chart = await reports.hours_chart(
        conn=conn, first_month=reports.parse_month(from_), months=months, scope=await scope_of(conn, who)
    )
    return ChartPublic.of(chart)
