"""Request and response bodies for attendance, roll calls and attendance statistics."""

import uuid

from pydantic import BaseModel, Field, model_validator

from meetings import attendance
from meetings.api.schemas.input import Input
from meetings.model import AttendanceStatus


class AttendanceUpdate(Input):
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


class RollCallMarkUpdate(Input):
    key: str = Field(pattern=r"^(person:[0-9a-f-]{36}|invitee:\d{1,4})$", max_length=50)
    status: AttendanceStatus


class GuestCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    organisation_name: str | None = Field(default=None, max_length=200)


class RollCallUpdate(Input):
    entries: list[RollCallMarkUpdate] = Field(
        default_factory=list, max_length=1000, description="One mark per key; a key sent twice is refused"
    )
    guests: list[GuestCreate] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _each_key_once(self) -> "RollCallUpdate":
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

    def to_domain(self) -> attendance.RollCall:
        return attendance.RollCall(
            marks=[m._into(attendance.RollCallMark) for m in self.entries],
            guests=[g._into(attendance.Guest, name=g.name.strip()) for g in self.guests],
        )


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
