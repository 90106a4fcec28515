"""Import of old minutes: paste or upload the text, review what was read, correct it, then save."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.forms import ShownAt, parse_date, send_form
from gateway.i18n import N_, _
from gateway.navigation import ServiceId
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep

router = APIRouter(prefix="/imports", dependencies=[Depends(csrf_protect)], tags=["pages"])
Manager = Annotated[SignedIn, requires(*roles.MANAGE_MEETINGS)]
MAX_BYTES = 500_000
YEAR_HINT = N_("Skriv året med fyra siffror, till exempel 2016.")


@router.get("", response_class=HTMLResponse)
async def imports(request: Request, _user: Manager, services: ServicesDep) -> Response:
    page = await services.get_json("meetings", "/v1/imports", params={"limit": 50})
    return render(
        request,
        "meetings/imports.html",
        page=page or {"items": []},
        errors={},
        values={"text": "", "year": ""},
    )


@router.post("", response_class=HTMLResponse)
async def upload(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    text: Annotated[str, Form()] = "",
    year: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, Form()] = None,
) -> Response:
    errors: dict[str, str] = {}
    source_name = None
    if file is not None and file.filename:
        raw = await file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            errors["file"] = _("Filen är för stor. Den får vara högst 500 kB.")
        else:
            text = raw.decode("utf-8", errors="replace")
            source_name = file.filename
    if not errors and not text.strip():
        errors["text"] = _("Välj en fil eller klistra in texten från protokollet.")
    # Only whether it is a number; which years the service takes is its own rule.
    if year.strip() and not year.strip().isdigit():
        errors["year"] = _(YEAR_HINT)
    body = {"text": text, "year": int(year) if year.strip().isdigit() else None, "source_name": source_name}

    async def again(errors: dict[str, str]) -> Response:
        page = await services.get_json("meetings", "/v1/imports", params={"limit": 50})
        return render(
            request,
            "meetings/imports.html",
            status_code=400,
            page=page or {"items": []},
            errors=errors,
            values={"text": text, "year": year},
        )

    return await send_form(
        services,
        "POST",
        "/v1/imports",
        body,
        errors=errors,
        saved=lambda found: f"/imports/{found['id']}",
        flash_key=None,
        again=again,
        refused_at="text",
        fields={"year": ShownAt("year", YEAR_HINT)},
    )


def lines_of_people(people: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{p['name']}, {p['organisation']}" if p.get("organisation") else p["name"] for p in people
    )


def people_from_lines(text: str) -> list[dict[str, Any]]:
    """ "Name, Organisation" per line; the organisation may be left out."""
    out = []
    for line in text.splitlines():
        name, _sep, organisation = line.partition(",")
        if name.strip():
            out.append({"name": name.strip(), "organisation": organisation.strip() or None})
    return out


def items_from_lines(text: str) -> list[dict[str, Any]]:
    """ "What is to be done | Who" per line; the owner may be left out."""
    out = []
    for line in text.splitlines():
        what, _sep, owner = line.partition("|")
        if what.strip():
            out.append({"text": what.strip(), "owner": owner.strip() or None})
    return out


def _text(entry: Any) -> str:
    return str(entry.get("text", "")) if isinstance(entry, dict) else str(entry)


def review_form(parsed: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": parsed.get("title") or "",
        "date": parsed.get("date") or "",
        "group": parsed.get("group") or "",
        "minute_taker": parsed.get("minute_taker") or "",
        "attendees": lines_of_people(parsed.get("attendees") or []),
        "absent": lines_of_people(parsed.get("absent") or []),
        "sections": [*(parsed.get("sections") or []), {"heading": "", "text": ""}],
        "decisions": "\n".join(_text(d) for d in parsed.get("decisions") or []),
        "action_items": "\n".join(
            f"{_text(a)} | {a['owner']}" if isinstance(a, dict) and a.get("owner") else _text(a)
            for a in parsed.get("action_items") or []
        ),
    }


async def _review_page(
    request: Request,
    services: Any,
    import_id: ServiceId,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = await services.get_json("meetings", f"/v1/imports/{import_id}")
    if found is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Importen finns inte"),
            message=_("Gå tillbaka till listan över importer."),
        )
    parsed = found["parsed"]
    return render(
        request,
        "meetings/import_review.html",
        status_code=status_code,
        found=found,
        warnings=parsed.get("warnings") or [],
        mentioned=parsed.get("mentioned_dates") or [],
        form=form or review_form(parsed),
        errors=errors or {},
    )


@router.get("/{import_id}", response_class=HTMLResponse)
async def review(request: Request, import_id: ServiceId, _user: Manager, services: ServicesDep) -> Response:
    return await _review_page(request, services, import_id)


@router.post("/{import_id}", response_class=HTMLResponse)
async def save_review(
    request: Request,
    import_id: ServiceId,
    _user: Manager,
    services: ServicesDep,
    version: Annotated[int, Form()],
    title: Annotated[str, Form()] = "",
    date: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
    minute_taker: Annotated[str, Form()] = "",
    attendees: Annotated[str, Form()] = "",
    absent: Annotated[str, Form()] = "",
    section_heading: Annotated[list[str] | None, Form()] = None,
    section_text: Annotated[list[str] | None, Form()] = None,
    decisions: Annotated[str, Form()] = "",
    action_items: Annotated[str, Form()] = "",
) -> Response:
    sections = [
        {"heading": h.strip() or None, "text": t.strip()}
        for h, t in zip(section_heading or [], section_text or [], strict=False)
        if h.strip() or t.strip()
    ]
    form = {
        "title": title,
        "date": date,
        "group": group,
        "minute_taker": minute_taker,
        "attendees": attendees,
        "absent": absent,
        "sections": [*sections, {"heading": "", "text": ""}],
        "decisions": decisions,
        "action_items": action_items,
    }
    errors: dict[str, str] = {}
    day = parse_date(date)
    if day is None:
        errors["date"] = _("Skriv mötets datum som år-månad-dag, till exempel 2016-03-07.")
    if not title.strip():
        errors["title"] = _("Skriv en rubrik för protokollet.")
    body = {
        "version": version,
        "title": title.strip(),
        "date": day.isoformat() if day else None,
        "group": group.strip() or None,
        "minute_taker": minute_taker.strip() or None,
        "attendees": people_from_lines(attendees),
        "absent": [{**p, "status": "absent"} for p in people_from_lines(absent)],
        "sections": sections,
        "decisions": [{"text": line.strip()} for line in decisions.splitlines() if line.strip()],
        "action_items": items_from_lines(action_items),
    }

    async def again(errors: dict[str, str]) -> Response:
        return await _review_page(request, services, import_id, form, errors, 400)

    def saved(found: dict[str, Any]) -> str:
        meeting_id = found.get("meeting_id")
        return f"/meetings/{meeting_id}/minutes" if meeting_id else "/imports"

    return await send_form(
        services,
        "PUT",
        f"/v1/imports/{import_id}",
        body,
        errors=errors,
        saved=saved,
        flash_key="import_saved",
        again=again,
        refused_at="title",
    )
