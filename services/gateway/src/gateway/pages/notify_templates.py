"""Email template previews for administrators: every email notify sends, and each one rendered with
made-up sample data in Swedish or English, subject, plain text and HTML, as a recipient gets it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.rendering import problem, render
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep

router = APIRouter(prefix="/email-templates", dependencies=[Depends(csrf_protect)], tags=["pages"])
Administrator = Annotated[SignedIn, requires(*roles.ADMINISTER)]
# A template's name as notify writes it; anything else never reaches the service.
TemplateName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
SERVICE = "notify"
CATEGORIES = {
    "meetings": N_("Möten"),
    "minutes": N_("Protokoll"),
    "action_items": N_("Uppgifter"),
    "registrations": N_("Anmälningar till evenemang"),
    "reminders": N_("Påminnelser"),
    "volunteering": N_("Volontärer"),
    "other": N_("Övrigt"),
}
LANGUAGES = {"sv": N_("Svenska"), "en": N_("Engelska")}
SHOW_IN = {"sv": N_("Visa på svenska"), "en": N_("Visa på engelska")}


@router.get("", response_class=HTMLResponse)
async def list_templates(request: Request, _user: Administrator, services: ServicesDep) -> Response:
    templates = await services.get_json(SERVICE, "/v1/templates")
    return render(
        request,
        "notify/templates.html",
        templates=templates or [],
        categories=CATEGORIES,
        language_names=LANGUAGES,
    )


@router.get("/{name}", response_class=HTMLResponse)
async def preview(
    request: Request,
    _user: Administrator,
    services: ServicesDep,
    name: TemplateName,
    language: Annotated[Literal["sv", "en"], Query()] = "sv",
) -> Response:
    shown = await services.get_json(SERVICE, f"/v1/templates/{name}/preview", params={"language": language})
    if shown is None:
        return problem(
            request,
            404,
            _("Mallen finns inte"),
            _("Gå tillbaka till listan över mejlmallar och välj en mall där."),
        )
    return render(request, "notify/template.html", shown=shown, language_names=LANGUAGES, show_in=SHOW_IN)
