"""Plain-language reviews for coordinators: submit a text for reviewers of a pool, see each reviewer's
comments and suggestion with its LIX beside the original's, accept or reject with a reason. The stored
LIX values and every rule are the volunteers service's; the form only previews the original's LIX."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from backbone.readability import lix
from gateway.csrf import csrf_protect
from gateway.forms import DATE_HINT, parse_date, send_form
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.pages.volunteers import SERVICE, Coordinator, act, empty_page, not_found, show
from gateway.upstream import Services, ServicesDep, side_by_side

router = APIRouter(prefix="/volunteers/reviews", dependencies=[Depends(csrf_protect)], tags=["pages"])
PAGE_SIZE = 50
KINDS = {"letter_template": N_("Brevmall"), "brochure": N_("Broschyr"), "web_page": N_("Webbsida")}
STATUS = {
    "open": N_("Väntar på granskare"),
    "returned": N_("Granskad"),
    "accepted": N_("Godtagen"),
    "rejected": N_("Inte godtagen"),
}
STATUS_FILTER = {"": N_("Alla"), **STATUS}
REVIEWER_STATUS = {"assigned": N_("Har inte svarat än"), "returned": N_("Har svarat")}


@router.get("", response_class=HTMLResponse)
async def reviews(
    request: Request,
    _user: Coordinator,
    services: ServicesDep,
    status: Annotated[str, Query(pattern="^(|open|returned|accepted|rejected)$")] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    filters = {"status": status} if status else {}
    page = await services.get_json(
        SERVICE, "/v1/reviews", params={"limit": PAGE_SIZE, "offset": offset, **filters}
    )
    return show(
        request,
        "volunteers/reviews.html",
        page=page or empty_page(),
        filters={"status": status},
        status_options=translated(STATUS_FILTER),
        statuses=STATUS,
        kinds=KINDS,
    )


class ReviewForm(BaseModel):
    pool_id: str = ""
    kind: str = "letter_template"
    title: str = ""
    text: str = ""
    deadline: str = ""
    reviewer_ids: list[str] = []


async def _form_page(
    request: Request,
    services: Services,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    pools = await services.get_json(SERVICE, "/v1/pools", params={"limit": 200})
    reviewers: list[tuple[str, str]] = []
    if values["pool_id"]:
        people = await services.get_json(
            SERVICE, "/v1/volunteers", params={"pool_id": values["pool_id"], "limit": 200}
        )
        reviewers = [
            (p["id"], p["name"])
            for p in (people or {}).get("items", [])
            if any(m["pool_id"] == values["pool_id"] and m["status"] == "active" for m in p["memberships"])
        ]
    text = values["text"]
    return show(
        request,
        "volunteers/review_form.html",
        status_code=status_code,
        values=values,
        errors=errors,
        pool_options=[("", _("Välj en pool"))]
        + [(p["id"], p["name"]) for p in (pools or {}).get("items", [])],
        kind_options=translated(KINDS),
        reviewers=reviewers,
        preview_lix=lix(text) if text.strip() else None,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_review(
    request: Request, _user: Coordinator, services: ServicesDep, pool_id: ServiceId | None = None
) -> Response:
    values = ReviewForm(pool_id=pool_id or "").model_dump()
    return await _form_page(request, services, values, {})


@router.post("", response_class=HTMLResponse)
async def submit_review(
    request: Request, _user: Coordinator, services: ServicesDep, form: Annotated[ReviewForm, Form()]
) -> Response:
    values = form.model_dump()
    errors: dict[str, str] = {}
    if not form.pool_id:
        errors["pool_id"] = _("Välj en pool.")
    deadline = parse_date(form.deadline)
    if deadline is None:
        errors["deadline"] = _(DATE_HINT)
    if form.kind not in KINDS:
        errors["kind"] = _("Välj ett av alternativen.")
    # The text's length, an empty text and the reviewers' membership are the service's rules.
    body = {
        "pool_id": form.pool_id,
        "kind": form.kind,
        "title": form.title.strip(),
        "text": form.text,
        "deadline": deadline.isoformat() if deadline else "",
        "reviewer_ids": form.reviewer_ids,
    }

    async def again(errors: dict[str, str]) -> Response:
        return await _form_page(request, services, values, errors, status_code=400)

    return await send_form(
        services,
        "POST",
        "/v1/reviews",
        body,
        errors=errors,
        saved=lambda review: f"/volunteers/reviews/{review['id']}",
        again=again,
        refused_at="text",
        service=SERVICE,
    )


@router.get("/{review_id}", response_class=HTMLResponse)
async def review(
    request: Request, review_id: ServiceId, _user: Coordinator, services: ServicesDep
) -> Response:
    found, pools = await side_by_side(
        services.get_json(SERVICE, f"/v1/reviews/{review_id}"),
        services.get_json(SERVICE, "/v1/pools", params={"limit": 200}),
    )
    if found is None:
        return not_found(request, _("Granskningen finns inte"))
    pool_names = {p["id"]: p["name"] for p in (pools or {}).get("items", [])}
    returned = [r for r in found["reviewers"] if r["status"] == "returned"]
    return show(
        request,
        "volunteers/review.html",
        found=found,
        pool_name=pool_names.get(found["pool_id"], ""),
        returned=returned,
        returned_options=[(r["volunteer_id"], r["volunteer_name"]) for r in returned],
        kinds=KINDS,
        statuses=STATUS,
        reviewer_statuses=REVIEWER_STATUS,
    )


class DecisionForm(BaseModel):
    accept: str = ""
    reason: str = ""
    reviewer_id: str = ""


@router.post("/{review_id}/decision", response_class=HTMLResponse)
async def decide(
    request: Request,
    review_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[DecisionForm, Form()],
) -> Response:
    # A missing reason or a missing choice of suggestion: the service says what is needed.
    body: dict[str, Any] = {"accept": form.accept == "yes", "reason": form.reason.strip()}
    if form.reviewer_id:
        body["reviewer_id"] = form.reviewer_id
    return await act(
        services, request, f"/v1/reviews/{review_id}/decision", body, f"/volunteers/reviews/{review_id}"
    )
