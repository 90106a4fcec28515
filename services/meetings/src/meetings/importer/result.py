"""What the parser returns: typed records of one set of minutes, and their one JSON form."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import SerializerFunctionWrapHandler, TypeAdapter, computed_field, model_serializer


@dataclass(frozen=True, slots=True)
class Attendee:
    name: str
    organisation: str | None = None
    role: str | None = None  # "ordförande", "sekreterare" ... when the list says so


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None  # None for text before the first heading
    text: str  # paragraphs separated by a blank line; bullets as "- ", sub-bullets as "  - "


@dataclass(frozen=True, slots=True)
class Decision:
    text: str
    section: str | None


@dataclass(frozen=True, slots=True)
class ActionItem:
    text: str
    owner: str | None  # as written ("Martina", "Leif och Catrin"); None when no owner can be read
    section: str | None


@dataclass(frozen=True, slots=True)
class MentionedDate:
    phrase: str  # as written, e.g. "den 3 och 4 maj"; a phrase naming two days gives two entries
    sentence: str
    date: dt.date | None  # None when the phrase names no single day or the year is unknown
    section: str | None


# The fields are in the order of the JSON form, which `meetings-import --json` prints and people read.
@dataclass(slots=True, kw_only=True)
class ParsedMinutes:
    title: str | None
    date: dt.date | None
    group: str | None
    source_name: str | None = None
    attendees: list[Attendee] = field(default_factory=list)
    absent: list[Attendee] = field(default_factory=list)
    minute_taker: str | None = None
    sections: list[Section] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    mentioned_dates: list[MentionedDate] = field(default_factory=list)
    next_meeting: dt.date | None = None
    warnings: list[str] = field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def needs_review(self) -> bool:
        return bool(self.warnings)

    @model_serializer(mode="wrap")
    def _review_flag_under_the_date(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A computed field comes last; the flag has always stood right under the date, where a
        # person reading the JSON looks first.
        data: dict[str, Any] = handler(self)
        return {
            "title": data.pop("title"),
            "date": data.pop("date"),
            "needs_review": data.pop("needs_review"),
            **data,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (dates as ISO strings), made by pydantic from the types above."""
        return _JSON_FORM.dump_python(self, mode="json")


_JSON_FORM = TypeAdapter(ParsedMinutes)
