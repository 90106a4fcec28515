"""What an import holds: the parser's typed records of one set of minutes, then a review's over them.

One set of types from the parser to the API: the parser fills what it reads, a person's review
(PUT /v1/imports/{id}) replaces what it gives and adds what only a person can say (an attendee's
status, a section's kind, an action item's owner_person_id and due_date). Those review fields appear
in the JSON form only once given, so a parse reads as the parser wrote it.

Imports stored by older versions lack what was added since and may hold what was dropped since:
every field but the essentials has a default and unknown keys are ignored, so each stays readable.
"""

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from meetings.model import AttendanceStatus, SectionKind


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", from_attributes=True)


class Attendee(_Record):
    model_config = ConfigDict(frozen=True)

    name: str
    organisation: str | None = None
    role: str | None = None  # "ordförande", "sekreterare" ... when the list says so
    status: AttendanceStatus | None = Field(
        default=None, description="Set by a review; by default present for attendees, excused for the absent"
    )


class Section(_Record):
    model_config = ConfigDict(frozen=True)

    heading: str | None = None  # None for text before the first heading
    text: str = ""  # paragraphs separated by a blank line; bullets as "- ", sub-bullets as "  - "
    kind: SectionKind | None = Field(default=None, description="Set by a review")


class Decision(_Record):
    model_config = ConfigDict(frozen=True)

    text: str
    section: str | None = None


class ActionItem(_Record):
    model_config = ConfigDict(frozen=True)

    text: str
    owner: str | None = None  # as written ("Martina", "Leif och Catrin"); None when no owner can be read
    section: str | None = None
    owner_person_id: uuid.UUID | None = Field(default=None, description="Set by a review")
    due_date: dt.date | None = Field(default=None, description="Set by a review")


class MentionedDate(_Record):
    model_config = ConfigDict(frozen=True)

    phrase: str  # as written, e.g. "den 3 och 4 maj"; a phrase naming two days gives two entries
    sentence: str = ""
    date: dt.date | None = None  # None when the phrase names no single day or the year is unknown
    section: str | None = None


# The fields are in the order of the JSON form, which `meetings-import --json` prints and people read:
# the review flag right under the date, where a person reading the JSON looks first.
class ParsedMinutes(_Record):
    title: str | None = None
    date: dt.date | None = None  # `dt.date`: in the class body, `date` is this field and hides the type
    needs_review: bool = True
    group: str | None = None
    source_name: str | None = None
    attendees: list[Attendee] = Field(default_factory=list)
    absent: list[Attendee] = Field(default_factory=list)
    minute_taker: str | None = None
    sections: list[Section] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    mentioned_dates: list[MentionedDate] = Field(default_factory=list)
    next_meeting: dt.date | None = None
    warnings: list[str] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The parser's JSON form (dates as ISO strings): every field it reads, none of a review's."""
        return self.model_dump(mode="json", exclude=_REVIEW_FIELDS)

    def stored(self) -> dict[str, Any]:
        """What a review writes over the stored document: only the fields it gave."""
        return self.model_dump(mode="json", exclude_unset=True)


# What only a review says, left out of the parser's JSON form (a review's own JSON is `stored()`).
_REVIEW_FIELDS: dict[str, Any] = {
    "attendees": {"__all__": {"status"}},
    "absent": {"__all__": {"status"}},
    "sections": {"__all__": {"kind"}},
    "action_items": {"__all__": {"owner_person_id", "due_date"}},
}
