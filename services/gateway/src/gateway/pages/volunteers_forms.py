"""Staff forms of the volunteers pages: create and edit a pool (requirements, hourly fee, coordinator),
create and edit a volunteer (profile, pools, weekly availability and exceptions, trainings and
certificates), and record a training for several members of a pool at once.

The page turns what people typed into the service's body (dates, times, numbers, lists) and nothing
more: every rule, and who may change what (a coordinator only their pools and their people), is the
volunteers service's, and its reason is shown beside the field it names."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel
from starlette.datastructures import FormData

from gateway import flash
from gateway.csrf import csrf_protect
from gateway.forms import DATE_HINT, TIME_HINT, ShownAt, field_errors, parse_date, send_form
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.pages.volunteers import (
    CHANNELS,
    MEMBERSHIP,
    POOL_STATUS,
    REQUIREMENT_KINDS,
    SERVICE,
    WEEKDAYS,
    Coordinator,
    Manager,
    not_found,
    show,
)
from gateway.rendering import problem
from gateway.upstream import Outcome, Services, ServicesDep, send, side_by_side

router = APIRouter(prefix="/volunteers", dependencies=[Depends(csrf_protect)], tags=["pages"])

# Blank requirement rows on a new pool's form, and blank weekly rows under the ones a person has.
NEW_REQUIREMENT_ROWS = 3
BLANK_SLOTS = 2
NUMBER_HINT = N_("Skriv ett heltal, till exempel 4.")
FEE_HINT = N_("Skriv kronor per timme, till exempel 150 eller 162,50.")
PROFILE_STATUS = {"active": N_("Aktiv"), "paused": N_("Gör uppehåll")}
NOT_MEMBER = N_("Inte med")
WEEKDAY_HINT = N_("Välj en dag i listan.")
TIME_CHECK = N_("Kontrollera tiderna.")
AVAILABLE = {"0": N_("Kan inte"), "1": N_("Kan, fast det är utanför veckotiderna")}

POOL_FIELDS: dict[str, ShownAt] = {
    "key": ShownAt("key", N_("Kontrollera kortnamnet: små bokstäver, siffror och bindestreck.")),
    "name": ShownAt("name", N_("Skriv poolens namn på en rad.")),
    "description": ShownAt("description", N_("Kontrollera beskrivningen.")),
    "coordinator_name": ShownAt("coordinator_name", N_("Kontrollera samordnarens namn.")),
    "monthly_cap": ShownAt("monthly_cap", N_("Kontrollera antalet uppdrag per månad.")),
    "offer_hours": ShownAt("offer_hours", N_("Kontrollera tiden att svara.")),
}
REQUIREMENT_FIELDS = {
    "key": ShownAt("req_label", N_("Kontrollera kravet.")),
    "label": ShownAt("req_label", N_("Kontrollera kravet.")),
}
FEE_FIELDS = {
    "hourly_fee": ShownAt("hourly_fee", FEE_HINT),
    "valid_from": ShownAt("fee_from", N_("Kontrollera datumet.")),
    "valid_until": ShownAt("fee_until", N_("Kontrollera datumet.")),
}
PROFILE_FIELDS: dict[str, ShownAt] = {
    "name": ShownAt("name", N_("Skriv personens namn på en rad.")),
    "email": ShownAt("email", N_("Kontrollera e-postadressen.")),
    "phone": ShownAt("phone", N_("Skriv telefonnumret med siffror, till exempel 070-123 45 67.")),
    "language": ShownAt("language", N_("Skriv en språkkod, till exempel sv.")),
    "does_not_want": ShownAt("does_not_want", N_("Kontrollera texten.")),
    **{
        f"languages.{i}": ShownAt("languages", N_("Skriv språkkoder, till exempel sv, ar."))
        for i in range(20)
    },
    **{f"areas.{i}": ShownAt("areas", N_("Kontrollera stadsdelarna.")) for i in range(50)},
    **{f"client_units.{i}": ShownAt("client_units", N_("Kontrollera enheterna.")) for i in range(50)},
}
QUALIFICATION_FIELDS = {
    "key": ShownAt("q_key", N_("Välj vad personen har gjort.")),
    "completed_on": ShownAt("q_completed", N_("Kontrollera datumet.")),
    "expires_on": ShownAt("q_expires", N_("Kontrollera datumet.")),
    "note": ShownAt("q_note", N_("Kontrollera anteckningen.")),
}
TRAINING_FIELDS = {
    "key": ShownAt("key", N_("Välj vad det gäller.")),
    "completed_on": ShownAt("completed_on", N_("Kontrollera datumet.")),
    "expires_on": ShownAt("expires_on", N_("Kontrollera datumet.")),
    "note": ShownAt("note", N_("Kontrollera anteckningen.")),
    **{f"volunteer_ids.{i}": ShownAt("volunteer_ids", N_("Kryssa i vilka som var med.")) for i in range(200)},
}
EXCEPTION_FIELDS = {
    "note": ShownAt("x_note", N_("Skriv anteckningen på en rad, högst 200 tecken.")),
    "starts_at": ShownAt("x_from", N_("Kontrollera datumet.")),
    "ends_at": ShownAt("x_to", N_("Kontrollera datumet.")),
}

_NOT_KEY = re.compile(r"[^a-z0-9]+")


def key_of(text: str) -> str:
    """A key for links and roles made from a name: "Plain-language reviewers" → "plain-language-reviewers",
    "Läs- och skrivstöd" → "las-och-skrivstod". Whether it is a good key is the service's to say."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return _NOT_KEY.sub("-", plain).strip("-")[:63].rstrip("-")


def listed(text: str) -> list[str]:
    """ "sv, ar; so" or one per line → ["sv", "ar", "so"]."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def _number(value: str) -> int | None:
    value = value.strip()
    return int(value) if re.fullmatch(r"[0-9]{1,6}", value) else None


def _kronor(value: str) -> Decimal | None:
    try:
        return Decimal(value.strip().replace(" ", "").replace(",", ".").removesuffix("kr"))
    except InvalidOperation:
        return None


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _options(labels: Mapping[str, str]) -> list[tuple[str, str]]:
    return translated(dict(labels))


async def _finish(
    services: Services,
    method: str,
    path: str,
    body: Any,
    *,
    errors: dict[str, str],
    saved: str | Callable[[Any], str],
    again: Callable[[dict[str, str]], Awaitable[Response]],
    refused_at: str,
    fields: Mapping[str, ShownAt] | None = None,
) -> Response:
    return await send_form(
        services,
        method,
        path,
        body,
        errors=errors,
        saved=saved,
        again=again,
        refused_at=refused_at,
        fields=fields,
        service=SERVICE,
    )


STALE = N_(
    "Någon annan har ändrat uppgifterna medan du skrev. Det du skrev står kvar: kontrollera det mot "
    "det som nu är sparat och spara igen."
)


async def _save_edit(
    services: Services,
    path: str,
    body: Any,
    *,
    saved: str,
    again: Callable[[dict[str, str], bool], Awaitable[Response]],
    refused_at: str,
    fields: Mapping[str, ShownAt],
) -> Response:
    """A PUT of a versioned form. After a stale-version refusal the form comes back with what was
    typed and the version now saved (`again(errors, True)`): with the old one every new try would
    be refused again."""
    answer = await services.call(SERVICE, "PUT", path, json=body)
    outcome = Outcome(answer)
    if outcome.ok:
        return flash.redirect(saved)
    if outcome.status_code == 409 and _error_kind(answer) == "stale_version":
        return await again({refused_at: _(STALE)}, True)
    return await again(field_errors(outcome, refused_at, fields), False)


def _error_kind(answer: Any) -> str | None:
    try:
        kind = answer.json().get("error")
    except (ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


# --- Pools -------------------------------------------------------------------------------------------


class PoolForm(BaseModel):
    version: str = ""
    key: str = ""
    name: str = ""
    description: str = ""
    coordinator_name: str = ""
    coordinator_subject: str = ""
    monthly_cap: str = "4"
    offer_hours: str = "48"
    paid: str = ""
    status: str = "active"
    hourly_fee: str = ""
    fee_from: str = ""


def _pool_body(form: PoolForm) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    cap, hours = _number(form.monthly_cap), _number(form.offer_hours)
    if cap is None:
        errors["monthly_cap"] = _(NUMBER_HINT)
    if hours is None:
        errors["offer_hours"] = _("Skriv ett antal timmar, till exempel 48.")
    body = {
        "name": form.name.strip(),
        "description": form.description.strip(),
        "coordinator_name": form.coordinator_name.strip() or None,
        "coordinator_subject": form.coordinator_subject.strip() or None,
        "monthly_cap": cap,
        "offer_hours": hours,
        "paid": bool(form.paid),
    }
    return body, errors


def _requirement_rows(form: FormData, count: int) -> list[dict[str, str]]:
    return [
        {
            "label": _text(form, f"req-{i}-label"),
            "kind": _text(form, f"req-{i}-kind") or "training",
            "expires": _text(form, f"req-{i}-expires"),
        }
        for i in range(count)
    ]


def _fee_body(
    hourly_fee: str, valid_from: str, valid_until: str = ""
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    amount = _kronor(hourly_fee)
    if amount is None:
        errors["hourly_fee"] = _(FEE_HINT)
    starts = parse_date(valid_from)
    if starts is None:
        errors["fee_from"] = _(DATE_HINT)
    ends = parse_date(valid_until)
    if valid_until.strip() and ends is None:
        errors["fee_until"] = _(DATE_HINT)
    body = {
        "hourly_fee": str(amount) if amount is not None else None,
        "valid_from": starts.isoformat() if starts else None,
        "valid_until": ends.isoformat() if ends else None,
    }
    return body, errors


async def _new_pool_page(
    request: Request, values: dict[str, Any], rows: list[dict[str, str]], errors: dict[str, str]
) -> Response:
    return show(
        request,
        "volunteers/pool_form.html",
        status_code=400 if errors else 200,
        values=values,
        rows=rows,
        errors=errors,
        kind_options=_options(REQUIREMENT_KINDS),
        status_options=_options(POOL_STATUS),
        editing=False,
    )


@router.get("/pools/new", response_class=HTMLResponse)
async def new_pool(request: Request, _user: Manager) -> Response:
    rows = [{"label": "", "kind": "training", "expires": ""} for _i in range(NEW_REQUIREMENT_ROWS)]
    return await _new_pool_page(request, PoolForm().model_dump(), rows, {})


@router.post("/pools", response_class=HTMLResponse)
async def create_pool(
    request: Request, _user: Manager, services: ServicesDep, form: Annotated[PoolForm, Form()]
) -> Response:
    """A new pool with its requirements; with an hourly fee, the fee is added once the pool exists."""
    posted = await request.form()
    rows = _requirement_rows(posted, NEW_REQUIREMENT_ROWS)
    body, errors = _pool_body(form)
    body["key"] = form.key.strip() or key_of(form.name)
    # Rows left empty are not sent: the service's `requirements.<n>` is the n-th row with a label.
    sent = [n for n, row in enumerate(rows) if row["label"].strip()]
    body["requirements"] = [
        {
            "key": key_of(rows[n]["label"]),
            "kind": rows[n]["kind"],
            "label": rows[n]["label"].strip(),
            "expires": bool(rows[n]["expires"]),
        }
        for n in sent
    ]
    fields = POOL_FIELDS | {
        f"requirements.{i}.{part}": ShownAt(f"req-{n}-label", N_("Kontrollera kravet."))
        for i, n in enumerate(sent)
        for part in ("key", "label", "kind", "expires")
    }
    fee: dict[str, Any] | None = None
    if form.hourly_fee.strip() or form.fee_from.strip():
        fee, fee_errors = _fee_body(form.hourly_fee, form.fee_from)
        errors |= fee_errors

    async def again(errors: dict[str, str]) -> Response:
        return await _new_pool_page(request, form.model_dump(), rows, errors)

    if errors:
        return await again(errors)
    outcome = await send(services, "POST", "/v1/pools", body, service=SERVICE)
    if not outcome.ok:
        # Not send_form: the fee can only be added once the pool exists, so the answer is read here.
        return await again(field_errors(outcome, "key", fields))
    pool_id = outcome.data["id"]
    if fee is None:
        return flash.redirect(f"/volunteers/pools/{pool_id}")
    added = await send(services, "POST", f"/v1/pools/{pool_id}/fees", fee, service=SERVICE)
    if added.ok:
        return flash.redirect(f"/volunteers/pools/{pool_id}")
    # The pool is saved; the fee is not. The edit page says so, with the fee as it was typed.
    return await _edit_pool_page(
        request,
        services,
        pool_id,
        fee_values={"hourly_fee": form.hourly_fee, "fee_from": form.fee_from},
        errors=field_errors(added, "hourly_fee", FEE_FIELDS)
        | {"pool_saved": _("Poolen är sparad, men inte arvodet. Rätta arvodet och spara det igen.")},
    )


async def _edit_pool_page(
    request: Request,
    services: Services,
    pool_id: str,
    *,
    values: dict[str, Any] | None = None,
    requirement: dict[str, str] | None = None,
    fee_values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    stale: bool = False,
) -> Response:
    pool_answer, fees_answer = await side_by_side(
        services.get(SERVICE, f"/v1/pools/{pool_id}"),
        # Not `get`: a failed fees call leaves the pool to edit, and the page says the fees are missing.
        services.call(SERVICE, "GET", f"/v1/pools/{pool_id}/fees"),
    )
    pool = pool_answer.data()
    if pool is None:
        return not_found(request, _("Poolen finns inte"))
    if fees_answer.status_code == 403:
        # Only the pool's coordinators change it: the service says so, and the page says it first.
        return problem(request, 403, _("Du kan inte ändra poolen"), Outcome(fees_answer).message)
    current = {
        "version": str(pool["version"]),
        "key": pool["key"],
        "name": pool["name"],
        "description": pool["description"],
        "coordinator_name": pool["coordinator_name"] or "",
        "coordinator_subject": pool["coordinator_subject"] or "",
        "monthly_cap": str(pool["monthly_cap"]),
        "offer_hours": str(pool["offer_hours"]),
        "paid": "on" if pool["paid"] else "",
        "status": pool["status"],
    }
    shown = current | (values or {})
    if stale:
        shown["version"] = current["version"]
    return show(
        request,
        "volunteers/pool_edit.html",
        status_code=409 if stale else 400 if errors else 200,
        pool=pool,
        fees=fees_answer.json() if fees_answer.status_code < 400 else None,
        values=shown,
        requirement=requirement or {"req_label": "", "req_kind": "training", "req_expires": ""},
        fee=fee_values or {"hourly_fee": "", "fee_from": "", "fee_until": ""},
        errors=errors or {},
        kinds=REQUIREMENT_KINDS,
        kind_options=_options(REQUIREMENT_KINDS),
        status_options=_options(POOL_STATUS),
        editing=True,
    )


@router.get("/pools/{pool_id}/edit", response_class=HTMLResponse)
async def edit_pool(
    request: Request, pool_id: ServiceId, _user: Coordinator, services: ServicesDep
) -> Response:
    return await _edit_pool_page(request, services, pool_id)


@router.post("/pools/{pool_id}", response_class=HTMLResponse)
async def update_pool(
    request: Request,
    pool_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[PoolForm, Form()],
) -> Response:
    body, errors = _pool_body(form)
    body["status"] = form.status
    body["version"] = _number(form.version)

    async def again(errors: dict[str, str], stale: bool = False) -> Response:
        return await _edit_pool_page(
            request, services, pool_id, values=form.model_dump(), errors=errors, stale=stale
        )

    if errors:
        return await again(errors)
    return await _save_edit(
        services,
        f"/v1/pools/{pool_id}",
        body,
        saved=f"/volunteers/pools/{pool_id}",
        again=again,
        refused_at="name",
        fields=POOL_FIELDS,
    )


class RequirementForm(BaseModel):
    req_label: str = ""
    req_kind: str = "training"
    req_expires: str = ""


@router.post("/pools/{pool_id}/requirements", response_class=HTMLResponse)
async def add_requirement(
    request: Request,
    pool_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[RequirementForm, Form()],
) -> Response:
    body = {
        "key": key_of(form.req_label),
        "kind": form.req_kind,
        "label": form.req_label.strip(),
        "expires": bool(form.req_expires),
    }

    async def again(errors: dict[str, str]) -> Response:
        return await _edit_pool_page(request, services, pool_id, requirement=form.model_dump(), errors=errors)

    return await _finish(
        services,
        "POST",
        f"/v1/pools/{pool_id}/requirements",
        body,
        errors={},
        saved=f"/volunteers/pools/{pool_id}/edit#requirements",
        again=again,
        refused_at="req_label",
        fields=REQUIREMENT_FIELDS,
    )


class FeeForm(BaseModel):
    hourly_fee: str = ""
    fee_from: str = ""
    fee_until: str = ""


@router.post("/pools/{pool_id}/fees", response_class=HTMLResponse)
async def add_fee(
    request: Request,
    pool_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[FeeForm, Form()],
) -> Response:
    body, errors = _fee_body(form.hourly_fee, form.fee_from, form.fee_until)

    async def again(errors: dict[str, str]) -> Response:
        return await _edit_pool_page(request, services, pool_id, fee_values=form.model_dump(), errors=errors)

    return await _finish(
        services,
        "POST",
        f"/v1/pools/{pool_id}/fees",
        body,
        errors=errors,
        saved=f"/volunteers/pools/{pool_id}/edit#fees",
        again=again,
        refused_at="hourly_fee",
        fields=FEE_FIELDS,
    )


class FeeEndForm(BaseModel):
    valid_until: str = ""


@router.post("/pools/{pool_id}/fees/{fee_id}/end", response_class=HTMLResponse)
async def end_fee(
    request: Request,
    pool_id: ServiceId,
    fee_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[FeeEndForm, Form()],
) -> Response:
    until = parse_date(form.valid_until)
    key = f"fee-{fee_id}-until"
    errors = {} if until else {key: _(DATE_HINT)}

    async def again(errors: dict[str, str]) -> Response:
        return await _edit_pool_page(request, services, pool_id, errors=errors)

    return await _finish(
        services,
        "PATCH",
        f"/v1/fees/{fee_id}",
        {"valid_until": until.isoformat() if until else None},
        errors=errors,
        saved=f"/volunteers/pools/{pool_id}/edit#fees",
        again=again,
        refused_at=key,
        fields={"valid_until": ShownAt(key, N_("Kontrollera datumet."))},
    )


# --- Record a training for several members ------------------------------------------------------------


class TrainingForm(BaseModel):
    key: str = ""
    completed_on: str = ""
    expires_on: str = ""
    note: str = ""
    # Each goes into the service's URL: a UUID or the page refuses the form (Adressen är inte giltig).
    volunteer_ids: list[ServiceId] = []


async def _training_page(
    request: Request,
    services: Services,
    pool_id: str,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    pool, members = await side_by_side(
        services.get_json(SERVICE, f"/v1/pools/{pool_id}"),
        services.get_json(SERVICE, "/v1/volunteers", params={"pool_id": pool_id, "limit": 200}),
    )
    if pool is None:
        return not_found(request, _("Poolen finns inte"))
    people = [
        (p["id"], p["name"])
        for p in (members or {}).get("items", [])
        if any(m["pool_id"] == pool_id and m["status"] != "left" for m in p["memberships"])
    ]
    return show(
        request,
        "volunteers/training_form.html",
        status_code=400 if errors else 200,
        pool=pool,
        people=people,
        requirement_options=[("", _("Välj vad det gäller"))]
        + [(r["key"], r["label"]) for r in pool["requirements"]],
        values=values,
        errors=errors,
    )


@router.get("/pools/{pool_id}/training", response_class=HTMLResponse)
async def new_training(
    request: Request, pool_id: ServiceId, _user: Coordinator, services: ServicesDep
) -> Response:
    values = TrainingForm(completed_on=date.today().isoformat()).model_dump()
    return await _training_page(request, services, pool_id, values, {})


@router.post("/pools/{pool_id}/training", response_class=HTMLResponse)
async def record_training(
    request: Request,
    pool_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[TrainingForm, Form()],
) -> Response:
    """One training (or agreement, or certificate) done by several members on the same day: one record
    each, all or none; the service's reason is shown when it refuses."""
    errors: dict[str, str] = {}
    completed, expires = parse_date(form.completed_on), parse_date(form.expires_on)
    if not form.key:
        errors["key"] = _("Välj vad det gäller.")
    if completed is None:
        errors["completed_on"] = _(DATE_HINT)
    if form.expires_on.strip() and expires is None:
        errors["expires_on"] = _(DATE_HINT)
    if not form.volunteer_ids:
        errors["volunteer_ids"] = _("Kryssa i vilka som var med.")
    if errors:
        return await _training_page(request, services, pool_id, form.model_dump(), errors)
    # One call for all of them: the service records only this pool's members and requirements, all
    # or none, and says why not.
    body = {
        "key": form.key,
        "completed_on": completed.isoformat() if completed else None,
        "expires_on": expires.isoformat() if expires else None,
        "note": form.note.strip(),
        "volunteer_ids": form.volunteer_ids,
    }
    answer = await services.call(SERVICE, "POST", f"/v1/pools/{pool_id}/qualifications", json=body)
    outcome = Outcome(answer)
    if outcome.ok:
        return flash.redirect(f"/volunteers/pools/{pool_id}")
    # What the pool does not ask for is about the choice of training; anything else about who is ticked.
    refused_at = "key" if _error_kind(answer) == "NotAsked" else "volunteer_ids"
    errors = field_errors(outcome, refused_at, TRAINING_FIELDS)
    return await _training_page(request, services, pool_id, form.model_dump(), errors)


# --- Volunteers ------------------------------------------------------------------------------------


class ProfileForm(BaseModel):
    version: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    preferred_channel: str = "email"
    language: str = "sv"
    languages: str = "sv"
    areas: str = ""
    does_not_want: str = ""
    client_units: str = ""
    status: str = "active"


def _profile_body(form: ProfileForm) -> dict[str, Any]:
    return {
        "name": form.name.strip(),
        "email": form.email.strip() or None,
        "phone": form.phone.strip() or None,
        "preferred_channel": form.preferred_channel,
        "language": form.language.strip() or "sv",
        "languages": listed(form.languages),
        "areas": listed(form.areas),
        "does_not_want": form.does_not_want.strip(),
        "client_units": listed(form.client_units),
    }


def _profile_context() -> dict[str, Any]:
    return {
        "channel_options": _options(CHANNELS),
        "status_options": _options(PROFILE_STATUS),
        "membership_options": _options(MEMBERSHIP),
    }


async def _new_person_page(
    request: Request,
    services: Services,
    values: dict[str, Any],
    joined: dict[str, str],
    errors: dict[str, str],
) -> Response:
    pools = await services.get_json(SERVICE, "/v1/pools", params={"limit": 200})
    return show(
        request,
        "volunteers/person_form.html",
        status_code=400 if errors else 200,
        values=values,
        pools=[p for p in (pools or {}).get("items", []) if p["status"] == "active"],
        joined=joined,
        join_options=[("", _(NOT_MEMBER)), *_options(MEMBERSHIP)],
        errors=errors,
        **_profile_context(),
    )


@router.get("/people/new", response_class=HTMLResponse)
async def new_person(
    request: Request, _user: Coordinator, services: ServicesDep, pool_id: ServiceId | None = None
) -> Response:
    joined = {pool_id: "active"} if pool_id else {}
    return await _new_person_page(request, services, ProfileForm().model_dump(), joined, {})


@router.post("/people", response_class=HTMLResponse)
async def create_person(
    request: Request, _user: Coordinator, services: ServicesDep, form: Annotated[ProfileForm, Form()]
) -> Response:
    posted = await request.form()
    joined = {
        str(name).removeprefix("pool-"): str(value)
        for name, value in posted.multi_items()
        if str(name).startswith("pool-") and str(value)
    }
    body = _profile_body(form) | {
        "pools": [{"pool_id": pool_id, "status": status} for pool_id, status in joined.items()]
    }

    async def again(errors: dict[str, str]) -> Response:
        return await _new_person_page(request, services, form.model_dump(), joined, errors)

    return await _finish(
        services,
        "POST",
        "/v1/volunteers",
        body,
        errors={},
        saved=lambda created: f"/volunteers/people/{created['id']}",
        again=again,
        # "Reach them by e-mail or phone" and "put them in one of your pools" are the refusals here.
        refused_at="email" if not (form.email.strip() or form.phone.strip()) else "pools",
        fields=PROFILE_FIELDS
        | {f"pools.{i}.pool_id": ShownAt("pools", N_("Kontrollera poolerna.")) for i in range(20)},
    )


async def _edit_person_page(
    request: Request,
    services: Services,
    volunteer_id: str,
    *,
    values: dict[str, Any] | None = None,
    weekly: list[dict[str, str]] | None = None,
    exception: dict[str, str] | None = None,
    qualification: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    stale: bool = False,
) -> Response:
    person, pools = await side_by_side(
        services.get_json(SERVICE, f"/v1/volunteers/{volunteer_id}"),
        services.get_json(SERVICE, "/v1/pools", params={"limit": 200}),
    )
    if person is None:
        return not_found(request, _("Personen finns inte"))
    all_pools = (pools or {}).get("items", [])
    joined = {m["pool_id"] for m in person["memberships"]}
    requirements: dict[str, str] = {}
    for pool in all_pools:
        if pool["id"] in joined:
            for r in pool["requirements"]:
                requirements.setdefault(r["key"], f"{r['label']} ({pool['name']})")
    current = {
        "version": str(person["version"]),
        "name": person["name"],
        "email": person["email"] or "",
        "phone": person["phone"] or "",
        "preferred_channel": person["preferred_channel"],
        "language": person["language"],
        "languages": ", ".join(person["languages"]),
        "areas": ", ".join(person["areas"]),
        "does_not_want": person["does_not_want"],
        "client_units": ", ".join(person["client_units"]),
        "status": person["status"],
    }
    slots = weekly or [
        {"weekday": str(s["weekday"]), "starts": s["starts"][:5], "ends": s["ends"][:5]}
        for s in person["weekly"]
    ]
    slots = slots + [{"weekday": "", "starts": "", "ends": ""} for _i in range(BLANK_SLOTS)]
    shown = current | (values or {})
    if stale:
        shown["version"] = current["version"]
    return show(
        request,
        "volunteers/person_edit.html",
        status_code=409 if stale else 400 if errors else 200,
        person=person,
        values=shown,
        slots=slots,
        weekday_options=[("", _("Ingen dag"))] + [(str(k), _(v)) for k, v in WEEKDAYS.items()],
        exception=exception
        or {"x_from": "", "x_from_time": "", "x_to": "", "x_to_time": "", "x_available": "0", "x_note": ""},
        available_options=_options(AVAILABLE),
        qualification=qualification
        or {"q_key": "", "q_completed": date.today().isoformat(), "q_expires": "", "q_note": ""},
        requirement_options=[("", _("Välj vad det gäller")), *list(requirements.items())],
        other_pools=[("", _("Välj en pool"))]
        + [(p["id"], p["name"]) for p in all_pools if p["id"] not in joined and p["status"] == "active"],
        memberships=MEMBERSHIP,
        errors=errors or {},
        **_profile_context(),
    )


@router.get("/people/{volunteer_id}/edit", response_class=HTMLResponse)
async def edit_person(
    request: Request, volunteer_id: ServiceId, _user: Coordinator, services: ServicesDep
) -> Response:
    return await _edit_person_page(request, services, volunteer_id)


@router.post("/people/{volunteer_id}", response_class=HTMLResponse)
async def update_person(
    request: Request,
    volunteer_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[ProfileForm, Form()],
) -> Response:
    body = _profile_body(form) | {"status": form.status, "version": _number(form.version)}

    async def again(errors: dict[str, str], stale: bool = False) -> Response:
        return await _edit_person_page(
            request, services, volunteer_id, values=form.model_dump(), errors=errors, stale=stale
        )

    return await _save_edit(
        services,
        f"/v1/volunteers/{volunteer_id}",
        body,
        saved=f"/volunteers/people/{volunteer_id}",
        again=again,
        refused_at="email" if not (form.email.strip() or form.phone.strip()) else "name",
        fields=PROFILE_FIELDS,
    )


class MembershipForm(BaseModel):
    # Goes into the service's URL: a UUID, or nothing chosen yet.
    pool_id: Annotated[str, AfterValidator(lambda value: value and str(uuid.UUID(value)))] = ""
    status: str = ""
    # Sent by the form that adds the person to a pool, whose fields are join_pool and join_status.
    joining: str = ""


@router.post("/people/{volunteer_id}/pools", response_class=HTMLResponse)
async def set_membership(
    request: Request,
    volunteer_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[MembershipForm, Form()],
) -> Response:
    joining = bool(form.joining) or not form.pool_id
    key = "join_pool" if joining else f"pool-{form.pool_id}"
    errors = {} if form.pool_id else {"join_pool": _("Välj en pool.")}

    async def again(errors: dict[str, str]) -> Response:
        return await _edit_person_page(request, services, volunteer_id, errors=errors)

    return await _finish(
        services,
        "PUT",
        f"/v1/volunteers/{volunteer_id}/pools/{form.pool_id}",
        {"status": form.status},
        errors=errors,
        saved=f"/volunteers/people/{volunteer_id}/edit#pools",
        again=again,
        refused_at=key,
        fields={"status": ShownAt("join_status" if joining else key, N_("Välj en status."))},
    )


@router.post("/people/{volunteer_id}/weekly", response_class=HTMLResponse)
async def set_weekly(
    request: Request, volunteer_id: ServiceId, _user: Coordinator, services: ServicesDep
) -> Response:
    """The whole weekly pattern at once: a row without a day is left out; no rows at all means
    the person can be asked at any time."""
    posted = await request.form()
    rows = [
        {
            "weekday": _text(posted, f"slot-{i}-weekday"),
            "starts": _text(posted, f"slot-{i}-starts"),
            "ends": _text(posted, f"slot-{i}-ends"),
        }
        for i in range(60)
        if f"slot-{i}-weekday" in posted
    ]
    errors: dict[str, str] = {}
    slots: list[dict[str, Any]] = []
    # The form's row of each slot sent: the service's `slots.<n>` is the n-th slot, not the n-th row.
    sent: list[int] = []
    for i, row in enumerate(rows):
        if not row["weekday"]:
            continue
        weekday = row["weekday"].strip()
        if weekday not in {str(day) for day in WEEKDAYS}:
            errors[f"slot-{i}-weekday"] = _(WEEKDAY_HINT)
        starts, ends = _time(row["starts"]), _time(row["ends"])
        if starts is None:
            errors[f"slot-{i}-starts"] = _(TIME_HINT)
        if ends is None:
            errors[f"slot-{i}-ends"] = _(TIME_HINT)
        if not errors and starts is not None and ends is not None:
            slots.append({"weekday": int(weekday), "starts": starts.isoformat(), "ends": ends.isoformat()})
            sent.append(i)

    async def again(errors: dict[str, str]) -> Response:
        # Every row where it was typed, a blank one too: the errors name rows by their place.
        return await _edit_person_page(request, services, volunteer_id, weekly=rows, errors=errors)

    return await _finish(
        services,
        "PUT",
        f"/v1/volunteers/{volunteer_id}/weekly",
        {"slots": slots},
        errors=errors,
        saved=f"/volunteers/people/{volunteer_id}/edit#weekly",
        again=again,
        refused_at="slot-0-weekday",
        fields={
            f"slots.{n}.{part}": ShownAt(f"slot-{i}-{part}", hint)
            for n, i in enumerate(sent)
            for part, hint in (("weekday", WEEKDAY_HINT), ("starts", TIME_CHECK), ("ends", TIME_CHECK))
        },
    )


class ExceptionForm(BaseModel):
    x_from: str = ""
    x_from_time: str = ""
    x_to: str = ""
    x_to_time: str = ""
    x_available: str = "0"
    x_note: str = ""


@router.post("/people/{volunteer_id}/exceptions", response_class=HTMLResponse)
async def add_exception(
    request: Request,
    volunteer_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[ExceptionForm, Form()],
) -> Response:
    """An exception to the weekly pattern: away (a holiday) or able outside it. Without times it
    covers whole days, from the start of the first to the end of the last."""
    zone = request.app.state.settings.zone
    errors: dict[str, str] = {}
    first, last = parse_date(form.x_from), parse_date(form.x_to or form.x_from)
    if first is None:
        errors["x_from"] = _(DATE_HINT)
    if last is None:
        errors["x_to"] = _(DATE_HINT)
    starts = _time(form.x_from_time) if form.x_from_time.strip() else time(0, 0)
    ends = _time(form.x_to_time) if form.x_to_time.strip() else time(23, 59)
    if starts is None:
        errors["x_from_time"] = _(TIME_HINT)
    if ends is None:
        errors["x_to_time"] = _(TIME_HINT)
    body: dict[str, Any] = {}
    if not errors and first and last and starts and ends:
        body = {
            "starts_at": datetime.combine(first, starts, zone).isoformat(),
            "ends_at": datetime.combine(last, ends, zone).isoformat(),
            "available": form.x_available == "1",
            "note": form.x_note.strip(),
        }

    async def again(errors: dict[str, str]) -> Response:
        return await _edit_person_page(
            request, services, volunteer_id, exception=form.model_dump(), errors=errors
        )

    return await _finish(
        services,
        "POST",
        f"/v1/volunteers/{volunteer_id}/exceptions",
        body,
        errors=errors,
        saved=f"/volunteers/people/{volunteer_id}/edit#exceptions",
        again=again,
        refused_at="x_to",
        fields=EXCEPTION_FIELDS,
    )


@router.post("/people/{volunteer_id}/exceptions/{exception_id}/remove", response_class=HTMLResponse)
async def remove_exception(
    request: Request,
    volunteer_id: ServiceId,
    exception_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
) -> Response:
    outcome = await send(
        services, "DELETE", f"/v1/volunteers/{volunteer_id}/exceptions/{exception_id}", service=SERVICE
    )
    if outcome.ok:
        return flash.redirect(f"/volunteers/people/{volunteer_id}/edit#exceptions")
    return await _edit_person_page(request, services, volunteer_id, errors={"x_from": outcome.message})


class QualificationForm(BaseModel):
    q_key: str = ""
    q_completed: str = ""
    q_expires: str = ""
    q_note: str = ""


@router.post("/people/{volunteer_id}/qualifications", response_class=HTMLResponse)
async def add_qualification(
    request: Request,
    volunteer_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[QualificationForm, Form()],
) -> Response:
    """A training, agreement or certificate one of the person's pools asks for, with its dates."""
    errors: dict[str, str] = {}
    completed, expires = parse_date(form.q_completed), parse_date(form.q_expires)
    if not form.q_key:
        errors["q_key"] = _("Välj vad det gäller.")
    if completed is None:
        errors["q_completed"] = _(DATE_HINT)
    if form.q_expires.strip() and expires is None:
        errors["q_expires"] = _(DATE_HINT)
    body: dict[str, Any] = {}
    if not errors:
        pools = await services.get_json(SERVICE, "/v1/pools", params={"limit": 200})
        kinds = {r["key"]: r["kind"] for p in (pools or {}).get("items", []) for r in p["requirements"]}
        body = {
            "key": form.q_key,
            # The service takes the kind from the pool that asks for it; this is for any other.
            "kind": kinds.get(form.q_key, "training"),
            "completed_on": completed.isoformat() if completed else None,
            "expires_on": expires.isoformat() if expires else None,
            "note": form.q_note.strip(),
        }

    async def again(errors: dict[str, str]) -> Response:
        return await _edit_person_page(
            request, services, volunteer_id, qualification=form.model_dump(), errors=errors
        )

    return await _finish(
        services,
        "POST",
        f"/v1/volunteers/{volunteer_id}/qualifications",
        body,
        errors=errors,
        saved=f"/volunteers/people/{volunteer_id}#qualifications",
        again=again,
        refused_at="q_expires",
        fields=QUALIFICATION_FIELDS,
    )
