"""Renders emails from Jinja2 templates: Swedish, plain text and HTML, dates in the meeting's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context, select_autoescape
from jinja2.runtime import Context

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _formatter(pattern: str) -> Any:
    @pass_context
    def fmt(ctx: Context, value: datetime) -> str:
        local = value.astimezone(ZoneInfo(ctx["timezone"]))
        return format_datetime(local, pattern, locale="sv_SE")

    return fmt


@cache
def _environment() -> Environment:
    # Built once per process: compiling the templates costs far more than rendering them.
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["datum"] = _formatter("EEEE d MMMM")
    env.filters["datum_tid"] = _formatter("EEEE d MMMM y 'kl.' HH:mm")
    env.filters["tid"] = _formatter("HH:mm")
    env.filters["dag_manad"] = _formatter("d MMMM")
    env.filters["dag"] = lambda value: format_date(value, "EEEE d MMMM y", locale="sv_SE")
    return env


@cache
def _template(name: str) -> Template:
    return _environment().get_template(name)


def render(template: str, context: dict[str, Any], *, timezone: str) -> RenderedEmail:
    """The email in `timezone` (an IANA name): every date and time in it is read on that clock."""
    ctx = {**context, "timezone": timezone}
    subject = _template(f"{template}.subject.txt").render(ctx).strip()
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=_template(f"{template}.txt").render(ctx),
        html=_template(f"{template}.html").render(ctx),
    )
