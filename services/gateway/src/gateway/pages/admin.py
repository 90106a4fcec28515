"""Administration: users and their roles, and the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from backbone.dependencies import ConnDep
from gateway import accounts, audit, flash, roles, sessions
from gateway.auth import client_ip, requires
from gateway.csrf import csrf_protect
from gateway.i18n import _
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.store import Q
from gateway.upstream import Services, ServicesDep, ServiceUnavailable

router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)], tags=["pages"])
Admin = Annotated[SignedIn, requires(*roles.ADMINISTER)]
PAGE_SIZE = 25


def _role_options() -> list[tuple[str, str]]:
    return [(key, _(label)) for key, label in roles.LABELS.items()]


async def _organisation_options(services: Services) -> list[tuple[str, str]]:
    """The organisations the meetings service knows; a representative is tied to one of them."""
    try:
        found = await services.get_json("meetings", "/v1/organisations", params={"limit": 200})
    except ServiceUnavailable:
        found = None
    return [("", _("Ingen organisation"))] + [(o["id"], o["name"]) for o in (found or {}).get("items", [])]


async def _user_form(
    request: Request, services: Services, status_code: int = 200, **context: Any
) -> Response:
    return render(
        request,
        "admin/user_form.html",
        status_code=status_code,
        role_options=_role_options(),
        organisations=await _organisation_options(services),
        **context,
    )


@router.get("/users", response_class=HTMLResponse)
async def list_users(
    request: Request,
    _admin: Admin,
    conn: ConnDep,
    q: str = "",
    role: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    rows = await Q.list_users.fetch(conn, q=q or None, role=role or None, limit=PAGE_SIZE, offset=offset)
    page = {"items": rows, "total": rows[0]["total"] if rows else 0, "limit": PAGE_SIZE, "offset": offset}
    filters = {k: v for k, v in (("q", q), ("role", role)) if v}
    return render(
        request,
        "admin/users.html",
        page=page,
        filters=filters,
        q=q,
        role=role,
        role_options=[("", _("Alla roller")), *_role_options()],
    )


@router.get("/users/new", response_class=HTMLResponse)
async def new_user(request: Request, _admin: Admin, services: ServicesDep) -> Response:
    return await _user_form(
        request,
        services,
        user_row=None,
        errors={},
        values={"email": "", "name": "", "roles": [], "organisation_id": "", "pool_ids": "", "active": True},
    )


def _pools(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


@router.post("/users", response_class=HTMLResponse)
async def create_user(
    request: Request,
    admin: Admin,
    conn: ConnDep,
    services: ServicesDep,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    user_roles: Annotated[list[str] | None, Form(alias="roles")] = None,
    organisation_id: Annotated[str, Form()] = "",
    pool_ids: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "email": email,
        "name": name,
        "roles": user_roles or [],
        "organisation_id": organisation_id,
        "pool_ids": pool_ids,
        "active": True,
    }
    try:
        await accounts.create_user(
            conn,
            new=accounts.NewUser(
                email=email,
                name=name,
                roles=tuple(user_roles or ()),
                password=password or None,
                organisation_id=organisation_id.strip() or None,
                pool_ids=_pools(pool_ids),
            ),
            actor=(admin.user_id, admin.email),
            ip=client_ip(request),
        )
    except accounts.AccountError as exc:
        return await _user_form(
            request, services, status_code=400, user_row=None, errors={exc.field: _(str(exc))}, values=values
        )
    response = RedirectResponse("/admin/users", status_code=303)
    flash.flash(response, "user_created")
    return response


@router.get("/users/{user_id}", response_class=HTMLResponse)
async def edit_user(
    request: Request, user_id: uuid.UUID, _admin: Admin, conn: ConnDep, services: ServicesDep
) -> Response:
    row = await Q.user_by_id.fetchrow(conn, id=user_id)
    if row is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Användaren finns inte"),
            message=_("Gå tillbaka till listan över användare."),
        )
    values = {
        "email": row["email"],
        "name": row["name"],
        "roles": row["roles"],
        "organisation_id": row["organisation_id"] or "",
        "pool_ids": ", ".join(row["pool_ids"]),
        "active": row["active"],
    }
    return await _user_form(request, services, user_row=row, errors={}, values=values)


@router.post("/users/{user_id}", response_class=HTMLResponse)
async def change_user(
    request: Request,
    user_id: uuid.UUID,
    admin: Admin,
    conn: ConnDep,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    user_roles: Annotated[list[str] | None, Form(alias="roles")] = None,
    organisation_id: Annotated[str, Form()] = "",
    pool_ids: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    try:
        await accounts.change_access(
            conn,
            user_id=user_id,
            name=name,
            user_roles=tuple(user_roles or ()),
            organisation_id=organisation_id.strip() or None,
            pool_ids=_pools(pool_ids),
            active=active == "yes",
            actor=(admin.user_id, admin.email),
            ip=client_ip(request),
        )
    except accounts.AccountError as exc:
        row = await Q.user_by_id.fetchrow(conn, id=user_id)
        values = {
            "email": row["email"] if row else "",
            "name": name,
            "roles": user_roles or [],
            "organisation_id": organisation_id,
            "pool_ids": pool_ids,
            "active": active == "yes",
        }
        return await _user_form(
            request, services, status_code=400, user_row=row, errors={exc.field: _(str(exc))}, values=values
        )
    response = RedirectResponse("/admin/users", status_code=303)
    flash.flash(response, "access_changed")
    return response


@router.get("/audit", response_class=HTMLResponse)
async def audit_log(
    request: Request,
    _admin: Admin,
    conn: ConnDep,
    action: str = "",
    actor: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    rows, total = await audit.entries(
        conn, action=action or None, actor=actor or None, limit=PAGE_SIZE, offset=offset
    )
    page = {"items": rows, "total": total, "limit": PAGE_SIZE, "offset": offset}
    filters = {k: v for k, v in (("action", action), ("actor", actor)) if v}
    options = [("", _("Alla händelser"))] + [
        (a, _(audit.ACTIONS.get(a, a))) for a in await audit.actions_in_use(conn)
    ]
    return render(
        request,
        "admin/audit.html",
        page=page,
        filters=filters,
        action=action,
        actor=actor,
        action_options=options,
        action_labels=audit.ACTIONS,
    )


@router.post("/users/{user_id}/sign-out", response_class=HTMLResponse)
async def sign_user_out_everywhere(
    request: Request, user_id: uuid.UUID, admin: Admin, conn: ConnDep
) -> Response:
    """For a lost phone or a person who leaves: every session of the account ends at once."""
    row = await Q.user_by_id.fetchrow(conn, id=user_id)
    if row is not None:
        async with conn.transaction():
            await sessions.end_everywhere(conn, user_id=user_id)
            await audit.record(
                conn,
                action="signed_out_everywhere",
                actor_id=admin.user_id,
                actor_email=admin.email,
                target=row["email"],
                ip=client_ip(request),
            )
    response = RedirectResponse(f"/admin/users/{user_id}", status_code=303)
    flash.flash(response, "user_signed_out")
    return response
