"""Organisations and groups with their members. A representative sees only their own organisation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from gateway import roles
from gateway.auth import NotAllowed, requires
from gateway.csrf import csrf_protect
from gateway.forms import ShownAt, send_form
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.pages import feeds
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep, send

router = APIRouter(dependencies=[Depends(csrf_protect)], tags=["pages"])
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
Manager = Annotated[SignedIn, requires(*roles.MANAGE_MEETINGS)]
# Who may make an organisation's secret calendar link: its representatives and staff (the events
# service says which organisation each may do it for).
FeedKeeper = Annotated[SignedIn, requires(*roles.REGISTER_FOR_EVENTS)]
KINDS = ("ics", "atom")

ORGANISATION_KINDS = {
    "municipal": N_("Kommunal förvaltning"),
    "user_organisation": N_("Brukarorganisation"),
    "other": N_("Annan"),
}
GROUP_KINDS = {
    "joint_development": N_("Gemensam utvecklingsgrupp"),
    "management": N_("Ledningsgrupp"),
    "working_group": N_("Arbetsgrupp"),
}
MEMBER_ROLES = {"member": N_("Medlem"), "chair": N_("Ordförande"), "minute_taker": N_("Sekreterare")}


def own_organisation_only(user: SignedIn, organisation_id: ServiceId) -> None:
    """Representatives may open only their own organisation; staff and administrators any."""
    if not user.has_role(*roles.MANAGE_MEETINGS) and user.organisation_id != organisation_id:
        raise NotAllowed()


@router.get("/organisations", response_class=HTMLResponse)
async def organisations(request: Request, user: Reader, services: ServicesDep) -> Response:
    if not user.has_role(*roles.MANAGE_MEETINGS):
        return RedirectResponse(f"/organisations/{user.organisation_id}", status_code=303)
    page = await services.get_json("meetings", "/v1/organisations", params={"limit": 200})
    return render(
        request,
        "organisations/list.html",
        page=page or {"items": []},
        errors={},
        values={"name": ""},
        kinds=ORGANISATION_KINDS,
        kind_options=translated(ORGANISATION_KINDS),
    )


@router.post("/organisations", response_class=HTMLResponse)
async def create_organisation(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "user_organisation",
) -> Response:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Skriv organisationens namn.")

    async def again(errors: dict[str, str]) -> Response:
        page = await services.get_json("meetings", "/v1/organisations", params={"limit": 200})
        return render(
            request,
            "organisations/list.html",
            status_code=400,
            page=page or {"items": []},
            errors=errors,
            values={"name": name},
            kinds=ORGANISATION_KINDS,
            kind_options=translated(ORGANISATION_KINDS),
        )

    return await send_form(
        services,
        "POST",
        "/v1/organisations",
        {"name": name.strip(), "kind": kind if kind in ORGANISATION_KINDS else "other"},
        errors=errors,
        saved=lambda organisation: f"/organisations/{organisation['id']}",
        flash_key="organisation_created",
        again=again,
        refused_at="name",
    )


async def _organisation(
    request: Request,
    services: Services,
    user: SignedIn,
    organisation_id: ServiceId,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    feed_links: dict[str, dict[str, str]] | None = None,
    feed_problem: str = "",
) -> Response:
    own_organisation_only(user, organisation_id)
    organisation = await services.get_json("meetings", f"/v1/organisations/{organisation_id}")
    if organisation is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Organisationen finns inte"),
            message=_("Gå tillbaka till listan över organisationer."),
        )
    people = await services.get_json(
        "meetings", "/v1/people", params={"organisation_id": organisation_id, "limit": 200}
    )
    return render(
        request,
        "organisations/detail.html",
        status_code=status_code,
        organisation=organisation,
        people=(people or {}).get("items", []),
        kinds=ORGANISATION_KINDS,
        errors=errors or {},
        can_manage=user.has_role(*roles.MANAGE_MEETINGS),
        can_keep_feed=user.has_role(*roles.REGISTER_FOR_EVENTS),
        feed_links=feed_links,
        feed_problem=feed_problem,
    )


@router.post("/organisations/{organisation_id}/feed-link", response_class=HTMLResponse)
async def new_feed_link(
    request: Request, organisation_id: ServiceId, user: FeedKeeper, services: ServicesDep
) -> Response:
    """A new secret calendar link with all the organisation's events; the old one stops at once.

    The service keeps only a hash of it, so the link is shown this once, on the page that answers."""
    own_organisation_only(user, organisation_id)
    path = f"/v1/organisations/{organisation_id}/feed-token"
    outcome = await send(services, "POST", path, service="events")
    if not outcome.ok:
        return await _organisation(
            request, services, user, organisation_id, status_code=outcome.status_code,
            feed_problem=outcome.message,
        )
    made = {kind: feeds.links(request, feeds.public_path(outcome.data[f"{kind}_path"])) for kind in KINDS}
    return await _organisation(request, services, user, organisation_id, feed_links=made)


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse)
async def organisation(
    request: Request, organisation_id: ServiceId, user: Reader, services: ServicesDep
) -> Response:
    return await _organisation(request, services, user, organisation_id)


@router.post("/organisations/{organisation_id}/people", response_class=HTMLResponse)
async def add_person(
    request: Request,
    organisation_id: ServiceId,
    user: Reader,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    own_organisation_only(user, organisation_id)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Skriv personens namn.")
    if email.strip() and "@" not in email:
        errors["email"] = _("Skriv en e-postadress, till exempel namn@kommun.se.")
    body = {"name": name.strip(), "email": email.strip() or None, "organisation_id": organisation_id}

    async def again(errors: dict[str, str]) -> Response:
        return await _organisation(request, services, user, organisation_id, errors, 400)

    return await send_form(
        services,
        "POST",
        "/v1/people",
        body,
        errors=errors,
        saved=f"/organisations/{organisation_id}",
        flash_key="person_added",
        again=again,
        refused_at="name",
        fields={"email": ShownAt("email", N_("Skriv en e-postadress, till exempel namn@kommun.se."))},
    )


@router.get("/groups", response_class=HTMLResponse)
async def groups(request: Request, user: Reader, services: ServicesDep) -> Response:
    page = await services.get_json("meetings", "/v1/groups", params={"limit": 200})
    return render(
        request,
        "organisations/groups.html",
        page=page or {"items": []},
        kinds=GROUP_KINDS,
        kind_options=translated(GROUP_KINDS),
        errors={},
        values={"name": ""},
        can_manage=user.has_role(*roles.MANAGE_MEETINGS),
    )


@router.post("/groups", response_class=HTMLResponse)
async def create_group(
    request: Request,
    user: Manager,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "working_group",
) -> Response:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Skriv gruppens namn.")

    async def again(errors: dict[str, str]) -> Response:
        page = await services.get_json("meetings", "/v1/groups", params={"limit": 200})
        return render(
            request,
            "organisations/groups.html",
            status_code=400,
            page=page or {"items": []},
            kinds=GROUP_KINDS,
            kind_options=translated(GROUP_KINDS),
            errors=errors,
            values={"name": name},
            can_manage=True,
        )

    return await send_form(
        services,
        "POST",
        "/v1/groups",
        {"name": name.strip(), "kind": kind if kind in GROUP_KINDS else "working_group"},
        errors=errors,
        saved=lambda group: f"/groups/{group['id']}",
        flash_key="group_created",
        again=again,
        refused_at="name",
    )


async def _group(
    request: Request,
    services: Services,
    user: SignedIn,
    group_id: ServiceId,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    group = await services.get_json("meetings", f"/v1/groups/{group_id}")
    if group is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Gruppen finns inte"),
            message=_("Gå tillbaka till listan över grupper."),
        )
    members = await services.get_json("meetings", f"/v1/groups/{group_id}/members") or []
    people = await services.get_json("meetings", "/v1/people", params={"limit": 200})
    options = [
        (p["id"], f"{p['name']}, {p['organisation_name']}" if p.get("organisation_name") else p["name"])
        for p in (people or {}).get("items", [])
    ]
    return render(
        request,
        "organisations/group.html",
        status_code=status_code,
        group=group,
        members=members,
        kinds=GROUP_KINDS,
        member_roles=MEMBER_ROLES,
        role_options=translated(MEMBER_ROLES),
        people_options=options,
        errors=errors or {},
    )


@router.get("/groups/{group_id}", response_class=HTMLResponse)
async def group(request: Request, group_id: ServiceId, user: Reader, services: ServicesDep) -> Response:
    return await _group(request, services, user, group_id)


@router.post("/groups/{group_id}/members", response_class=HTMLResponse)
async def add_member(
    request: Request,
    group_id: ServiceId,
    user: Reader,
    services: ServicesDep,
    person_id: Annotated[ServiceId, Form()] = "",
    role: Annotated[str, Form()] = "member",
) -> Response:
    errors: dict[str, str] = {}
    if not person_id:
        errors["person_id"] = _("Välj en person.")

    async def again(errors: dict[str, str]) -> Response:
        return await _group(request, services, user, group_id, errors, 400)

    return await send_form(
        services,
        "PUT",
        f"/v1/groups/{group_id}/members/{person_id}",
        {"role": role if role in MEMBER_ROLES else "member"},
        errors=errors,
        saved=f"/groups/{group_id}",
        again=again,
        refused_at="person_id",
    )
