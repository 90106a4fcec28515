"""Server-rendered pages: one Jinja2 environment, translated, with what every page needs in its context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway import csrf, flash, i18n, roles
from gateway.i18n import N_
from gateway.sessions import SignedIn

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # a message id
    roles: tuple[str, ...]
    development_only: bool = False


NAVIGATION = (
    NavItem("/", N_("Start"), roles.SIGNED_IN),
    NavItem("/meetings", N_("Möten"), roles.READ_MEETINGS),
    NavItem("/series", N_("Mötesserier"), roles.READ_MEETINGS),
    NavItem("/decisions", N_("Beslut"), roles.READ_MEETINGS),
    NavItem("/action-items", N_("Uppgifter"), roles.READ_MEETINGS),
    NavItem("/search", N_("Sök"), roles.READ_MEETINGS),
    NavItem("/imports", N_("Importera"), roles.MANAGE_MEETINGS),
    NavItem("/organisations", N_("Organisationer"), roles.READ_MEETINGS),
    NavItem("/statistics/attendance", N_("Närvaro"), roles.READ_MEETINGS),
    NavItem("/admin/users", N_("Administration"), roles.ADMINISTER),
    NavItem("/dev/mailbox", N_("E-postlåda"), roles.MANAGE_MEETINGS, development_only=True),
    NavItem("/account", N_("Mitt konto"), roles.SIGNED_IN),
)


# How people write a date and time (Babel's own "medium" shows seconds and, in English, a 12-hour clock):
# Swedish "1 feb. 2027 kl. 13.30" (Språkrådet's usage), English "1 Feb 2027, 13:30".
_PATTERNS = {
    "sv": {"medium": "d MMM y 'kl.' HH.mm", "short": "yyyy-MM-dd 'kl.' HH.mm"},
    "en": {"medium": "d MMM y, HH:mm", "short": "yyyy-MM-dd, HH:mm"},
}


def _datetime(value: datetime | str | None, fmt: str = "medium") -> str:
    """`medium` and `short` are the page styles; anything else is a Babel pattern (form fields)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    locale = i18n.current_locale()
    pattern = _PATTERNS.get(locale, _PATTERNS["sv"]).get(fmt, fmt)
    return format_datetime(value, format=pattern, tzinfo=STOCKHOLM, locale=locale)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda m: i18n.gettext(m), lambda s, p, n: i18n.ngettext(s, p, n), newstyle=True
    )
    env.filters["datetime"] = _datetime
    env.globals["role_labels"] = roles.LABELS
    return env


ENV = build_environment()


def _nav(user: SignedIn | None, development: bool, path: str) -> list[dict[str, Any]]:
    if user is None:
        return []
    items = []
    for item in NAVIGATION:
        if item.development_only and not development:
            continue
        if not user.has_role(*item.roles):
            continue
        current = path == item.path or (item.path != "/" and path.startswith(item.path + "/"))
        items.append({"path": item.path, "label": i18n.gettext(item.label), "current": current})
    return items


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    user: SignedIn | None = getattr(request.state, "user", None)
    response = HTMLResponse(status_code=status_code)
    if user is None:
        csrf.ensure_pre_session(request, response)
    flash_message = flash.take(request, response)
    html = ENV.get_template(template).render(
        request=request,
        user=user,
        locale=i18n.current_locale(),
        languages=i18n.LANGUAGE_NAMES,
        csrf_token=csrf.expected_token(request) or "",
        flash=i18n.gettext(flash_message) if flash_message else None,
        nav=_nav(user, settings.development, request.url.path),
        development=settings.development,
        oidc_enabled=settings.oidc_enabled,
        oidc_label=settings.oidc_label,
        path=request.url.path,
        **context,
    )
    response.body = response.render(html)
    response.headers["content-length"] = str(len(response.body))
    return response
