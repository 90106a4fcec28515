"""Hours and fees for coordinators: hours to approve or reject with a reason, the monthly fee report
(per person, totals per pool, a CSV for payroll) and a chart of hours per pool per month with the
numbers as a table. The sums and the fee periods are the volunteers service's."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.pages.volunteers import SERVICE, Coordinator, act, empty_page, show
from gateway.pages.volunteers_chart import hours_chart
from gateway.rendering import problem
from gateway.upstream import ServicesDep, ServiceUnavailable, side_by_side

router = APIRouter(prefix="/volunteers", dependencies=[Depends(csrf_protect)], tags=["pages"])
PAGE_SIZE = 50
CHART_MONTHS = 12
HOURS_STATUS = {
    "proposed": N_("Väntar på godkännande"),
    "approved": N_("Godkända"),
    "rejected": N_("Inte godkända"),
}
PROPOSED_BY = {"staff": N_("Personal"), "volunteer": N_("Volontären")}
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


@router.get("/hours", response_class=HTMLResponse)
async def hours(
    request: Request,
    _user: Coordinator,
    services: ServicesDep,
    status: Annotated[str, Query(pattern="^(proposed|approved|rejected)$")] = "proposed",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    page = await services.get_json(
        SERVICE, "/v1/hours", params={"status": status, "limit": PAGE_SIZE, "offset": offset}
    )
    return show(
        request,
        "volunteers/hours.html",
        page=page or empty_page(),
        filters={"status": status},
        status_options=translated(HOURS_STATUS),
        statuses=HOURS_STATUS,
        proposed_by=PROPOSED_BY,
    )


class ApproveForm(BaseModel):
    version: str = ""


class RejectForm(BaseModel):
    version: str = ""
    reason: str = ""


def _version(text: str) -> dict[str, int]:
    return {"version": int(text)} if re.fullmatch(r"[0-9]{1,9}", text) else {}


@router.post("/hours/{hours_id}/approve", response_class=HTMLResponse)
async def approve(
    request: Request,
    hours_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[ApproveForm, Form()],
) -> Response:
    return await act(
        services, request, f"/v1/hours/{hours_id}/approve", _version(form.version), "/volunteers/hours"
    )


@router.post("/hours/{hours_id}/reject", response_class=HTMLResponse)
async def reject(
    request: Request,
    hours_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[RejectForm, Form()],
) -> Response:
    # An empty reason is sent as it is: the service says why it needs one.
    body = {"reason": form.reason.strip(), **_version(form.version)}
    return await act(services, request, f"/v1/hours/{hours_id}/reject", body, "/volunteers/hours")


def _this_month() -> str:
    return date.today().strftime("%Y-%m")


def _months_back(month: str, count: int) -> str:
    """The month `count - 1` months before `month` (the chart's first), as YYYY-MM."""
    year, number = int(month[:4]), int(month[5:])
    index = year * 12 + (number - 1) - (count - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@router.get("/fees", response_class=HTMLResponse)
async def fee_report(
    request: Request,
    _user: Coordinator,
    services: ServicesDep,
    month: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    month = month.strip() or _this_month()
    if not MONTH.match(month):
        return problem(
            request,
            400,
            _("Månaden går inte att läsa"),
            _("Skriv månaden som år-månad, till exempel 2027-03."),
        )
    report, chart = await side_by_side(
        services.get_json(SERVICE, "/v1/reports/fees", params={"month": month}),
        services.get_json(
            SERVICE,
            "/v1/reports/hours-chart",
            params={"from": _months_back(month, CHART_MONTHS), "months": CHART_MONTHS},
        ),
    )
    drawn: Any = None
    if chart and chart.get("series"):
        drawn = hours_chart(
            chart["months"],
            chart["series"],
            title=_("Timmar per pool och månad"),
            description=_(
                "Timmar per pool för de %(count)s månaderna till och med %(month)s. "
                "Siffrorna finns i tabellen under."
            )
            % {"count": CHART_MONTHS, "month": month},
        )
    return show(
        request,
        "volunteers/fees.html",
        month=month,
        report=report,
        chart=chart,
        drawn=drawn,
    )


@router.get("/fees.csv")
async def fee_report_file(
    request: Request,
    _user: Coordinator,
    services: ServicesDep,
    month: Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")],
) -> Response:
    """The service's CSV as it made it (semicolons, decimal commas, a BOM for spreadsheet programs)."""
    answer = await services.call(SERVICE, "GET", "/v1/reports/fees.csv", params={"month": month})
    if answer.status_code >= 500:
        raise ServiceUnavailable(SERVICE)
    if answer.status_code >= 400:
        return problem(request, answer.status_code, _("Det gick inte"), _("Rapporten kunde inte hämtas."))
    return Response(
        content=answer.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="arvoden-{month}.csv"',
            # Personal data (names and amounts): kept by no cache.
            "Cache-Control": "no-store",
        },
    )
