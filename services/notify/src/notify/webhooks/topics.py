"""What an organisation can subscribe to, and the thin payloads it receives: ids and a link, no one's data.

A payload is the Standard Webhooks shape `{"type", "timestamp", "data"}`; `type` is the topic.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

# Topic: what the page calls it (Swedish first).
TOPICS: dict[str, str] = {
    "event.published": "Ett evenemang har publicerats",
    "event.changed": "Ett evenemang har fått ny tid eller plats",
    "event.cancelled": "Ett evenemang har ställts in",
    "minutes.published": "Ett protokoll har publicerats",
    "registration.created": "Någon från er organisation har anmält sig",
    "registration.cancelled": "Någon från er organisation har avanmält sig",
}
# Sent only by the "send a test event" button, to one endpoint, whatever its topics.
TEST_TOPIC = "webhook.test"


def unknown_topics(topics: list[str]) -> list[str]:
    return [topic for topic in topics if topic not in TOPICS]


def body(topic: str, at: datetime, data: dict[str, Any]) -> str:
    """The exact bytes sent and signed, compact and in a stable key order."""
    return json.dumps(
        {"type": topic, "timestamp": at.isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    )


def event_link(public_url: str, event_id: str) -> str:
    return f"{public_url.rstrip('/')}/events/{event_id}"


def minutes_link(public_url: str, meeting_id: str) -> str:
    return f"{public_url.rstrip('/')}/meetings/{meeting_id}/minutes"
