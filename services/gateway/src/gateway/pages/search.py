"""Search across all published minutes, with the hits highlighted."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import requires
from gateway.forms import DATE_HINT, parse_date
from gateway.highlights import safe_snippet
from gateway.i18n import _
from gateway.rendering import render, render_kept
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep

router = APIRouter(prefix="/search", tags=["pages"])
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
PAGE_SIZE = 20


@router.get("", response_class=HTMLResponse)
async def search(
    request: Request,
    _user: Reader,
    services: ServicesDep,
    q: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    errors: dict[str, str] = {}
    params: dict[str, Any] = {"q": q.strip(), "limit": PAGE_SIZE, "offset": offset}
    filters = {k: v for k, v in (("q", q.strip()), ("from", start), ("to", end)) if v}
    for name, value in (("from", start), ("to", end)):
        if value:
            parsed = parse_date(value)
            if parsed is None:
                errors[name] = _(DATE_HINT)
            else:
                params[name] = datetime.combine(parsed, time(0), request.app.state.settings.zone).isoformat()
    def context(page: dict[str, Any] | None) -> dict[str, Any]:
        for hit in (page or {}).get("items", []):
            hit["snippet_safe"] = safe_snippet(hit.get("snippet_html", ""))
        values = {"from": start, "to": end}
        return {"q": q, "page": page, "errors": errors, "filters": filters, "values": values}

    if not q.strip() or errors:
        return render(request, "meetings/search.html", **context(None))
    answer = await services.get("meetings", "/v1/search", params=params)
    # The same search again, while its ETag holds: the page rendered from it last time.
    return render_kept(request, "meetings/search.html", [answer], lambda: context(answer.data()))
