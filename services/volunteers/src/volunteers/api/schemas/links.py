"""Bodies of the link routes: what a volunteer sees and answers from a link, with no account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from volunteers.api.schemas.input import Input, ShortText
from volunteers.model import AssignmentStatus, OfferStatus, RequestStatus


class LinkToken(Input):
    token: str = Field(min_length=1, max_length=2000)


class CancelByLink(LinkToken):
    reason: ShortText | None = None


class RequestForVolunteer(BaseModel):
    """What the volunteer may know of the request: no one else's name."""

    pool_name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    needs: str
    status: RequestStatus


class OfferView(BaseModel):
    offer_id: uuid.UUID
    # What the link does when its button is pressed.
    action: Literal["accept", "decline"]
    status: OfferStatus
    expires_at: datetime
    can_answer: bool
    volunteer_name: str
    request: RequestForVolunteer


class OfferAnswer(BaseModel):
    offer_id: uuid.UUID
    status: OfferStatus
    assignment_id: uuid.UUID | None
    # A sentence for the person, in Swedish.
    message: str


class AssignmentView(BaseModel):
    assignment_id: uuid.UUID
    status: AssignmentStatus
    can_cancel: bool
    request: RequestForVolunteer


class AssignmentCancelled(BaseModel):
    assignment_id: uuid.UUID
    status: AssignmentStatus
    message: str


class ConsentForVolunteer(BaseModel):
    """One standing consent as its giver sees it: nothing else about them."""

    purpose: str
    text_version: str
    given_at: datetime
    given_how: str


class ConsentsView(BaseModel):
    consents: list[ConsentForVolunteer]


class ConsentWithdrawByLink(LinkToken):
    purpose: ShortText


class ConsentWithdrawnByLink(BaseModel):
    detail: str
    purpose: str
    withdrawn_at: datetime
    offers_withdrawn: int


class ConsentsLinkIssued(BaseModel):
    token: str
    expires_at: datetime
