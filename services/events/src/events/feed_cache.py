"""Feeds as last written, kept in the process until the events they show may have changed.

A feed is kept under its address, the feed version (migration 0010: raised by every write to the
events table, and by nothing else) and the start of its window (to the minute). A calendar client
that polls without validators, or whose validators are out of date, then costs one query of one row
and the kept bytes, as long as no event was written; a registration (which no feed shows) keeps
every feed. The version is read before the rows, so a write committed in between leaves newer rows
under the older version, which costs one feed written again on the next request, never a stale one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

from events.feeds import Entries

# What a kept feed's validators take, about.
_VALIDATOR_BYTES = 200


@dataclass(frozen=True)
class Validators:
    etag: str


@dataclass
class Kept:
    """One feed: its validators, and its bytes once someone asked for them (a 304 needs none)."""

    # What it was read from: the feed version and the window's start.
    stamp: Hashable
    validators: Validators
    body: bytes | None = None
    size: int = field(default=0)
    # Whose secret link it was read through (`forget`); None for a public feed.
    owner: Hashable | None = None


class FeedCache:
    """One kept feed per address, at most `max_bytes` of them, the least recently asked for dropped
    first; a rotated link's feeds at once (`forget`); and the entries they are written from, for
    all of them (an event is in several feeds: all, its organisers', their private ones). Used from
    the event loop only (the feed routes are async), so without a lock."""

    def __init__(self, max_bytes: int, max_entries: int = 8192) -> None:
        self.entries = Entries(max_entries)
        self._max_bytes = max_bytes
        self._kept: OrderedDict[Hashable, Kept] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable, stamp: Hashable) -> Kept | None:
        """The feed kept at `key`, if it was written from `stamp`."""
        kept = self._kept.get(key)
        if kept is None or kept.stamp != stamp:
            return None
        self._kept.move_to_end(key)
        return kept

    def put(
        self, key: Hashable, stamp: Hashable, validators: Validators, body: bytes | None,
        owner: Hashable | None = None,
    ) -> None:
        size = _VALIDATOR_BYTES + (len(body) if body is not None else 0)
        kept = Kept(stamp=stamp, validators=validators, body=body, size=size, owner=owner)
        self._drop(key)
        self._kept[key] = kept
        self._bytes += kept.size
        self._shrink()

    def holds(self, key: Hashable) -> bool:
        return key in self._kept

    def forget(self, owner: Hashable) -> None:
        """Drop the feeds read through `owner`'s secret link: once it is rotated, nothing of the old
        link's feed stays in this process (other processes refuse the old link too, and drop their
        copy as it ages out)."""
        for key in [key for key, kept in self._kept.items() if kept.owner == owner]:
            self._drop(key)

    def _drop(self, key: Hashable) -> None:
        old = self._kept.pop(key, None)
        if old is not None:
            self._bytes -= old.size

    def _shrink(self) -> None:
        while self._bytes > self._max_bytes and len(self._kept) > 1:
            _key, old = self._kept.popitem(last=False)
            self._bytes -= old.size
