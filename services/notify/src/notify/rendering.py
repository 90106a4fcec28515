"""Renders emails from Jinja2 templates: Swedish, plain text and HTML, dates in the meeting's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def _environment(zone: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["datum"] = lambda v: format_datetime(_local(v, zone), "EEEE d MMMM", locale="sv_SE")
    env.filters["datum_tid"] = lambda v: format_datetime(
        _local(v, zone), "EEEE d MMMM y 'kl.' HH:mm", locale="sv_SE"
    )
    env.filters["tid"] = lambda v: format_datetime(_local(v, zone), "HH:mm", locale="sv_SE")
    return env


def render(template: str, context: dict[str, Any], *, timezone: str = "Europe/Stockholm") -> RenderedEmail:
    env = _environment(timezone)
    subject = env.get_template(f"{template}.subject.txt").render(context).strip()
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=env.get_template(f"{template}.txt").render(context),
        html=env.get_template(f"{template}.html").render(context),
    )
