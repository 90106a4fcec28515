"""The events the volunteers service publishes, with their payloads (the publisher owns them).

Consumers read only the fields they need; fields are added, never removed or renamed, within a
major version. Everything about a request, its offers and its assignments shares the aggregate
`request`, so a consumer sees an offer after the request it belongs to and a place filled before
the request is. Events about a person's pools and consents share the aggregate `volunteer`. Events
that notify turns into messages carry the recipient's name, address and language and the links'
tokens: the links are `<public page>/…?token=<token>` and only this service can sign them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from backbone.contracts import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recipient(_Payload):
    name: str
    email: str | None
    phone: str | None
    # The language to write to them in ("sv", "en", ...), and how they want to be reached.
    language: str
    channel: str

    @classmethod
    def of(cls, volunteer: dict[str, Any]) -> Recipient:
        """Only the contact their channel needs travels on the bus: no phone number in an email
        offer, no address in one they are called or texted about (the other is null)."""
        by_mail = volunteer["preferred_channel"] == "email"
        return cls(
            name=volunteer["name"],
            email=volunteer["email"] if by_mail else None,
            phone=None if by_mail else volunteer["phone"],
            language=volunteer["language"],
            channel=volunteer["preferred_channel"],
        )


class VolunteerJoinedPoolV1(_Payload):
    volunteer_id: str
    pool_id: str
    pool_key: str


class VolunteerLeftPoolV1(_Payload):
    volunteer_id: str
    pool_id: str
    pool_key: str


class ConsentGivenV1(_Payload):
    volunteer_id: str
    consent_id: str
    purpose: str
    text_version: str
    given_at: datetime
    # "form", "paper", "email", "phone" or "link"
    given_how: str


class ConsentWithdrawnV1(_Payload):
    volunteer_id: str
    consent_id: str
    purpose: str
    withdrawn_at: datetime


class _AboutRequest(_Payload):
    request_id: str
    pool_id: str
    pool_key: str
    pool_name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    # "staff", or the service that asked ("events"), with its own id for the ask (an event's id).
    source: str
    source_ref: str | None


class RequestCreatedV1(_AboutRequest):
    seats: int
    requested_by: str


class StaffContact(_Payload):
    """Where notify tells a staff member of what they asked for: their work address and the language
    they read the pages in. Work data, not a volunteer's: it travels in the event, so notify needs no
    lookup (and no HTTP call to anyone) to tell them."""

    name: str | None
    email: str
    language: str

    @classmethod
    def of(cls, name: str | None, email: str | None, language: str | None) -> StaffContact | None:
        """None when the one who asked left no address (a service asking over the bus, or before
        the gateway sent addresses): nobody to write to."""
        return cls(name=name, email=email, language=language or "sv") if email else None


class RequestFilledV1(_AboutRequest):
    seats: int
    # Who asked (an identity subject of the gateway, or the asking service), to be told.
    requested_by: str
    requested_by_name: str | None
    volunteer_ids: list[str]
    # How to reach the one who asked (None: no address known, nobody is told by email).
    requested_by_contact: StaffContact | None = None


class RequestCancelledV1(_AboutRequest):
    reason: str | None


class OfferSentV1(_AboutRequest):
    offer_id: str
    volunteer_id: str
    needs: str
    expires_at: datetime
    accept_token: str
    decline_token: str
    recipient: Recipient


class OfferAnsweredV1(_Payload):
    offer_id: str
    request_id: str
    volunteer_id: str


class OfferExpiredV1(OfferAnsweredV1):
    expired_at: datetime


class OfferWithdrawnV1(OfferAnsweredV1):
    """The places were filled (or the request cancelled) before this person answered."""

    reason: str


class AssignmentConfirmedV1(_AboutRequest):
    assignment_id: str
    offer_id: str | None
    volunteer_id: str
    # Lets the volunteer cancel, until the assignment starts.
    cancel_token: str
    recipient: Recipient


class AssignmentCancelledV1(_Payload):
    assignment_id: str
    request_id: str
    volunteer_id: str
    # "volunteer" (by their link) or "staff"
    cancelled_by: str
    reason: str | None


VOLUNTEER_JOINED_POOL = event_type(
    "volunteers.volunteer.joined_pool.v1",
    VolunteerJoinedPoolV1,
    aggregate="volunteer",
    description="A volunteer became an active member of a pool and may be matched to its requests.",
)
VOLUNTEER_LEFT_POOL = event_type(
    "volunteers.volunteer.left_pool.v1",
    VolunteerLeftPoolV1,
    aggregate="volunteer",
    description="A volunteer left a pool; they get no more offers from it.",
)
CONSENT_GIVEN = event_type(
    "volunteers.consent.given.v1",
    ConsentGivenV1,
    aggregate="volunteer",
    description="A volunteer consented to a purpose (which text version, when, how).",
)
CONSENT_WITHDRAWN = event_type(
    "volunteers.consent.withdrawn.v1",
    ConsentWithdrawnV1,
    aggregate="volunteer",
    description="A volunteer withdrew a consent; what rests on it stops.",
)
REQUEST_CREATED = event_type(
    "volunteers.request.created.v1",
    RequestCreatedV1,
    aggregate="request",
    description="Staff or another service asked a pool for people at a time and place.",
)
REQUEST_FILLED = event_type(
    "volunteers.request.filled.v1",
    RequestFilledV1,
    aggregate="request",
    description="Every place of a request is taken; the one who asked should be told.",
)
REQUEST_CANCELLED = event_type(
    "volunteers.request.cancelled.v1",
    RequestCancelledV1,
    aggregate="request",
    description="A request was called off; its offers are withdrawn and its assignments cancelled.",
)
OFFER_SENT = event_type(
    "volunteers.offer.sent.v1",
    OfferSentV1,
    aggregate="request",
    description="A volunteer is offered a place on a request, with links to accept or decline.",
)
OFFER_ACCEPTED = event_type(
    "volunteers.offer.accepted.v1",
    OfferAnsweredV1,
    aggregate="request",
    description="A volunteer accepted an offer and got the place (an assignment is confirmed with it).",
)
OFFER_DECLINED = event_type(
    "volunteers.offer.declined.v1",
    OfferAnsweredV1,
    aggregate="request",
    description="A volunteer declined an offer; the next candidate is asked.",
)
OFFER_EXPIRED = event_type(
    "volunteers.offer.expired.v1",
    OfferExpiredV1,
    aggregate="request",
    description="Nobody answered an offer in time; the next candidate is asked.",
)
OFFER_WITHDRAWN = event_type(
    "volunteers.offer.withdrawn.v1",
    OfferWithdrawnV1,
    aggregate="request",
    description="An offer was taken back before it was answered (places filled, or request cancelled).",
)
ASSIGNMENT_CONFIRMED = event_type(
    "volunteers.assignment.confirmed.v1",
    AssignmentConfirmedV1,
    aggregate="request",
    description="A volunteer has a place on a request, with a link to cancel it.",
)
ASSIGNMENT_CANCELLED = event_type(
    "volunteers.assignment.cancelled.v1",
    AssignmentCancelledV1,
    aggregate="request",
    description="An assignment was cancelled by the volunteer or staff; the place is offered again.",
)


# Hours, plain-language reviews and rights requests (helper VH's slice).


class HoursApprovedV1(_Payload):
    hours_id: str
    volunteer_id: str
    pool_id: str
    # What the work was: an assignment, or a reviewer's part of a plain-language review.
    assignment_id: str | None
    review_reviewer_id: str | None
    work_date: date
    minutes: int
    # "staff" (logged by staff) or "volunteer" (proposed through a link, then approved)
    proposed_by: str


HOURS_APPROVED = event_type(
    "volunteers.hours.approved.v1",
    HoursApprovedV1,
    aggregate="hours",
    description="Hours worked were approved; they count in the fee report.",
)


class ReviewerNotice(_Payload):
    review_reviewer_id: str
    volunteer_id: str
    # The link the reviewer reads the text and answers with: `<public page>/…?token=<token>`.
    token: str
    recipient: Recipient


class ReviewSubmittedV1(_Payload):
    review_id: str
    pool_id: str
    # "letter_template", "brochure" or "web_page"
    kind: str
    title: str
    deadline: date
    original_lix: float
    submitted_by: str
    submitted_by_name: str | None
    reviewers: list[ReviewerNotice]


class ReviewReturnedV1(_Payload):
    review_id: str
    review_reviewer_id: str
    volunteer_id: str
    title: str
    original_lix: float
    suggested_lix: float | None
    # suggested_lix - original_lix: below zero, the suggestion is easier to read.
    lix_change: float | None
    # Who submitted the text (an identity subject of the gateway), to be told.
    submitted_by: str
    # How to reach them (None: no address known, nobody is told by email).
    submitted_by_contact: StaffContact | None = None


REVIEW_SUBMITTED = event_type(
    "volunteers.review.submitted.v1",
    ReviewSubmittedV1,
    aggregate="review",
    description="Staff sent a text for a plain-language review; each reviewer gets a link to answer.",
)
REVIEW_RETURNED = event_type(
    "volunteers.review.returned.v1",
    ReviewReturnedV1,
    aggregate="review",
    description="A reviewer returned comments and a suggested text, with LIX before and after.",
)



class RightsPerson(_Payload):
    """How the other services find the person in their own records (they do not share our ids)."""

    name: str
    email: str | None
    phone: str | None


class RightsRequestedV1(_Payload):
    request_id: str
    volunteer_id: str
    # The services that must answer (docs/rights.md): `<service>.export.completed.v1` or
    # `<service>.erasure.completed.v1`, with this request_id.
    services: list[str]
    person: RightsPerson
    requested_at: datetime


class RightsCompletedV1(_Payload):
    """A service's answer to a rights request (the same shape for every service, docs/rights.md)."""

    request_id: str
    service: str
    # "done", "nothing_held" (nothing about the person there) or "failed" (detail says why)
    status: str
    detail: str
    # An export's part from that service as JSON; None for an erasure, and for this service's own
    # part (kept here, never sent on the bus).
    data: dict[str, Any] | None


EXPORT_REQUESTED = event_type(
    "volunteers.export.requested.v1",
    RightsRequestedV1,
    aggregate="rights_request",
    description="A volunteer asked for everything held about them; each service named sends its part.",
)
ERASURE_REQUESTED = event_type(
    "volunteers.erasure.requested.v1",
    RightsRequestedV1,
    aggregate="rights_request",
    description="A volunteer is to be erased; each service named erases its part and answers.",
)
EXPORT_COMPLETED = event_type(
    "volunteers.export.completed.v1",
    RightsCompletedV1,
    aggregate="rights_request",
    description="The volunteers service has gathered its part of an export (kept here, not sent).",
)
ERASURE_COMPLETED = event_type(
    "volunteers.erasure.completed.v1",
    RightsCompletedV1,
    aggregate="rights_request",
    description="The volunteers service has erased its part (hours and fees kept under a pseudonym).",
)
