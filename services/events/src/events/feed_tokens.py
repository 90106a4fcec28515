"""Secret feed tokens: an organisation's private calendar link, which its representative rotates, and a
group's (the events for its members), which staff rotate.

The token is random (`secrets`), shown once, and kept only as its SHA-256: a copy of the database
does not give anyone the links."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid

import asyncpg

from backbone.errors import NotFound
from events.sql_queries import q

TOKEN_BYTES = 32
# What token_urlsafe(32) makes: 43 characters of the URL-safe base64 alphabet.
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_UNKNOWN = (
    "Kalenderlänken gäller inte. Den kan ha bytts ut; be organisationens representant om den nya länken."
)


class MalformedFeedToken(ValueError):
    """Not even the shape of a feed token (a link cut short when copied)."""


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def rotate(*, conn: asyncpg.Connection, organisation_id: uuid.UUID, by: str) -> str:
    """A new token for the organisation's private feed; the previous one stops working at once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await q.put_feed_token.execute(
        conn, organisation_id=organisation_id, token_hash=_hash(token), rotated_by=by
    )
    return token


def _check_shape(token: str) -> None:
    if not _SHAPE.match(token):
        raise MalformedFeedToken(
            "Kalenderlänken är inte hel. Kopiera hela länken igen från sidan där du fick den."
        )


async def organisation_of(*, conn: asyncpg.Connection, token: str) -> uuid.UUID:
    _check_shape(token)
    found = await q.organisation_of_feed_token.fetchval(conn, token_hash=_hash(token))
    if found is None:
        raise NotFound(_UNKNOWN)
    return uuid.UUID(str(found))


async def rotate_group(*, conn: asyncpg.Connection, group_id: uuid.UUID, by: str) -> str:
    """A new token for the group's feed; the previous one stops working at once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await q.put_group_feed_token.execute(conn, group_id=group_id, token_hash=_hash(token), rotated_by=by)
    return token


async def group_of(*, conn: asyncpg.Connection, token: str) -> uuid.UUID:
    _check_shape(token)
    found = await q.group_of_feed_token.fetchval(conn, token_hash=_hash(token))
    if found is None:
        raise NotFound(
            "Kalenderlänken gäller inte. Den kan ha bytts ut; be den som ordnar gruppens evenemang om den "
            "nya länken."
        )
    return uuid.UUID(str(found))
