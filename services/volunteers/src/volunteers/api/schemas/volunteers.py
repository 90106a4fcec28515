"""Bodies of the volunteer routes: profile, availability, trainings and certificates, pools, consent."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, EmailStr, Field, ValidationInfo, field_validator

from volunteers.api.schemas.input import Input, Key, Language, LongText, Phone, ShortText, Text
from volunteers.model import (
    AvailabilityException,
    Channel,
    ConsentHow,
    MembershipStatus,
    NewConsent,
    NewQualification,
    NewVolunteer,
    RequirementKind,
    VolunteerStatus,
    WeeklySlot,
    check_weekly_slot,
)
from volunteers.people import VolunteerChanges


class MembershipCreate(Input):
    pool_id: uuid.UUID
    status: MembershipStatus = "applied"


class VolunteerCreate(Input):
    name: Text
    email: EmailStr | None = None
    phone: Phone | None = None
    preferred_channel: Channel = "email"
    language: Language = "sv"
    languages: list[Language] = Field(default_factory=lambda: ["sv"], max_length=20)
    areas: list[Text] = Field(default_factory=list, max_length=50)
    does_not_want: LongText = ""
    client_units: list[Text] = Field(default_factory=list, max_length=50)
    pools: list[MembershipCreate] = Field(default_factory=list, max_length=20)

    def to_domain(self) -> NewVolunteer:
        return NewVolunteer(
            name=self.name,
            email=self.email,
            phone=self.phone,
            preferred_channel=self.preferred_channel,
            language=self.language,
            languages=tuple(self.languages),
            areas=tuple(self.areas),
            does_not_want=self.does_not_want,
            client_units=tuple(self.client_units),
        )


class VolunteerUpdate(Input):
    """The whole profile as it should be, with the version it was read at."""

    version: int
    name: Text
    email: EmailStr | None = None
    phone: Phone | None = None
    preferred_channel: Channel = "email"
    language: Language = "sv"
    languages: list[Language] = Field(default_factory=lambda: ["sv"], max_length=20)
    areas: list[Text] = Field(default_factory=list, max_length=50)
    does_not_want: LongText = ""
    client_units: list[Text] = Field(default_factory=list, max_length=50)
    status: VolunteerStatus = "active"

    def to_domain(self) -> VolunteerChanges:
        return VolunteerChanges(
            name=self.name,
            email=self.email,
            phone=self.phone,
            preferred_channel=self.preferred_channel,
            language=self.language,
            languages=tuple(self.languages),
            areas=tuple(self.areas),
            does_not_want=self.does_not_want,
            client_units=tuple(self.client_units),
            status=self.status,
        )


class WeeklySlotBody(Input):
    weekday: int = Field(ge=1, le=7, description="1 Monday .. 7 Sunday")
    starts: time
    ends: time

    @field_validator("ends")
    @classmethod
    def _after_start(cls, ends: time, info: ValidationInfo) -> time:
        # Here as well as in the use case, so that the refusal names the slot it is about.
        if isinstance(info.data.get("starts"), time):
            check_weekly_slot(info.data["starts"], ends)
        return ends

    def to_domain(self) -> WeeklySlot:
        return WeeklySlot(weekday=self.weekday, starts=self.starts, ends=self.ends)


class WeeklyUpdate(Input):
    slots: list[WeeklySlotBody] = Field(max_length=50)


class ExceptionCreate(Input):
    starts_at: datetime
    ends_at: datetime
    available: bool
    note: ShortText = ""

    def to_domain(self) -> AvailabilityException:
        return AvailabilityException(self.starts_at, self.ends_at, self.available, self.note)


class QualificationCreate(Input):
    key: Key
    kind: RequirementKind
    completed_on: date
    expires_on: date | None = None
    note: ShortText = ""

    def to_domain(self) -> NewQualification:
        return NewQualification(self.key, self.kind, self.completed_on, self.expires_on, self.note)


class PoolQualificationCreate(Input):
    """One training (agreement, certificate) done by several members of the pool; its kind is the
    pool's requirement's."""

    key: Key
    completed_on: date
    expires_on: date | None = None
    note: ShortText = ""
    volunteer_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)

    def to_domain(self) -> NewQualification:
        # The kind given here is not used: the pool's requirement says what it is.
        return NewQualification(self.key, "training", self.completed_on, self.expires_on, self.note)


class MembershipUpdate(Input):
    status: MembershipStatus


class ConsentCreate(Input):
    purpose: Key
    text_version: Text
    given_how: ConsentHow
    given_at: datetime | None = None

    def to_domain(self) -> NewConsent:
        return NewConsent(self.purpose, self.text_version, self.given_how, self.given_at)


class ConsentWithdraw(Input):
    how: ConsentHow


class MembershipPublic(BaseModel):
    pool_id: uuid.UUID
    pool_key: str
    pool_name: str
    status: MembershipStatus


class WeeklySlotPublic(BaseModel):
    weekday: int
    starts: time
    ends: time


class ExceptionPublic(BaseModel):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    available: bool
    note: str


class QualificationPublic(BaseModel):
    id: uuid.UUID
    key: str
    kind: RequirementKind
    completed_on: date
    expires_on: date | None
    note: str


class PoolQualificationPublic(QualificationPublic):
    volunteer_id: uuid.UUID


class ConsentPublic(BaseModel):
    id: uuid.UUID
    purpose: str
    text_version: str
    given_at: datetime
    given_how: ConsentHow
    withdrawn_at: datetime | None
    withdrawn_how: ConsentHow | None


class AssignmentOfVolunteer(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    pool_id: uuid.UUID
    pool_name: str
    place: str
    starts_at: datetime
    ends_at: datetime
    status: str


class VolunteerSummary(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    preferred_channel: Channel
    status: VolunteerStatus
    languages: list[str]
    areas: list[str]
    memberships: list[MembershipPublic]
    # The first date one of their trainings or certificates runs out (today or later), if any.
    next_expiry: date | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> VolunteerSummary:
        return cls.model_validate(row)


class VolunteerPublic(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    preferred_channel: Channel
    language: str
    languages: list[str]
    areas: list[str]
    does_not_want: str
    client_units: list[str]
    status: VolunteerStatus
    version: int
    created_at: datetime
    memberships: list[MembershipPublic]
    weekly: list[WeeklySlotPublic]
    exceptions: list[ExceptionPublic]
    qualifications: list[QualificationPublic]
    consents: list[ConsentPublic]
    assignments: list[AssignmentOfVolunteer]

    @classmethod
    def of(cls, row: dict[str, Any]) -> VolunteerPublic:
        return cls.model_validate(row)
