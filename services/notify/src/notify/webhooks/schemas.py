"""HTTP schemas of the webhook routes (Create/Update/Public)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class EndpointCreate(BaseModel):
    # Empty by default: the use case says in Swedish what is missing, field by field.
    url: str = Field(default="", max_length=4000, description="Where to send: https://…")
    topics: list[str] = Field(
        default_factory=list, description="What to send, e.g. event.published; see GET /v1/webhooks/topics"
    )
    contact_email: str = Field(default="", max_length=320, description="Told when the endpoint is turned off")
    description: str = Field(default="", max_length=2000)
    organisation_id: uuid.UUID | None = Field(
        default=None, description="Administrators only: whose endpoint; a representative's is their own"
    )


class EndpointUpdate(BaseModel):
    url: str | None = Field(default=None, max_length=4000)
    topics: list[str] | None = None
    contact_email: str | None = Field(default=None, max_length=320)
    description: str | None = Field(default=None, max_length=2000)
    enabled: bool | None = Field(default=None, description="true turns a disabled endpoint on again")


class EndpointPublic(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    url: str
    description: str
    topics: list[str]
    contact_email: str
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    # During a rotation: until when the old secret still signs beside the new one.
    previous_secret_until: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any, now: datetime) -> EndpointPublic:
        until = row["previous_secret_until"]
        return cls(
            id=row["id"],
            organisation_id=row["organisation_id"],
            url=row["url"],
            description=row["description"],
            topics=list(row["topics"]),
            contact_email=row["contact_email"],
            enabled=row["disabled_at"] is None,
            disabled_at=row["disabled_at"],
            disabled_reason=row["disabled_reason"],
            failing_since=row["failing_since"],
            previous_secret_until=until if until is not None and until > now else None,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class EndpointWithSecret(EndpointPublic):
    """Answered once, when the endpoint is made or its secret rotated: the secret is not shown again."""

    secret: str


class Topic(BaseModel):
    topic: str
    label: str


class MessagePublic(BaseModel):
    id: uuid.UUID
    webhook_id: str
    topic: str
    cause_event_id: uuid.UUID | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    created_at: datetime
    succeeded_at: datetime | None


class AttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class MessageDetail(MessagePublic):
    body: str
    attempts_made: list[AttemptPublic]


class ReplayFailed(BaseModel):
    since: datetime
    until: datetime


class Replayed(BaseModel):
    count: int
