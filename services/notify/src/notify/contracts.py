"""The events the notify service publishes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from backbone.contracts import event_type


class EmailSentV1(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_id: str
    template: str
    cause_event_id: str
    message_id: str


EMAIL_SENT = event_type(
    "notify.email.sent.v1",
    EmailSentV1,
    aggregate="email",
    description="An email was handed to the mail server (the recipient is not on the bus).",
)


class RightsCompletedV1(BaseModel):
    """Notify's answer to a volunteer's export or erasure request (the shape every service answers
    with, docs/rights.md; copied from the volunteers service's, not imported)."""

    model_config = ConfigDict(extra="forbid")
    request_id: str
    service: str  # always "notify": the volunteers service ignores an answer whose prefix differs
    # "done", "nothing_held" (nothing about the person here) or "failed" (detail says why)
    status: str
    detail: str
    # An export's part: what notify holds about the person as one JSON object; None for an erasure.
    data: dict[str, Any] | None


EXPORT_COMPLETED = event_type(
    "notify.export.completed.v1",
    RightsCompletedV1,
    aggregate="rights_request",
    description="Notify's part of a volunteer's export: emails to their address, preferences, digests.",
)
ERASURE_COMPLETED = event_type(
    "notify.erasure.completed.v1",
    RightsCompletedV1,
    aggregate="rights_request",
    description="Notify has erased a volunteer: emails kept only as delivery log rows without an address.",
)
