"""Registers across meetings: every decision, and the action items with their owners."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import requires
from gateway.choices import group_filter_options
from gateway.labels import ACTION_STATUS, translated
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep

router = APIRouter(tags=["pages"])
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
PAGE_SIZE = 25


@router.get("/decisions", response_class=HTMLResponse)
async def decisions(
    request: Request,
    _user: Reader,
    services: ServicesDep,
    text: str = "",
    group_id: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    filters = {k: v for k, v in (("text", text.strip()), ("group_id", group_id)) if v}
    params: dict[str, Any] = {**filters, "limit": PAGE_SIZE, "offset": offset}
    page = await services.get_json("meetings", "/v1/decisions", params=params)
    return render(
        request,
        "meetings/decisions.html",
        page=page or {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0},
        filters=filters,
        text=text,
        group_id=group_id,
        groups=await group_filter_options(services),
    )


@router.get("/action-items", response_class=HTMLResponse)
async def action_items(
    request: Request,
    _user: Reader,
    services: ServicesDep,
    status: str = "open",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    status = status if status in ACTION_STATUS else "open"
    params = {"status": status, "limit": PAGE_SIZE, "offset": offset}
    page = await services.get_json("meetings", "/v1/action-items", params=params)
    return render(
        request,
        "meetings/action_items.html",
        page=page or {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0},
        filters={"status": status},
        status=status,
        status_options=translated(ACTION_STATUS),
        action_status=ACTION_STATUS,
    )
