"""Request and response bodies for importing old minutes and reviewing the import."""

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from meetings.api.schemas.input import Input
from meetings.api.schemas.minutes import DecisionCreate
from meetings.importer import ParsedMinutes
from meetings.model import AttendanceStatus, ImportStatus, SectionKind


class ImportCreate(Input):
    text: str = Field(min_length=1, max_length=500_000)
    year: int | None = Field(default=None, ge=1990, le=2100, description="When the text gives no year")
    source_name: str | None = Field(default=None, max_length=300)
    group_id: uuid.UUID | None = None


class ReviewedAttendee(Input):
    name: str = Field(min_length=1, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    status: AttendanceStatus | None = Field(
        default=None, description="By default present for attendees and excused for the absent list"
    )
    role: str | None = None


class ReviewedSection(Input):
    heading: str | None = Field(default=None, max_length=300)
    text: str = Field(default="", max_length=50_000)
    kind: SectionKind | None = None


class ReviewedActionItem(Input):
    text: str = Field(min_length=1, max_length=2000)
    owner: str | None = Field(default=None, max_length=200)
    owner_person_id: uuid.UUID | None = None
    due_date: dt.date | None = None
    section: str | None = None


class ImportUpdate(Input):
    """PUT an import: a person's review of what the parser read."""

    version: int
    title: str | None = Field(default=None, max_length=300)
    date: dt.date
    group: str | None = None
    group_id: uuid.UUID | None = None
    minute_taker: str | None = Field(default=None, max_length=200)
    attendees: list[ReviewedAttendee] = Field(default_factory=list, max_length=500)
    absent: list[ReviewedAttendee] = Field(default_factory=list, max_length=500)
    sections: list[ReviewedSection] = Field(default_factory=list, max_length=200)
    decisions: list[DecisionCreate] = Field(default_factory=list, max_length=200)
    action_items: list[ReviewedActionItem] = Field(default_factory=list, max_length=200)

    def to_domain(self) -> ParsedMinutes:
        """The review as the document it writes over the parse: only the fields it gives."""
        return ParsedMinutes.model_validate(self)


class ImportPublic(BaseModel):
    id: uuid.UUID
    source_name: str | None
    year: int | None
    status: ImportStatus
    meeting_id: uuid.UUID | None
    minutes_id: uuid.UUID | None
    version: int
    parsed: ParsedMinutes
    created_at: dt.datetime


class ImportSummary(BaseModel):
    id: uuid.UUID
    source_name: str | None
    status: str
    title: str | None
    date: str | None
    warning_count: int | None
    meeting_id: uuid.UUID | None
    minutes_id: uuid.UUID | None
    version: int
    created_at: dt.datetime
