"""An event's calendar entry from an email (notify) and from the feeds (events) is one entry."""

import uuid

from events import feeds
from notify import calendar


def test_notify_writes_the_uid_the_events_feeds_write():
    event_id = str(uuid.uuid4())
    assert calendar.event_uid(event_id) == feeds.uid(event_id)
