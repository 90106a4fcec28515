"""HTTP schemas of the meetings API (kept apart from bus payloads and domain rules)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, model_validator

from backbone.paging import Page
from meetings.importing import ImportedMinutes

OrganisationKind = Literal["municipal", "user_organisation", "other"]
GroupKind = Literal["joint_development", "management", "working_group"]
MemberRole = Literal["member", "chair", "minute_taker"]
AgendaKind = Literal["theme", "working_group_report", "information", "decision", "other"]
AttendanceStatus = Literal["present", "excused", "absent", "guest"]
MinutesStatus = Literal["draft", "ready_for_review", "approved", "published", "superseded"]
ActionStatus = Literal["open", "done", "dropped"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not a time zone we know; use e.g. Europe/Stockholm") from None
    return value


TimeZone = Annotated[str, AfterValidator(_known_zone)]


# -- organisations, people, groups ------------------------------------------------------------


class OrganisationCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind = "user_organisation"


class OrganisationUpdate(Input):
    version: int = Field(description="The version you read; 409 if someone changed it since")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None


class OrganisationPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    version: int


class PersonCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    organisation_id: uuid.UUID | None = None


class PersonUpdate(Input):
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    organisation_id: uuid.UUID | None = None


class PersonPublic(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None = None
    version: int


class GroupCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    kind: GroupKind
    description: str | None = Field(default=None, max_length=2000)
    parent_group_id: uuid.UUID | None = None


class GroupPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    description: str | None
    parent_group_id: uuid.UUID | None
    member_count: int = 0


class MemberAdd(Input):
    organisation_id: uuid.UUID | None = Field(
        default=None, description="The organisation the person represents here; by default their own"
    )
    role: MemberRole = "member"


class MemberPublic(BaseModel):
    group_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str | None = None
    email: str | None = None
    organisation_id: uuid.UUID | None
    organisation_name: str | None = None
    role: str


# -- meetings and series ----------------------------------------------------------------------


class InviteeIn(Input):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class MeetingCreate(Input):
    title: str = Field(min_length=1, max_length=300)
    group_name: str | None = Field(default=None, max_length=200)
    group_id: uuid.UUID | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: TimeZone = "Europe/Stockholm"
    place: str | None = Field(default=None, max_length=300)
    invitees: list[InviteeIn] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _ends_after_start(self) -> MeetingCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("the meeting must end after it starts (ends_at is before or equal to starts_at)")
        return self


class MeetingMove(Input):
    version: int = Field(description="The version you read; 409 if someone changed the meeting since")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    place: str | None = Field(default=None, max_length=300)


class MeetingCancel(Input):
    version: int
    reason: str | None = Field(default=None, max_length=1000)


class InviteePublic(BaseModel):
    name: str
    email: str


class MeetingPublic(BaseModel):
    id: uuid.UUID
    title: str
    group_name: str | None
    group_id: uuid.UUID | None = None
    series_id: uuid.UUID | None = None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    status: str
    cancel_reason: str | None = None
    source: str = "api"
    version: int
    invitees: list[InviteePublic] = []


MeetingPage = Page[MeetingPublic]


class RecurrenceIn(Input):
    frequency: Literal["weekly", "monthly"]
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    interval: int = Field(default=1, ge=1, le=12, description="Every n weeks or months")
    week_of_month: Literal[1, 2, 3, 4, -1] | None = Field(
        default=None, description="Monthly only: 1 = the first weekday of the month ... -1 = the last"
    )

    @model_validator(mode="after")
    def _monthly_needs_week(self) -> RecurrenceIn:
        if self.frequency == "monthly" and self.week_of_month is None:
            raise ValueError(
                "a monthly series needs week_of_month (1 for 'the first Monday', -1 for the last)"
            )
        return self


class SeriesCreate(Input):
    title: str = Field(min_length=1, max_length=300)
    group_id: uuid.UUID | None = None
    place: str | None = Field(default=None, max_length=300)
    timezone: TimeZone = "Europe/Stockholm"
    recurrence: RecurrenceIn
    start_time: time = Field(description="Local wall-clock time, e.g. 13:30")
    duration_minutes: int = Field(ge=5, le=24 * 60)
    starts_on: date
    until: date | None = None
    count: int | None = Field(default=None, ge=1, le=120)
    invitees: list[InviteeIn] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _has_end(self) -> SeriesCreate:
        if self.until is None and self.count is None:
            raise ValueError("give the series an end: until (a date) or count (number of meetings)")
        if self.until is not None and self.until < self.starts_on:
            raise ValueError("until is before starts_on")
        return self


class SeriesPublic(BaseModel):
    id: uuid.UUID
    title: str
    group_id: uuid.UUID | None
    group_name: str | None = None
    place: str | None
    timezone: str
    frequency: str
    interval: int
    weekday: int
    week_of_month: int | None
    start_time: time
    duration_minutes: int
    starts_on: date
    until: date | None
    meetings: list[MeetingPublic] = []


# -- agenda -----------------------------------------------------------------------------------


class AgendaItemIn(Input):
    title: str = Field(min_length=1, max_length=300)
    kind: AgendaKind = "other"
    duration_minutes: int | None = Field(default=None, ge=1, le=600)
    responsible_person_id: uuid.UUID | None = None
    responsible_group_id: uuid.UUID | None = None
    guests: list[str] = Field(default_factory=list, max_length=50, description="Invited guests of a theme")
    description: str | None = Field(default=None, max_length=5000)
    position: int | None = Field(default=None, ge=1, description="1-based; the end when absent")


class AgendaOrder(Input):
    item_ids: list[uuid.UUID]


class AgendaItemPublic(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    kind: str
    duration_minutes: int | None
    responsible_person_id: uuid.UUID | None
    responsible_person_name: str | None = None
    responsible_group_id: uuid.UUID | None
    responsible_group_name: str | None = None
    guests: list[str]
    description: str | None


class ActionItemPublic(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    group_id: uuid.UUID | None
    text: str
    owner_person_id: uuid.UUID | None
    owner_name: str | None
    due_date: date | None
    status: str
    closed_in_meeting_id: uuid.UUID | None
    closing_note: str | None
    closed_at: datetime | None
    version: int


class AgendaPublic(BaseModel):
    meeting_id: uuid.UUID
    items: list[AgendaItemPublic]
    open_action_items: list[ActionItemPublic] = Field(
        description="Open action items from the group's earlier meetings, followed up at this one"
    )
    total_minutes: int


# -- attendance -------------------------------------------------------------------------------


class AttendanceIn(Input):
    status: AttendanceStatus
    organisation_id: uuid.UUID | None = Field(
        default=None, description="Who they represent at this meeting; by default from the group membership"
    )


class AttendancePublic(BaseModel):
    meeting_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    status: str
    organisation_id: uuid.UUID | None
    organisation_name: str | None


class RollCallEntry(BaseModel):
    key: str = Field(description="`person:<id>`, or `invitee:<position>` for an invitee not yet registered")
    person_id: uuid.UUID | None
    name: str
    status: str | None = Field(description="What is recorded so far; null when nothing is")
    organisation_id: uuid.UUID | None
    organisation_name: str | None


class RollCallPublic(BaseModel):
    meeting_id: uuid.UUID
    entries: list[RollCallEntry]


class RollCallMarkIn(Input):
    key: str = Field(pattern=r"^(person:[0-9a-f-]{36}|invitee:\d{1,4})$", max_length=50)
    status: AttendanceStatus


class GuestIn(Input):
    name: str = Field(min_length=1, max_length=200)
    organisation_name: str | None = Field(default=None, max_length=200)


class RollCallUpdate(Input):
    entries: list[RollCallMarkIn] = Field(
        default_factory=list, max_length=1000, description="One mark per key; a key sent twice is refused"
    )
    guests: list[GuestIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _each_key_once(self) -> RollCallUpdate:
        seen: set[str] = set()
        twice: dict[str, None] = {}
        for entry in self.entries:
            if entry.key in seen:
                twice[entry.key] = None
            seen.add(entry.key)
        if twice:
            repeated = ", ".join(list(twice)[:3]) + (" and more" if len(twice) > 3 else "")
            raise ValueError(
                f"the roll call names the same person more than once ({repeated}); "
                "send one mark per person and try again"
            )
        return self


class AttendanceCount(BaseModel):
    period: str = Field(description="YYYY-MM")
    organisation_id: uuid.UUID | None
    organisation_name: str
    present: int
    guest: int
    excused: int
    absent: int
    meetings: int


class AttendanceStatistics(BaseModel):
    group_id: uuid.UUID | None
    rows: list[AttendanceCount]


# -- minutes ----------------------------------------------------------------------------------


class SectionIn(Input):
    heading: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=50_000)
    kind: Literal["text", "working_group_report"] = "text"
    agenda_item_id: uuid.UUID | None = None
    working_group_id: uuid.UUID | None = None


class DecisionIn(Input):
    text: str = Field(min_length=1, max_length=5000)
    section: str | None = Field(default=None, max_length=300)


class MinutesCreate(Input):
    title: str | None = Field(default=None, max_length=300)
    minute_taker: str | None = Field(default=None, max_length=200, description='"Vid pennan"')
    sections: list[SectionIn] = Field(default_factory=list, max_length=200)
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=200)


class MinutesUpdate(Input):
    revision: int = Field(description="The revision you read; 409 if someone saved in between")
    title: str = Field(min_length=1, max_length=300)
    minute_taker: str | None = Field(default=None, max_length=200)
    sections: list[SectionIn] = Field(default_factory=list, max_length=200)
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=200)
    reviewed: bool | None = Field(
        default=None, description="true clears the needs-review mark of imported minutes"
    )


class MinutesAction(Input):
    revision: int
    approved_in_meeting_id: uuid.UUID | None = Field(
        default=None, description="approve only: the (later) meeting at which the group approved them"
    )


class MinutesCorrection(Input):
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


class DecisionEntry(BaseModel):
    minutes_id: uuid.UUID
    meeting_id: uuid.UUID
    group_id: uuid.UUID | None
    group_name: str | None
    starts_at: datetime
    minutes_title: str
    decision_no: int
    text: str
    section: str | None


class WorkingGroupReport(BaseModel):
    minutes_id: uuid.UUID
    meeting_id: uuid.UUID
    starts_at: datetime
    minutes_title: str
    heading: str
    text: str
    working_group_id: uuid.UUID | None
    working_group_name: str | None


# -- action items -----------------------------------------------------------------------------


class ActionItemCreate(Input):
    text: str = Field(min_length=1, max_length=2000)
    owner_person_id: uuid.UUID | None = None
    owner_name: str | None = Field(
        default=None, max_length=200, description="When the owner is not registered"
    )
    due_date: date | None = None


class ActionItemUpdate(ActionItemCreate):
    version: int


class ActionItemClose(Input):
    version: int
    status: Literal["done", "dropped"]
    closed_in_meeting_id: uuid.UUID | None = Field(
        default=None, description="The meeting where it was closed"
    )
    note: str | None = Field(default=None, max_length=2000)


# -- search -----------------------------------------------------------------------------------


class SearchHit(BaseModel):
    minutes_id: uuid.UUID
    meeting_id: uuid.UUID
    group_id: uuid.UUID | None
    group_name: str | None
    starts_at: datetime
    title: str
    version_no: int
    rank: float
    snippet: str
    snippet_html: str = Field(description="The snippet escaped as HTML, hits wrapped in <mark>")


# -- imports ----------------------------------------------------------------------------------


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
    kind: Literal["text", "working_group_report"] | None = None


class ReviewedActionItem(Input):
    text: str = Field(min_length=1, max_length=2000)
    owner: str | None = Field(default=None, max_length=200)
    owner_person_id: uuid.UUID | None = None
    due_date: date | None = None
    section: str | None = None


class ImportReview(Input):
    version: int
    title: str | None = Field(default=None, max_length=300)
    date: date
    group: str | None = None
    group_id: uuid.UUID | None = None
    minute_taker: str | None = Field(default=None, max_length=200)
    attendees: list[ReviewedAttendee] = Field(default_factory=list, max_length=500)
    absent: list[ReviewedAttendee] = Field(default_factory=list, max_length=500)
    sections: list[ReviewedSection] = Field(default_factory=list, max_length=200)
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=200)
    action_items: list[ReviewedActionItem] = Field(default_factory=list, max_length=200)


class ImportPublic(BaseModel):
    id: uuid.UUID
    source_name: str | None
    year: int | None
    status: Literal["needs_review", "reviewed"]
    meeting_id: uuid.UUID | None
    minutes_id: uuid.UUID | None
    version: int
    parsed: ImportedMinutes
    created_at: datetime


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
    created_at: datetime
