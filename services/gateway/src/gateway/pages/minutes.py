"""The minutes of a meeting: write, send for review, approve, publish, correct, and the versions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from gateway import flash, roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.forms import send_form
from gateway.i18n import _
from gateway.labels import MINUTES_STATUS
from gateway.navigation import ServiceId
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep, send, side_by_side

router = APIRouter(
    prefix="/meetings/{meeting_id}/minutes", dependencies=[Depends(csrf_protect)], tags=["pages"]
)
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
Manager = Annotated[SignedIn, requires(*roles.MANAGE_MEETINGS)]

# Lifecycle steps: the form's action, the service's path, and the flash message after it.
STEPS = {
    "submit": "minutes_submitted",
    "return": "minutes_returned",
    "approve": "minutes_approved",
    "publish": "minutes_published",
}


async def _page(
    request: Request,
    services: Services,
    user: SignedIn,
    meeting_id: ServiceId,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    meeting, minutes, versions = await side_by_side(
        services.get_json("meetings", f"/v1/meetings/{meeting_id}"),
        services.get_json("meetings", f"/v1/meetings/{meeting_id}/minutes"),
        services.get_json("meetings", f"/v1/meetings/{meeting_id}/minutes/versions"),
    )
    if meeting is None or minutes is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Protokollet finns inte"),
            message=_("Det finns inget protokoll för mötet än. Gå till mötet och börja skriva det."),
        )
    versions = versions or []
    if form is None:
        form = {
            "title": minutes["title"],
            "minute_taker": minutes["minute_taker"] or "",
            "sections": [*minutes["sections"], {"heading": "", "text": ""}],
            "decisions": "\n".join(d["text"] for d in minutes["decisions"]),
        }
    return render(
        request,
        "meetings/minutes.html",
        status_code=status_code,
        meeting=meeting,
        minutes=minutes,
        versions=versions,
        form=form,
        errors=errors or {},
        minutes_status=MINUTES_STATUS,
        can_manage=user.has_role(*roles.MANAGE_MEETINGS),
    )


def _again(
    request: Request,
    services: Services,
    user: SignedIn,
    meeting_id: ServiceId,
    form: dict[str, Any] | None = None,
) -> Callable[[dict[str, str]], Awaitable[Response]]:
    """The minutes page shown again with the errors of one of its forms."""

    async def again(errors: dict[str, str]) -> Response:
        return await _page(request, services, user, meeting_id, errors=errors, form=form, status_code=400)

    return again


@router.get("", response_class=HTMLResponse)
async def show_minutes(
    request: Request, meeting_id: ServiceId, user: Reader, services: ServicesDep
) -> Response:
    return await _page(request, services, user, meeting_id)


@router.post("/start")
async def start_minutes(meeting_id: ServiceId, _user: Manager, services: ServicesDep) -> Response:
    outcome = await send(services, "POST", f"/v1/meetings/{meeting_id}/minutes", {})
    redirect = RedirectResponse(f"/meetings/{meeting_id}/minutes", status_code=303)
    if outcome.ok:
        flash.flash(redirect, "minutes_started")
    return redirect


def sections_from(headings: list[str], texts: list[str]) -> list[dict[str, str]]:
    """The filled-in sections, in order; an empty heading with text gets a plain heading."""
    out = []
    for heading, text in zip(headings, texts, strict=False):
        if heading.strip() or text.strip():
            out.append({"heading": heading.strip() or _("Övrigt"), "text": text.strip()})
    return out


@router.post("/save", response_class=HTMLResponse)
async def save_minutes(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    minutes_id: Annotated[ServiceId, Form()],
    revision: Annotated[int, Form()],
    title: Annotated[str, Form()] = "",
    minute_taker: Annotated[str, Form()] = "",
    section_heading: Annotated[list[str] | None, Form()] = None,
    section_text: Annotated[list[str] | None, Form()] = None,
    decisions: Annotated[str, Form()] = "",
    reviewed: Annotated[str, Form()] = "",
) -> Response:
    sections = sections_from(section_heading or [], section_text or [])
    form = {
        "title": title,
        "minute_taker": minute_taker,
        "decisions": decisions,
        "sections": [*sections, {"heading": "", "text": ""}],
    }
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Skriv en rubrik för protokollet.")
    body = {
        "revision": revision,
        "title": title.strip(),
        "minute_taker": minute_taker.strip() or None,
        "sections": sections,
        "decisions": [{"text": line.strip()} for line in decisions.splitlines() if line.strip()],
        "reviewed": True if reviewed == "yes" else None,
    }
    return await send_form(
        services,
        "PUT",
        f"/v1/minutes/{minutes_id}",
        body,
        errors=errors,
        saved=f"/meetings/{meeting_id}/minutes",
        again=_again(request, services, user, meeting_id, form),
        refused_at="title",
    )


@router.post("/step", response_class=HTMLResponse)
async def change_status(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    minutes_id: Annotated[ServiceId, Form()],
    revision: Annotated[int, Form()],
    step: Annotated[str, Form()],
) -> Response:
    if step not in STEPS:
        return await _page(
            request, services, user, meeting_id, status_code=400, errors={"step": _("Det steget finns inte.")}
        )
    return await send_form(
        services,
        "POST",
        f"/v1/minutes/{minutes_id}/{step}",
        {"revision": revision},
        errors={},
        saved=f"/meetings/{meeting_id}/minutes",
        flash_key=STEPS[step],
        again=_again(request, services, user, meeting_id),
        refused_at="step",
    )


@router.post("/correct", response_class=HTMLResponse)
async def correct_minutes(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    minutes_id: Annotated[ServiceId, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    if len(note.strip()) < 3:
        errors["note"] = _("Skriv vad rättelsen ändrar, så att läsarna förstår.")
    return await send_form(
        services,
        "POST",
        f"/v1/minutes/{minutes_id}/corrections",
        {"note": note.strip()},
        errors=errors,
        saved=f"/meetings/{meeting_id}/minutes",
        flash_key="correction_started",
        again=_again(request, services, user, meeting_id),
        refused_at="note",
    )
