"""Request and response bodies for meetings."""

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, EmailStr, Field, model_validator

from backbone.paging import Page
from meetings import scheduling
from meetings.api.schemas.input import Input, TimeZone


class InviteeCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class MeetingCreate(Input):
    title: str = Field(min_length=1, max_length=300)
    group_name: str | None = Field(default=None, max_length=200)
    group_id: uuid.UUID | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: TimeZone | None = Field(default=None, description="By default the service's own time zone")
    place: str | None = Field(default=None, max_length=300)
    invitees: list[InviteeCreate] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _ends_after_start(self) -> "MeetingCreate":
        if self.ends_at <= self.starts_at:
            raise ValueError("the meeting must end after it starts (ends_at is before or equal to starts_at)")
        return self

    def to_domain(self, *, timezone: str) -> scheduling.NewMeeting:
        """The use case's input; `timezone` is the service's, for a meeting that names none."""
        return self._into(
            scheduling.NewMeeting,
            timezone=self.timezone or timezone,
            invitees=[(i.name, str(i.email)) for i in self.invitees],
        )


class MeetingUpdate(Input):
    """PATCH a meeting: move it to another time or place."""

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
