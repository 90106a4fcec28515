"""Attendance by organisation over the last year, as a chart and as a table."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import requires
from gateway.chart import Bar, bar_chart
from gateway.choices import group_filter_options
from gateway.i18n import _
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep

router = APIRouter(prefix="/statistics", tags=["pages"])
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
COUNTS = ("present", "guest", "excused", "absent")


def totals_by_organisation(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sums the service's monthly rows per organisation, most present first."""
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: {c: 0 for c in COUNTS})
    for row in rows:
        entry = totals[row["organisation_name"]]
        entry["organisation"] = row["organisation_name"]
        for count in COUNTS:
            entry[count] += int(row.get(count) or 0)
    return sorted(totals.values(), key=lambda t: (-t["present"], t["organisation"]))


def period_titles() -> dict[str, str]:
    return {
        "year": _("Närvarande per organisation det senaste året"),
        "all": _("Närvarande per organisation, alla år"),
    }


@router.get("/attendance", response_class=HTMLResponse)
async def attendance_chart(
    request: Request, _user: Reader, services: ServicesDep, group_id: str = "", period: str = "year"
) -> Response:
    params: dict[str, str] = {"group_id": group_id} if group_id else {}
    if period != "all":
        period = "year"
        params["from"] = (datetime.now(UTC) - timedelta(days=365)).isoformat()
    data = await services.get_json("meetings", "/v1/statistics/attendance-by-organisation", params=params)
    totals = totals_by_organisation((data or {}).get("rows", []))
    title = period_titles()[period]
    chart = None
    if totals:
        chart = bar_chart(
            [Bar(t["organisation"], t["present"]) for t in totals],
            title=title,
            description=_("Stapeldiagram. Samma siffror finns i tabellen under diagrammet."),
        )
    return render(
        request,
        "pages/statistics.html",
        totals=totals,
        chart=chart,
        table_title=title,
        group_id=group_id,
        period=period,
        periods=[("year", _("Det senaste året")), ("all", _("Alla år"))],
        groups=await group_filter_options(services),
    )
