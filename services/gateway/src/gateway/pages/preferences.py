"""The public email preferences page and one-click unsubscribe: no account, only the signed link
from an email (notify signs and checks it). Following a link changes nothing; a form does.

The unsubscribe address takes a POST without a CSRF token: RFC 8058's one-click POST comes from the
mail provider, with no cookie of ours. The signed link is what allows it, and doing it twice is
doing it once, so a forged POST could only do what the link's owner asked for anyway.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.rendering import render
from gateway.upstream import Answer, Outcome, visitor_call

SERVICE = "notify"
PAGE_PATH = "/installningar/e-post"
UNSUBSCRIBE_PATH = "/installningar/e-post/avregistrera"

router = APIRouter(prefix=PAGE_PATH, dependencies=[Depends(csrf_protect)], tags=["pages"])
# No CSRF check here, on purpose (see the module's docstring).
one_click_router = APIRouter(prefix=PAGE_PATH, tags=["pages"])

CHOICES = {
    "immediately": N_("Direkt, ett mejl för varje meddelande"),
    "daily": N_("En gång om dagen, samlat i ett mejl"),
    "weekly": N_("En gång i veckan, samlat i ett mejl"),
    "off": N_("Inga mejl"),
}
# The page's own names for notify's categories, so they can be shown in English too.
CATEGORIES = {
    "meetings": N_("Kallelser till möten"),
    "minutes": N_("Protokoll från möten"),
    "action_items": N_("Uppgifter som du ska göra"),
    "registrations": N_("Dina anmälningar till evenemang"),
    "reminders": N_("Påminnelser om evenemang"),
    "volunteering": N_("Uppdrag som volontär"),
    "other": N_("Övriga meddelanden"),
}
WEEKDAYS = {
    1: N_("måndag"),
    2: N_("tisdag"),
    3: N_("onsdag"),
    4: N_("torsdag"),
    5: N_("fredag"),
    6: N_("lördag"),
    7: N_("söndag"),
}


async def notify_as_visitor(request: Request, method: str, path: str, *, json: Any = None) -> Answer:
    return await visitor_call(request, SERVICE, method, path, json=json)


def category_label(category: dict[str, Any]) -> str:
    known = CATEGORIES.get(category["category"])
    return _(known) if known else str(category["label"])


def _problem(request: Request, outcome: Outcome, heading: str) -> Response:
    return render(
        request,
        "notify/link_problem.html",
        status_code=outcome.status_code,
        heading=heading,
        problem=outcome.message,
    )


def _preferences_page(
    request: Request,
    token: str,
    prefs: dict[str, Any],
    *,
    saved: bool = False,
    stale: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "notify/preferences.html",
        status_code=status_code,
        token=token,
        prefs=prefs,
        saved=saved,
        stale=stale,
        choices=CHOICES,
        weekdays=WEEKDAYS,
        label_of=category_label,
        page_path=PAGE_PATH,
    )


@router.get("", response_class=HTMLResponse)
async def show_preferences(request: Request, token: Annotated[str, Query(max_length=4000)] = "") -> Response:
    outcome = Outcome(
        await notify_as_visitor(request, "POST", "/v1/public/preferences/look-up", json={"token": token})
    )
    if not outcome.ok:
        return _problem(request, outcome, _("Dina val för e-post"))
    return _preferences_page(request, token, outcome.data)


@router.post("", response_class=HTMLResponse)
async def save_preferences(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token", ""))
    choices = {
        str(name).removeprefix("choice-"): str(value)
        for name, value in form.items()
        if str(name).startswith("choice-") and str(value) in CHOICES
    }
    body = {
        "token": token,
        "choices": choices,
        "digest_hour": _number(form.get("digest_hour"), 8, 0, 23),
        "digest_weekday": _number(form.get("digest_weekday"), 1, 1, 7),
        # The version the form was shown at: notify refuses it (409) after a later change, such as
        # a one-click unsubscribe, rather than write these older choices over it.
        "version": _number(form.get("version"), 0, 0, 2**31 - 1),
    }
    answer = await notify_as_visitor(request, "PUT", "/v1/public/preferences", json=body)
    outcome = Outcome(answer)
    if outcome.status_code == 409 and _error_of(answer) == "stale_version":
        fresh = Outcome(
            await notify_as_visitor(request, "POST", "/v1/public/preferences/look-up", json={"token": token})
        )
        if fresh.ok:
            return _preferences_page(request, token, fresh.data, stale=outcome.message, status_code=409)
    if not outcome.ok:
        return _problem(request, outcome, _("Dina val för e-post"))
    return _preferences_page(request, token, outcome.data, saved=True)


def _error_of(answer: Answer) -> str | None:
    try:
        kind = answer.json().get("error")
    except (ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def _number(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return default
    return number if low <= number <= high else default


@router.get("/avregistrera", response_class=HTMLResponse)
async def unsubscribe_link(request: Request, token: Annotated[str, Query(max_length=4000)] = "") -> Response:
    """What the link does, and a button: a mail scanner that follows links unsubscribes nobody."""
    return render(request, "notify/unsubscribe.html", token=token, done=None, action=UNSUBSCRIBE_PATH)


@one_click_router.post("/avregistrera", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: Annotated[str, Query(max_length=4000)] = "") -> Response:
    """RFC 8058's one-click POST (body `List-Unsubscribe=One-Click`), or the button on the page above."""
    outcome = Outcome(
        await notify_as_visitor(request, "POST", "/v1/public/unsubscribe", json={"token": token})
    )
    if not outcome.ok:
        return _problem(request, outcome, _("Sluta få mejl"))
    done = {**outcome.data, "label": category_label(outcome.data)}
    return render(request, "notify/unsubscribe.html", token=token, done=done, action=UNSUBSCRIBE_PATH)
