"""HTTP schemas of the meetings API (kept apart from bus payloads and domain rules)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator


class InviteeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    group_name: str | None = Field(default=None, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: str = "Europe/Stockholm"
    place: str | None = Field(default=None, max_length=300)
    invitees: list[InviteeIn] = Field(default_factory=list, max_length=500)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone we know; use e.g. Europe/Stockholm") from None
        return value

    @model_validator(mode="after")
    def _ends_after_start(self) -> MeetingCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("the meeting must end after it starts (ends_at is before or equal to starts_at)")
        return self


class InviteePublic(BaseModel):
    name: str
    email: str


class MeetingPublic(BaseModel):
    id: uuid.UUID
    title: str
    group_name: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    status: str
    version: int
    invitees: list[InviteePublic] = []


class MeetingPage(BaseModel):
    items: list[MeetingPublic]
    total: int
    limit: int
    offset: int
