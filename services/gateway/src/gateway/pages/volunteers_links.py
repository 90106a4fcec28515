"""The volunteer's own pages, from the signed links in their messages (no account): answer an offer,
cancel an assignment, report hours, return a text review, see and withdraw their consents. A GET only
shows what the link is for and a button (mail scanners follow links); the POST from the button acts.
The token decides everything, in the volunteers service; an expired, reused or broken link gets a page
that says so in plain words."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from gateway import throttle, upstream
from gateway.auth import client_ip
from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.rendering import render
from gateway.upstream import Answer

SERVICE = "volunteers"
public_router = APIRouter(prefix="/volontar", dependencies=[Depends(csrf_protect)], tags=["pages"])
# Answers are counted per address and day with the public registrations' budgets (throttle.py): a few
# tries per link (by its digest: the token itself is never stored), and a day's total per address
# shared with event registrations. A person answers a few links a day; a robot hundreds.
THROTTLE_PREFIX = "volontar:"
# A token is a signed JWT of a few hundred characters; anything far longer is not one of ours.
MAX_TOKEN = 2000
BROKEN = N_(
    "Länken är trasig eller ofullständig. Kopiera hela länken från meddelandet, "
    "eller kontakta samordnaren för poolen om det inte hjälper."
)
TOO_MANY = N_(
    "Det har kommit många svar från din uppkoppling i dag. Försök igen i morgon, "
    "eller kontakta samordnaren för poolen."
)
REVIEW_KINDS = {"letter_template": N_("Brevmall"), "brochure": N_("Broschyr"), "web_page": N_("Webbsida")}


async def visitor_call(request: Request, method: str, path: str, *, json: Any = None) -> Answer:
    """The volunteers service as the one visitor identity; never kept, since each answer is one person's."""
    return await upstream.visitor_call(request, SERVICE, method, path, json=json)


def _detail(answer: Answer) -> str:
    """The service's own sentence for a refused link (it says what happened and what to do)."""
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail.strip():
        return " ".join(detail.split())[:400]
    return _(BROKEN)


def _link_problem(request: Request, heading: str, message: str, status_code: int) -> Response:
    return render(
        request, "volunteers/link_problem.html", status_code=status_code, heading=heading, message=message
    )


def _token_ok(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN and re.fullmatch(r"[A-Za-z0-9_.=-]+", token) is not None


async def _may_answer(request: Request, token: str) -> bool:
    today = datetime.now(request.app.state.settings.zone).date()
    key = THROTTLE_PREFIX + hashlib.sha256(token.encode()).hexdigest()[:32]
    async with request.app.state.runtime.pool.acquire() as conn:
        return await throttle.registration_attempt(conn, ip=client_ip(request), event_id=key, today=today)


async def _look_up(request: Request, path: str, token: str, heading: str) -> tuple[Any, Response | None]:
    """What the link is for (a GET on the service, which changes nothing), or the page that says why not."""
    if not _token_ok(token):
        return None, _link_problem(request, heading, _(BROKEN), 400)
    answer = await visitor_call(request, "GET", f"{path}?token={token}")
    if answer.status_code >= 400:
        return None, _link_problem(request, heading, _detail(answer), answer.status_code)
    return answer.json(), None


def _kind(answer: Answer) -> str:
    try:
        return str(answer.json().get("error", ""))
    except (ValueError, AttributeError):
        return ""


async def _answer(
    request: Request,
    path: str,
    body: dict[str, Any],
    heading: str,
    again: Callable[[str], Awaitable[Response]] | None = None,
) -> tuple[Any, Response | None]:
    """The button's POST to the service, or the page that says why it did not go through: the form
    `again` with the service's reason when only what was written must change (the link still works)."""
    if not _token_ok(str(body.get("token", ""))):
        return None, _link_problem(request, heading, _(BROKEN), 400)
    if not await _may_answer(request, str(body["token"])):
        refused = _link_problem(request, heading, _(TOO_MANY), 429)
        refused.headers["Retry-After"] = "3600"
        return None, refused
    answer = await visitor_call(request, "POST", path, json=body)
    if again is not None and answer.status_code == 422:
        # The service's field messages are for developers (English); the person is told plainly.
        return None, await again(_("Något i formuläret gick inte att läsa. Kontrollera det du skrev."))
    if again is not None and _kind(answer) == "RuleError":
        return None, await again(_detail(answer))
    if answer.status_code >= 400:
        return None, _link_problem(request, heading, _detail(answer), answer.status_code)
    return answer.json(), None


class LinkForm(BaseModel):
    token: str = ""


# --- Offers --------------------------------------------------------------------------------------------

OFFER_HEADINGS = {"accept": N_("Tacka ja till uppdraget"), "decline": N_("Tacka nej till uppdraget")}
OFFER_BUTTONS = {
    "accept": N_("Ja, jag tar uppdraget"),
    "decline": N_("Nej tack, jag kan inte den här gången"),
}
OFFER_PATHS = {"accept": "/volontar/erbjudande/ja", "decline": "/volontar/erbjudande/nej"}


async def _offer_page(request: Request, token: str, action: str) -> Response:
    seen, problem = await _look_up(request, "/v1/links/offer", token, _(OFFER_HEADINGS[action]))
    if problem is not None:
        return problem
    # The token says what it is for; a link copied into the other page still does what it was made for.
    action = seen["action"] if seen["action"] in OFFER_PATHS else action
    return render(
        request,
        "volunteers/offer.html",
        heading=_(OFFER_HEADINGS[action]),
        seen=seen,
        token=token,
        action=action,
        button=_(OFFER_BUTTONS[action]),
        page_path=OFFER_PATHS[action],
        now=datetime.now(UTC),
    )


async def _offer_answer(request: Request, token: str, action: str) -> Response:
    heading = _(OFFER_HEADINGS[action])
    done, problem = await _answer(request, "/v1/links/offer", {"token": token}, heading)
    if problem is not None:
        return problem
    return render(request, "volunteers/link_done.html", heading=heading, message=done["message"])


@public_router.get("/erbjudande/ja", response_class=HTMLResponse)
async def accept_link(request: Request, token: str = "") -> Response:
    return await _offer_page(request, token, "accept")


@public_router.post("/erbjudande/ja", response_class=HTMLResponse)
async def accept_by_link(request: Request, form: Annotated[LinkForm, Form()]) -> Response:
    return await _offer_answer(request, form.token, "accept")


@public_router.get("/erbjudande/nej", response_class=HTMLResponse)
async def decline_link(request: Request, token: str = "") -> Response:
    return await _offer_page(request, token, "decline")


@public_router.post("/erbjudande/nej", response_class=HTMLResponse)
async def decline_by_link(request: Request, form: Annotated[LinkForm, Form()]) -> Response:
    return await _offer_answer(request, form.token, "decline")


# --- Cancelling an assignment --------------------------------------------------------------------------

CANCEL_HEADING = N_("Lämna återbud")


@public_router.get("/uppdrag/avboka", response_class=HTMLResponse)
async def cancel_link(request: Request, token: str = "") -> Response:
    seen, problem = await _look_up(request, "/v1/links/assignment", token, _(CANCEL_HEADING))
    if problem is not None:
        return problem
    return render(request, "volunteers/cancel.html", heading=_(CANCEL_HEADING), seen=seen, token=token)


class CancelForm(BaseModel):
    token: str = ""
    reason: str = ""


@public_router.post("/uppdrag/avboka", response_class=HTMLResponse)
async def cancel_by_link(request: Request, form: Annotated[CancelForm, Form()]) -> Response:
    body = {"token": form.token, "reason": form.reason.strip()[:500] or None}
    done, problem = await _answer(request, "/v1/links/assignment/cancel", body, _(CANCEL_HEADING))
    if problem is not None:
        return problem
    return render(request, "volunteers/link_done.html", heading=_(CANCEL_HEADING), message=done["message"])


# --- Hours ---------------------------------------------------------------------------------------------

HOURS_HEADING = N_("Rapportera dina timmar")


def minutes_of(hours: str, minutes: str) -> int | None:
    """Whole hours and minutes as the person wrote them, in minutes; None when they cannot be read.
    How many minutes are allowed is the service's rule."""
    hours, minutes = hours.strip() or "0", minutes.strip() or "0"
    if re.fullmatch(r"[0-9]{1,2}", hours) is None or re.fullmatch(r"[0-9]{1,3}", minutes) is None:
        return None
    return int(hours) * 60 + int(minutes)


async def _hours_page(
    request: Request, token: str, values: dict[str, str], error: str | None = None
) -> Response:
    seen, problem = await _look_up(request, "/v1/links/hours", token, _(HOURS_HEADING))
    if problem is not None:
        return problem
    return render(
        request,
        "volunteers/hours_link.html",
        status_code=400 if error else 200,
        heading=_(HOURS_HEADING),
        seen=seen,
        token=token,
        values=values,
        errors={"hours": error} if error else {},
    )


@public_router.get("/timmar", response_class=HTMLResponse)
async def hours_link(request: Request, token: str = "") -> Response:
    return await _hours_page(request, token, {"hours": "", "minutes": "", "note": ""})


class HoursForm(BaseModel):
    token: str = ""
    hours: str = ""
    minutes: str = ""
    note: str = ""


@public_router.post("/timmar", response_class=HTMLResponse)
async def hours_by_link(request: Request, form: Annotated[HoursForm, Form()]) -> Response:
    values = {"hours": form.hours, "minutes": form.minutes, "note": form.note}
    minutes = minutes_of(form.hours, form.minutes)
    if minutes is None:
        return await _hours_page(
            request, form.token, values, _("Skriv timmar och minuter med siffror, till exempel 2 och 30.")
        )
    body = {"token": form.token, "minutes": minutes, "note": form.note.strip()[:1000]}

    async def again(reason: str) -> Response:
        return await _hours_page(request, form.token, values, reason)

    done, problem = await _answer(request, "/v1/links/hours", body, _(HOURS_HEADING), again)
    if problem is not None:
        return problem
    return render(request, "volunteers/link_done.html", heading=_(HOURS_HEADING), message=done["detail"])


# --- Reviews -------------------------------------------------------------------------------------------

REVIEW_HEADING = N_("Granska en text")


async def _review_page(
    request: Request, token: str, values: dict[str, str] | None = None, error: str | None = None
) -> Response:
    seen, problem = await _look_up(request, "/v1/links/review", token, _(REVIEW_HEADING))
    if problem is not None:
        return problem
    return render(
        request,
        "volunteers/review_link.html",
        status_code=400 if error else 200,
        heading=_(REVIEW_HEADING),
        seen=seen,
        kinds=REVIEW_KINDS,
        token=token,
        values=values or {"comments": "", "suggested_text": seen.get("text", ""), "hours": "", "minutes": ""},
        errors={"hours": error} if error else {},
    )


@public_router.get("/granskning", response_class=HTMLResponse)
async def review_link(request: Request, token: str = "") -> Response:
    return await _review_page(request, token)


class ReviewForm(BaseModel):
    token: str = ""
    comments: str = ""
    suggested_text: str = ""
    hours: str = ""
    minutes: str = ""


@public_router.post("/granskning", response_class=HTMLResponse)
async def review_by_link(request: Request, form: Annotated[ReviewForm, Form()]) -> Response:
    values = form.model_dump(exclude={"token"})
    minutes = minutes_of(form.hours, form.minutes)
    if minutes is None:
        return await _review_page(
            request, form.token, values, _("Skriv timmar och minuter med siffror, till exempel 1 och 30.")
        )
    body: dict[str, Any] = {
        "token": form.token,
        "comments": form.comments.strip(),
        "suggested_text": form.suggested_text.strip(),
    }
    if minutes:
        body["minutes"] = minutes

    async def again(reason: str) -> Response:
        return await _review_page(request, form.token, values, reason)

    done, problem = await _answer(request, "/v1/links/review", body, _(REVIEW_HEADING), again)
    if problem is not None:
        return problem
    return render(request, "volunteers/review_done.html", heading=_(REVIEW_HEADING), done=done)


# --- Consents ------------------------------------------------------------------------------------------

CONSENTS_HEADING = N_("Dina samtycken")
# The purpose whose withdrawal also takes back the offers waiting for an answer (the service's
# OFFERS_PURPOSE).
OFFERS_PURPOSE = "erbjudanden"
CONSENT_HOWS = {
    "form": N_("på en blankett"),
    "paper": N_("på papper"),
    "email": N_("i ett mejl"),
    "phone": N_("i telefon"),
    "link": N_("via en länk"),
}


@public_router.get("/samtycken", response_class=HTMLResponse)
async def consents_link(request: Request, token: str = "") -> Response:
    seen, problem = await _look_up(request, "/v1/links/consents", token, _(CONSENTS_HEADING))
    if problem is not None:
        return problem
    return render(
        request,
        "volunteers/consents.html",
        heading=_(CONSENTS_HEADING),
        seen=seen,
        token=token,
        hows={key: _(text) for key, text in CONSENT_HOWS.items()},
        offers_purpose=OFFERS_PURPOSE,
    )


class ConsentForm(BaseModel):
    token: str = ""
    purpose: str = ""


@public_router.post("/samtycken", response_class=HTMLResponse)
async def withdraw_consent_by_link(request: Request, form: Annotated[ConsentForm, Form()]) -> Response:
    body = {"token": form.token, "purpose": form.purpose.strip()[:200]}
    done, problem = await _answer(request, "/v1/links/consents", body, _(CONSENTS_HEADING))
    if problem is not None:
        return problem
    return render(request, "volunteers/link_done.html", heading=_(CONSENTS_HEADING), message=done["detail"])
