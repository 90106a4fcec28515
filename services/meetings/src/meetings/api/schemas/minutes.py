"""Request and response bodies for minutes and their versions."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from meetings import minutes
from meetings.api.schemas.input import Input
from meetings.model import MinutesStatus, SectionKind


class SectionCreate(Input):
    heading: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=50_000)
    kind: SectionKind = "text"
    agenda_item_id: uuid.UUID | None = None
    working_group_id: uuid.UUID | None = None

    def to_domain(self) -> minutes.Section:
        return self._into(minutes.Section)


class DecisionCreate(Input):
    text: str = Field(min_length=1, max_length=5000)
    section: str | None = Field(default=None, max_length=300)

    def to_domain(self) -> minutes.Decision:
        return self._into(minutes.Decision)


class MinutesCreate(Input):
    title: str | None = Field(default=None, max_length=300)
    minute_taker: str | None = Field(default=None, max_length=200, description='"Vid pennan"')
    sections: list[SectionCreate] = Field(default_factory=list, max_length=200)
    decisions: list[DecisionCreate] = Field(default_factory=list, max_length=200)

    def to_domain(self) -> minutes.MinutesContent:
        return self._into(
            minutes.MinutesContent,
            sections=[s.to_domain() for s in self.sections],
            decisions=[d.to_domain() for d in self.decisions],
        )


class MinutesUpdate(MinutesCreate):
    revision: int = Field(description="The revision you read; 409 if someone saved in between")
    title: str = Field(min_length=1, max_length=300)
    minute_taker: str | None = Field(default=None, max_length=200)
    reviewed: bool | None = Field(
        default=None, description="true clears the needs-review mark of imported minutes"
    )


class MinutesAction(Input):
    revision: int
    approved_in_meeting_id: uuid.UUID | None = Field(
        default=None, description="approve only: the (later) meeting at which the group approved them"
    )


class MinutesCorrectionCreate(Input):
    note: str = Field(min_length=3, max_length=2000, description="What the correction changes, for readers")


class SectionPublic(BaseModel):
    heading: str
    text: str
    kind: str = "text"
    agenda_item_id: uuid.UUID | None = None
    working_group_id: uuid.UUID | None = None


class DecisionPublic(BaseModel):
    text: str
    section: str | None = None


class MinutesPublic(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    group_id: uuid.UUID | None = None
    version_no: int
    status: MinutesStatus
    title: str
    minute_taker: str | None
    sections: list[SectionPublic]
    decisions: list[DecisionPublic]
    correction_note: str | None
    needs_review: bool
    revision: int
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    approved_by: str | None = None
    approved_in_meeting_id: uuid.UUID | None = None
    published_at: datetime | None


class MinutesSummary(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    version_no: int
    status: str
    title: str
    minute_taker: str | None
    needs_review: bool
    revision: int
    published_at: datetime | None
    starts_at: datetime
    group_id: uuid.UUID | None


class MinutesVersion(BaseModel):
    id: uuid.UUID
    version_no: int
    status: str
    correction_note: str | None
    revision: int
    created_at: datetime
    approved_at: datetime | None
    published_at: datetime | None
