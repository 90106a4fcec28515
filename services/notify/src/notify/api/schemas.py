"""HTTP schemas of the notify API (request bodies and answers); never the bus payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from backbone.paging import Page
from notify.preferences import Choice

__all__ = ["Page"]
State = Literal["queued", "sent", "deferred", "failed", "bounced"]


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    recipient: str
    template: str
    category: str
    cause_event_id: uuid.UUID
    message_id: str
    state: State
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    bounced_at: datetime | None
    next_attempt_at: datetime


class AttemptPublic(BaseModel):
    at: datetime
    outcome: Literal["sent", "deferred", "failed", "bounced"]
    reason: str | None


class BouncedAddressPublic(BaseModel):
    address: str
    bounced_at: datetime
    status: str | None
    reason: str | None
    email_id: uuid.UUID | None = Field(description="The email whose bounce stopped bulk mail to the address")


class DeliveryDetail(DeliveryPublic):
    subject: str
    attempts_log: list[AttemptPublic]
    # Set while bulk mail to the recipient is stopped by a permanent bounce (any email's).
    address_bounced: BouncedAddressPublic | None = None


class BouncedAddressClear(BaseModel):
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]


class FailingDelivery(BaseModel):
    id: uuid.UUID
    recipient: str
    template: str
    state: Literal["deferred", "failed", "bounced"]
    attempts: int
    last_error: str | None
    created_at: datetime


class FailingNow(BaseModel):
    deferred: int = Field(description="Waiting for a new try after a failed one, or while the relay is away")
    failed: int = Field(description="Failed for good within the window")
    bounced: int = Field(description="Bounced within the window")
    oldest_deferred_at: datetime | None
    window_seconds: float
    latest: list[FailingDelivery]


class BounceReport(BaseModel):
    message_id: str = Field(min_length=3, max_length=998)
    reason: str = Field(min_length=1, max_length=4000)


class LinkToken(BaseModel):
    token: str = Field(min_length=1, max_length=4000)


class CategoryChoice(BaseModel):
    category: str
    label: str
    choice: Choice
    bulk: bool


class PreferencesPublic(BaseModel):
    address: str
    digest_hour: int
    digest_weekday: int
    categories: list[CategoryChoice]
    version: int  # send it back with a change: a stale form is refused (409, stale_version)


class PreferencesUpdate(BaseModel):
    token: str = Field(min_length=1, max_length=4000)
    choices: dict[str, Choice]
    digest_hour: int = Field(ge=0, le=23)
    digest_weekday: int = Field(ge=1, le=7)
    version: int = Field(ge=0, description="The version the form was read at (PreferencesPublic.version)")


class Unsubscribed(BaseModel):
    category: str
    label: str
