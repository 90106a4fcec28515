"""Sample data for every template: the staff's previews show them, and the tests render them all.

Made-up people and places only. Times are given in UTC; a preview shows them on the configured
clock, as a real email would be.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from notify.rendering import TEMPLATES

_START = datetime(2017, 3, 13, 12, 30, tzinfo=UTC)  # måndag 13 mars 2017 kl. 13.30 in Stockholm
_END = datetime(2017, 3, 13, 14, 0, tzinfo=UTC)
_MEETING = {
    "meeting_id": "00000000-0000-4000-8000-000000000001",
    "title": "Gemensam utvecklingsgrupp",
    "group_name": "Gemensam utvecklingsgrupp",
    "starts_at": _START,
    "ends_at": _END,
    "place": "Bryggan, Storgatan 1",
}
_EVENT_ID = "00000000-0000-4000-8000-000000000002"
_EVENT = {
    "event_id": _EVENT_ID,
    "title": "Träff om bostäder",
    "starts_at": _START,
    "ends_at": _END,
    "place": "Stadsbiblioteket, Sveavägen 73",
    "event_url": f"https://delaktig.example.se/evenemang/{_EVENT_ID}",
    "cancel_url": "https://delaktig.example.se/evenemang/avboka?token=exempel",
}
_ACTION_ITEM = {
    "action_item_id": "00000000-0000-4000-8000-000000000003",
    "text": "Boka en lokal till nästa möte.",
    "owner_name": "Martina Ek",
    "due_date": date(2017, 3, 20),
}

SAMPLES: dict[str, dict[str, Any]] = {
    "meeting_scheduled": _MEETING,
    "meeting_rescheduled": {**_MEETING, "previous_starts_at": datetime(2017, 3, 6, 12, 30, tzinfo=UTC)},
    "meeting_cancelled": {**_MEETING, "reason": "Lokalen är upptagen."},
    "minutes_published": {
        "meeting_id": _MEETING["meeting_id"],
        "title": "Gemensam utvecklingsgrupp",
        "decision_count": 2,
        "correction_note": None,
        "meeting_starts_at": _START,
    },
    "action_item_assigned": _ACTION_ITEM,
    "action_item_due_soon": _ACTION_ITEM,
    "action_item_overdue": _ACTION_ITEM,
    "registration_confirmed": _EVENT,
    "registration_waiting": _EVENT,
    "registration_promoted": _EVENT,
    "offer_made": {
        **_EVENT,
        "expires_at": datetime(2017, 3, 10, 11, 0, tzinfo=UTC),
        "confirm_url": "https://delaktig.example.se/evenemang/erbjudande/ja?token=exempel",
        "decline_url": "https://delaktig.example.se/evenemang/erbjudande/nej?token=exempel",
    },
    "offer_accepted": _EVENT,
    "offer_expired": _EVENT,
    "event_changed": {
        **_EVENT,
        "changes": ["rescheduled", "moved"],
        "previous_starts_at": datetime(2017, 3, 6, 12, 30, tzinfo=UTC),
        "previous_ends_at": datetime(2017, 3, 6, 14, 0, tzinfo=UTC),
        "previous_place": "Kulturhuset, Sergels torg",
        "audience": "public",
        "status": "registered",
    },
    "event_cancelled": {**_EVENT, "reason": "Den som skulle tala är sjuk.", "status": "registered"},
    "event_reminder": _EVENT,
    "volunteer_offer": {
        "pool_name": "Värdar på Kulturnatten",
        "starts_at": _START,
        "ends_at": _END,
        "place": "Stadsbiblioteket, Sveavägen 73",
        "needs": "Två som kan visa vägen i entrén.",
        "expires_at": datetime(2017, 3, 10, 11, 0, tzinfo=UTC),
        "accept_url": "https://delaktig.example.se/volontar/erbjudande/ja?token=exempel",
        "decline_url": "https://delaktig.example.se/volontar/erbjudande/nej?token=exempel",
    },
    "volunteer_assignment_confirmed": {
        "pool_name": "Värdar på Kulturnatten",
        "starts_at": _START,
        "ends_at": _END,
        "place": "Stadsbiblioteket, Sveavägen 73",
        "cancel_url": "https://delaktig.example.se/volontar/uppdrag/avboka?token=exempel",
    },
    "volunteer_review_assigned": {
        "title": "Så söker du bostad",
        "deadline": date(2017, 3, 20),
        "review_url": "https://delaktig.example.se/volontar/granskning?token=exempel",
    },
    "volunteer_request_filled": {
        "pool_name": "Värdar på Kulturnatten",
        "starts_at": _START,
        "ends_at": _END,
        "place": "Stadsbiblioteket, Sveavägen 73",
        "seats": 2,
        "request_url": "https://delaktig.example.se/volunteers/requests/00000000-0000-4000-8000-000000000005",
    },
    "volunteer_review_returned": {
        "title": "Så söker du bostad",
        "original_lix": 52.4,
        "suggested_lix": 38.1,
        "lix_change": -14.3,
        "review_url": "https://delaktig.example.se/volunteers/reviews/00000000-0000-4000-8000-000000000006",
    },
    "webhook_endpoint_disabled": {  # notify.webhooks
        "url": "https://bryggan.example.se/webhooks/delaktig",
        "reason": "Ingen leverans har lyckats på fem dagar.",
    },
}
SAMPLE_NAME = "Leif Redestig"
SAMPLE_PUBLIC_URL = "https://delaktig.example.se"


def sample_context(template: str) -> dict[str, Any]:
    """The context a preview renders `template` with; KeyError for a template notify does not have."""
    if template not in TEMPLATES:
        raise KeyError(template)
    return {
        **SAMPLES[template],
        "name": SAMPLE_NAME,
        "public_url": SAMPLE_PUBLIC_URL,
        "preferences_url": f"{SAMPLE_PUBLIC_URL}/installningar/e-post?token=exempel",
    }
