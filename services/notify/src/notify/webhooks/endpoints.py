"""Registering, changing, rotating and removing an organisation's webhook endpoints.

Each use case takes the caller's organisation scope: a representative's own organisation, or None
for administrators, who see every organisation's endpoints. Another organisation's endpoint is
"not found", never "not allowed", so its existence is not given away.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.logs import get_logger
from backbone.paging import fetch_page
from notify.webhooks import topics as topic_table
from notify.webhooks.guard import Resolve, check_url
from notify.webhooks.sealing import SECRETS_UNOPENED, SealingKeyProblem, SecretBox
from notify.webhooks.signing import new_secret
from notify.webhooks.store import q

log = get_logger(__name__)

MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidEndpoint(RuleError):
    """What was given cannot make a working endpoint; the message says what to change in `field`."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Guard:
    """How URLs are checked: the resolver to ask and whether internal addresses are allowed."""

    resolve: Resolve
    allow_private: bool


async def _checked_url(url: str, guard: Guard) -> str:
    url = url.strip()
    if not url:
        raise InvalidEndpoint(
            "Skriv mottagarens webbadress, till exempel https://exempel.se/webhook.", field="url"
        )
    if len(url) > MAX_URL_LENGTH:
        raise InvalidEndpoint(
            f"Webbadressen är för lång. Den får vara högst {MAX_URL_LENGTH} tecken.", field="url"
        )
    await check_url(url, resolve=guard.resolve, allow_private=guard.allow_private)
    return url


def _checked_topics(topics: list[str]) -> list[str]:
    if not topics:
        raise InvalidEndpoint("Välj minst ett ämne som webhooken ska skicka.", field="topics")
    if unknown := topic_table.unknown_topics(topics):
        raise InvalidEndpoint(
            f"Ämnet {', '.join(unknown)} finns inte. Välj bland: {', '.join(topic_table.TOPICS)}.",
            field="topics",
        )
    return sorted(set(topics))


def _checked_contact(contact_email: str) -> str:
    contact_email = contact_email.strip()
    if not _EMAIL.match(contact_email):
        raise InvalidEndpoint(
            "Ange en e-postadress till en kontaktperson, till exempel it@organisation.se. "
            "Dit skriver vi om webhooken slutar fungera.",
            field="contact_email",
        )
    return contact_email


def _checked_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidEndpoint(
            f"Beskrivningen får vara högst {MAX_DESCRIPTION_LENGTH} tecken.", field="description"
        )
    return description


async def register(
    *,
    conn: asyncpg.Connection,
    organisation_id: uuid.UUID,
    url: str,
    topics: list[str],
    description: str,
    contact_email: str,
    created_by: str,
    now: datetime,
    guard: Guard,
    box: SecretBox,
) -> dict[str, Any]:
    """A new endpoint with a fresh secret; the caller shows the secret once, it is not shown again.

    Stored sealed; the row returned carries it open, for that one showing.
    """
    endpoint_id = uuid.uuid4()
    secret = new_secret()
    row = await q.insert_endpoint.fetchrow(
        conn,
        id=endpoint_id,
        organisation_id=organisation_id,
        url=await _checked_url(url, guard),
        description=_checked_description(description),
        topics=_checked_topics(topics),
        secret=box.seal(secret, endpoint_id=endpoint_id),
        contact_email=_checked_contact(contact_email),
        created_by=created_by,
        now=now,
    )
    return {**dict(row), "secret": secret}


async def get(*, conn: asyncpg.Connection, endpoint_id: uuid.UUID, scope: uuid.UUID | None) -> asyncpg.Record:
    row = await q.get_endpoint.fetchrow(conn, id=endpoint_id, organisation_id=scope)
    if row is None:
        raise NotFound("Webhooken finns inte, eller hör till en annan organisation")
    return row


async def _locked(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, scope: uuid.UUID | None
) -> asyncpg.Record:
    row = await q.lock_endpoint.fetchrow(conn, id=endpoint_id, organisation_id=scope)
    if row is None:
        raise NotFound("Webhooken finns inte, eller hör till en annan organisation")
    return row


async def change(
    *,
    conn: asyncpg.Connection,
    endpoint_id: uuid.UUID,
    scope: uuid.UUID | None,
    changes: dict[str, Any],
    now: datetime,
    guard: Guard,
) -> asyncpg.Record:
    """Change what is given of url, topics, description, contact_email; `enabled` turns it on or off."""
    async with conn.transaction():
        row = await _locked(conn, endpoint_id, scope)
        url = await _checked_url(changes["url"], guard) if changes.get("url") is not None else row["url"]
        row = await q.update_endpoint.fetchrow(
            conn,
            id=endpoint_id,
            url=url,
            topics=_checked_topics(changes["topics"]) if changes.get("topics") is not None else row["topics"],
            description=(
                _checked_description(changes["description"])
                if changes.get("description") is not None
                else row["description"]
            ),
            contact_email=(
                _checked_contact(changes["contact_email"])
                if changes.get("contact_email") is not None
                else row["contact_email"]
            ),
            now=now,
        )
        enabled = changes.get("enabled")
        if enabled is True and row["disabled_at"] is not None:
            row = await q.enable_endpoint.fetchrow(conn, id=endpoint_id, now=now)
        elif enabled is False and row["disabled_at"] is None:
            row = await q.disable_endpoint.fetchrow(
                conn, id=endpoint_id, now=now, reason="Avstängd av organisationen."
            )
        return row


async def rotate_secret(
    *,
    conn: asyncpg.Connection,
    endpoint_id: uuid.UUID,
    scope: uuid.UUID | None,
    now: datetime,
    overlap: timedelta,
    box: SecretBox,
) -> dict[str, Any]:
    """A new secret; the one it replaces goes on signing beside it for `overlap` (24 hours).

    Stored sealed; the row returned carries the new one open, for its one showing.
    """
    secret = new_secret()
    async with conn.transaction():
        await _locked(conn, endpoint_id, scope)
        row = await q.rotate_secret.fetchrow(
            conn,
            id=endpoint_id,
            secret=box.seal(secret, endpoint_id=endpoint_id),
            overlap_until=now + overlap,
            now=now,
        )
    return {**dict(row), "secret": secret}


async def remove(*, conn: asyncpg.Connection, endpoint_id: uuid.UUID, scope: uuid.UUID | None) -> None:
    """The endpoint goes, and its messages and their log with it."""
    async with conn.transaction():
        await _locked(conn, endpoint_id, scope)
        await q.delete_endpoint.execute(conn, id=endpoint_id)


def signing_secrets(row: Any, now: datetime, *, endpoint_id: uuid.UUID, box: SecretBox) -> list[str]:
    """The secrets that sign a message sent at `now`: the current one, and during a rotation the old one.

    One of the two that does not open is counted and logged, and the other signs alone; when none
    opens, the first `SealingKeyProblem` is raised (the caller counts that one).
    """
    stored = [row["secret"]]
    until = row["previous_secret_until"]
    if row["previous_secret"] and until is not None and now < until:
        stored.append(row["previous_secret"])
    secrets: list[str] = []
    problems: list[SealingKeyProblem] = []
    for sealed in stored:
        try:
            secrets.append(box.open(sealed, endpoint_id=endpoint_id))
        except SealingKeyProblem as unopened:
            problems.append(unopened)
    if not secrets:
        raise problems[0]
    for problem in problems:
        SECRETS_UNOPENED.inc()
        log.error(
            "webhook secret cannot be opened: signing without it",
            endpoint_id=str(endpoint_id),
            key=problem.key_id,
            problem=str(problem),
        )
    return secrets


async def list_page(
    *, conn: asyncpg.Connection, scope: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    return await fetch_page(conn, q.list_endpoints, limit=limit, offset=offset, organisation_id=scope)
