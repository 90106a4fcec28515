"""Template previews for administrators: the list of every email notify sends, and one rendered
with its sample data (notify.samples) in Swedish or English, as a recipient would get it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from backbone.access import Capability, roles_with
from backbone.errors import ERRORS, NotFound
from backbone.identity import Identity, require_roles
from notify.api.deps import ServiceZone
from notify.rendering import LANGUAGES, TEMPLATES, render
from notify.samples import sample_context

router = APIRouter(prefix="/v1/templates", tags=["templates"], responses=ERRORS)
# The texts themselves are no secret, but the list is a tool for those who run the service.
Administrator = Annotated[Identity, require_roles(*roles_with(Capability.ADMINISTER))]


class TemplatePublic(BaseModel):
    name: str
    category: str
    critical: bool  # never switched off or delayed by a person's preferences
    description: str
    languages: list[str]


class TemplatePreview(BaseModel):
    name: str
    language: Literal["sv", "en"]
    subject: str
    text: str
    html: str


@router.get("", response_model=list[TemplatePublic])
async def list_templates(_admin: Administrator) -> list[TemplatePublic]:
    return [
        TemplatePublic(
            name=name,
            category=info.category,
            critical=info.critical,
            description=info.description,
            languages=list(LANGUAGES),
        )
        for name, info in sorted(TEMPLATES.items())
    ]


@router.get("/{name}/preview", response_model=TemplatePreview)
async def preview_template(
    name: str,
    _admin: Administrator,
    zone: ServiceZone,
    language: Annotated[Literal["sv", "en"], Query(description="sv (the default) or en")] = "sv",
) -> TemplatePreview:
    """The email with made-up sample data, its times on the service's clock (NOTIFY_TIMEZONE)."""
    if name not in TEMPLATES:
        raise NotFound(f"Det finns ingen mall som heter {name!r}. Välj en mall i listan.")
    email = render(name, sample_context(name), timezone=zone.key, language=language)
    return TemplatePreview(
        name=name, language=language, subject=email.subject, text=email.text, html=email.html
    )
