"""Renders emails from Jinja2 templates: Swedish or English, plain text and HTML, dates in the event's zone.

Each template is three files per language under `templates/<language>/`: `<name>.subject.txt`,
`<name>.txt` and `<name>.html`, on that language's `_layout`; `templates/_macros.html` is shared.
`TEMPLATES` lists every template with its category, which is what preferences and digests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context, select_autoescape
from jinja2.runtime import Context

TEMPLATES_DIR = Path(__file__).parent / "templates"
Language = Literal["sv", "en"]
LANGUAGES: tuple[Language, ...] = ("sv", "en")
DEFAULT_LANGUAGE: Language = "sv"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class TemplateInfo:
    """What a template is for: its category (preferences and digests go by it) and whether it is
    critical (an offer waiting for an answer, a cancellation, a changed time: never off or delayed)."""

    category: str
    critical: bool
    description: str  # Swedish, for the staff's preview page


# Every template notify sends; the preview pages and the tests go through this list.
TEMPLATES: dict[str, TemplateInfo] = {
    "meeting_scheduled": TemplateInfo("meetings", False, "Inbjudan till ett möte, med kalenderfil"),
    "meeting_rescheduled": TemplateInfo("meetings", True, "Ett möte har fått en ny tid"),
    "meeting_cancelled": TemplateInfo("meetings", True, "Ett möte är inställt"),
    "minutes_published": TemplateInfo("minutes", False, "Protokollet är klart eller rättat"),
    "action_item_assigned": TemplateInfo("action_items", False, "En ny uppgift till den som ska göra den"),
    "action_item_due_soon": TemplateInfo("action_items", False, "Påminnelse: en uppgift ska snart vara klar"),
    "action_item_overdue": TemplateInfo("action_items", False, "En uppgift är försenad"),
    "registration_confirmed": TemplateInfo(
        "registrations", True, "Anmälan är klar: en plats, med kalenderfil"
    ),
    "registration_waiting": TemplateInfo("registrations", True, "Anmälan är klar: en plats på väntelistan"),
    "registration_promoted": TemplateInfo(
        "registrations", True, "En plats från väntelistan, med kalenderfil"
    ),
    "offer_made": TemplateInfo("registrations", True, "Erbjudande om en plats: ja eller nej"),
    "offer_accepted": TemplateInfo("registrations", True, "Platsen är din, med kalenderfil"),
    "offer_expired": TemplateInfo("registrations", False, "Tiden för ett erbjudande gick ut"),
    "event_changed": TemplateInfo("registrations", True, "Ny tid eller plats för ett evenemang"),
    "event_cancelled": TemplateInfo("registrations", True, "Ett evenemang är inställt"),
    "event_reminder": TemplateInfo("reminders", False, "Påminnelse före ett evenemang"),
    "volunteer_offer": TemplateInfo("volunteering", True, "Fråga till en volontär: ja eller nej"),
    "volunteer_assignment_confirmed": TemplateInfo(
        "volunteering", True, "En volontär har fått en plats, med avbokningslänk och kalenderfil"
    ),
    "volunteer_review_assigned": TemplateInfo(
        "volunteering", True, "Fråga till en volontär: läs en text i klarspråk, med länk"
    ),
    # To the staff member who asked (their work address travels in the volunteers service's event).
    "volunteer_request_filled": TemplateInfo(
        "volunteering", False, "Till den som bad om volontärer: alla platser är tillsatta"
    ),
    "volunteer_review_returned": TemplateInfo(
        "volunteering", False, "Till den som skickade en text: en granskare har svarat, med LIX"
    ),
    # notify.webhooks: to an organisation's contact when its endpoint was turned off (410, five days).
    "webhook_endpoint_disabled": TemplateInfo("other", True, "En webhook har stängts av"),
}

# Parsed once: Babel parses a locale given by name on every call.
_LOCALES: dict[str, Locale] = {"sv": Locale.parse("sv_SE"), "en": Locale.parse("en_GB")}
# Swedish writes the time with a dot ("kl. 13.30", Språkrådet); English with a colon.
_PATTERNS: dict[str, dict[str, str]] = {
    "datum": {"sv": "EEEE d MMMM", "en": "EEEE d MMMM"},
    "datum_tid": {"sv": "EEEE d MMMM y 'kl.' HH.mm", "en": "EEEE d MMMM y 'at' HH:mm"},
    "tid": {"sv": "HH.mm", "en": "HH:mm"},
    "dag_manad": {"sv": "d MMMM", "en": "d MMMM"},
}
_DAY = {"sv": "EEEE d MMMM y", "en": "EEEE d MMMM y"}


def language_of(value: str | None) -> Language:
    """The language an email is written in: English when asked for, else Swedish."""
    return "en" if value == "en" else DEFAULT_LANGUAGE


def _formatter(name: str) -> Any:
    @pass_context
    def fmt(ctx: Context, value: datetime) -> str:
        language = ctx["language"]
        local = value.astimezone(ZoneInfo(ctx["timezone"]))
        return format_datetime(local, _PATTERNS[name][language], locale=_LOCALES[language])

    return fmt


@pass_context
def _period(ctx: Context, starts_at: datetime, ends_at: datetime | None) -> str:
    """ "måndag 2 mars 2026 kl. 13.30–15.30"; the end's date too when it ends on another day."""
    language = ctx["language"]
    zone = ZoneInfo(ctx["timezone"])
    start, locale = starts_at.astimezone(zone), _LOCALES[language]
    text = format_datetime(start, _PATTERNS["datum_tid"][language], locale=locale)
    if ends_at is None:
        return text
    end = ends_at.astimezone(zone)
    pattern = _PATTERNS["tid" if end.date() == start.date() else "datum_tid"][language]
    joint = "–" if end.date() == start.date() else " – "
    return text + joint + format_datetime(end, pattern, locale=locale)


@pass_context
def _day(ctx: Context, value: date) -> str:
    language = ctx["language"]
    return format_date(value, _DAY[language], locale=_LOCALES[language])


@cache
def _environment(language: Language) -> Environment:
    # Built once per process and language: compiling the templates costs far more than rendering.
    env = Environment(
        loader=FileSystemLoader([TEMPLATES_DIR / language, TEMPLATES_DIR]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    for name in _PATTERNS:
        env.filters[name] = _formatter(name)
    env.filters["dag"] = _day
    env.filters["period"] = _period
    return env


@cache
def _template(language: Language, name: str) -> Template:
    return _environment(language).get_template(name)


def render(
    template: str, context: dict[str, Any], *, timezone: str, language: str | None = DEFAULT_LANGUAGE
) -> RenderedEmail:
    """The email in `language` ("sv" unless "en"), every date and time in it on `timezone`'s clock."""
    lang = language_of(language)
    ctx = {**context, "timezone": timezone, "language": lang}
    subject = _template(lang, f"{template}.subject.txt").render(ctx).strip()
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=_template(lang, f"{template}.txt").render(ctx),
        html=_template(lang, f"{template}.html").render(ctx),
    )
