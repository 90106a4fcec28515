"""The events the notify service publishes."""

from __future__ import annotations

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
