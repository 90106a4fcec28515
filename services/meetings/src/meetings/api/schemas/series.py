"""Request and response bodies for meeting series."""

import uuid
from datetime import date, time

from pydantic import BaseModel, Field, model_validator

from meetings import model, scheduling
from meetings.api.schemas.input import Input, TimeZone
from meetings.api.schemas.meetings import InviteeCreate, MeetingPublic


class RecurrenceCreate(Input):
    frequency: model.Frequency
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    interval: int = Field(default=1, ge=1, le=12, description="Every n weeks or months")
    week_of_month: model.WeekOfMonth | None = Field(
        default=None, description="Monthly only: 1 = the first weekday of the month ... -1 = the last"
    )

    @model_validator(mode="after")
    def _monthly_needs_week(self) -> "RecurrenceCreate":
        if self.frequency == "monthly" and self.week_of_month is None:
            raise ValueError(
                "a monthly series needs week_of_month (1 for 'the first Monday', -1 for the last)"
            )
        return self


class SeriesCreate(Input):
    title: str = Field(min_length=1, max_length=300)
    group_id: uuid.UUID | None = None
    place: str | None = Field(default=None, max_length=300)
    timezone: TimeZone | None = Field(default=None, description="By default the service's own time zone")
    recurrence: RecurrenceCreate
    start_time: time = Field(description="Local wall-clock time, e.g. 13:30")
    duration_minutes: int = Field(ge=5, le=24 * 60)
    starts_on: date
    until: date | None = None
    count: int | None = Field(default=None, ge=1, le=120)
    invitees: list[InviteeCreate] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _has_end(self) -> "SeriesCreate":
        if self.until is None and self.count is None:
            raise ValueError("give the series an end: until (a date) or count (number of meetings)")
        if self.until is not None and self.until < self.starts_on:
            raise ValueError("until is before starts_on")
        return self

    def to_domain(self, *, timezone: str) -> scheduling.NewSeries:
        """The use case's input; `timezone` is the service's, for a series that names none."""
        return self._into(
            scheduling.NewSeries,
            timezone=self.timezone or timezone,
            rule=self.recurrence._into(model.Recurrence),
            extra_invitees=[(i.name, str(i.email)) for i in self.invitees],
        )


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
