"""Digests: emails a person asked to get daily or weekly are held, then sent together as one email
at the person's chosen time (hour, and weekday for weekly ones, in `settings.zone`), grouped by
category. A digest with nothing in it is never sent.

A digest is an email like any other: its id comes from the address, the frequency and the time
it is for, so a worker that runs twice (or two workers) queue it once, and the sender sends it
once. Its items are marked with its id in the same transaction, so none goes in two digests; and
only when the digest was in fact queued: an item that committed after its slot's digest went
waits for the next one.

Each round first follows changed minds: an item held for a digest the person has since switched
off is dropped, one switched to "at once" goes now as the email it would have been.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from backbone.logs import get_logger
from backbone.queries import Queries
from notify import bounces
from notify.links import preferences_url
from notify.preferences import CATEGORIES, DEFAULT_DIGEST_HOUR, DEFAULT_DIGEST_WEEKDAY, address_key
from notify.rendering import RenderedEmail
from notify.settings import Settings

log = get_logger(__name__)
q = Queries(Path(__file__).parent / "sql")
DIGEST_TEMPLATE = "digest"
DIGEST_CATEGORY = "digest"
# Digest ids are derived in a namespace of their own: never the id of another email.
_NAMESPACE = uuid.UUID("5d0f3a52-3c8e-4b8e-9a44-1f1f0c6d2e10")
_TEXTS = {
    "sv": {
        "daily": "Dina meddelanden från Delaktig i dag",
        "weekly": "Dina meddelanden från Delaktig den här veckan",
        "greeting": "Hej!",
        "intro": "Här är dina meddelanden, samlade i ett mejl som du har valt.",
        "footer": "Du kan ändra vad du får och när:",
        "link": "Ändra dina val",
    },
    "en": {
        "daily": "Your messages from Delaktig today",
        "weekly": "Your messages from Delaktig this week",
        "greeting": "Hello,",
        "intro": "Here are your messages, gathered in one email as you chose.",
        "footer": "You can change what you get and when:",
        "link": "Change your choices",
    },
}


async def hold(
    conn: asyncpg.Connection,
    *,
    item_id: uuid.UUID,
    recipient: str,
    frequency: str,
    category: str,
    template: str,
    cause_event_id: uuid.UUID,
    language: str,
    rendered: RenderedEmail,
) -> None:
    """Keep an email for the person's next digest; held twice (a redelivery), it is kept once."""
    # (mailing.queue_email never holds an email with a file or one bound to a time.)
    await q.hold_digest_item.execute(
        conn,
        id=item_id,
        address=address_key(recipient),
        recipient=recipient,
        frequency=frequency,
        category=category,
        template=template,
        cause_event_id=cause_event_id,
        language=language,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
    )


def latest_slot(now: datetime, *, frequency: str, hour: int, weekday: int, zone: ZoneInfo) -> datetime:
    """The last time at or before `now` that a digest of `frequency` was due (in UTC).

    On the wall clock of `zone`: 08.00 is 08.00 in summer and in winter.
    """
    local = now.astimezone(zone)
    slot = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if frequency == "weekly":
        slot -= timedelta(days=(slot.isoweekday() - weekday) % 7)
    while slot > local:
        slot -= timedelta(days=7 if frequency == "weekly" else 1)
    # Rebuilt from its wall-clock fields, so a slot across a change of summer time keeps its hour.
    return datetime(slot.year, slot.month, slot.day, hour, tzinfo=zone).astimezone(UTC)


def digest_id(address: str, frequency: str, slot: datetime) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{address}:{frequency}:{slot.astimezone(UTC).isoformat()}")


@dataclass(frozen=True)
class Group:
    label: str
    items: list[dict[str, Any]]


def grouped(items: Sequence[dict[str, Any]]) -> list[Group]:
    """Items by category, in the order the preferences page lists them; each group oldest first."""
    order = list(CATEGORIES)
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_category.setdefault(item["category"], []).append(item)
    ranked = sorted(by_category, key=lambda c: order.index(c) if c in order else len(order))
    return [Group(label=CATEGORIES.get(c, CATEGORIES["other"]), items=by_category[c]) for c in ranked]


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates" / "digest"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_digest(
    items: Sequence[dict[str, Any]], *, frequency: str, language: str, preferences_link: str
) -> RenderedEmail:
    texts = _TEXTS.get(language, _TEXTS["sv"])
    subject = texts[frequency]
    shown = [
        {**item, "paragraphs": [p.strip() for p in str(item["body_text"]).split("\n\n") if p.strip()]}
        for item in items
    ]
    context = {
        "t": texts,
        "groups": grouped(shown),
        "subject": subject,
        "language": language,
        "preferences_url": preferences_link,
    }
    env = _environment()
    return RenderedEmail(
        subject=subject,
        text=env.get_template("digest.txt").render(context),
        html=env.get_template("digest.html").render(context),
    )


async def send_due_digests(pool: asyncpg.Pool, settings: Settings, *, now: datetime | None = None) -> int:
    """Queue every digest whose time has come and that has something in it; returns how many."""
    # Imported here: mailing decides between sending and holding, and so imports this module.
    from notify.mailing import EMAILS_QUEUED, message_id_for
    from notify.mailing import q as mail_q

    at = now or datetime.now(UTC)
    await _follow_changed_choices(pool, settings)
    async with pool.acquire() as conn:
        waiting = await q.waiting_digests.fetch(
            conn, default_hour=DEFAULT_DIGEST_HOUR, default_weekday=DEFAULT_DIGEST_WEEKDAY
        )
    queued = 0
    for person in waiting:
        slot = latest_slot(
            at,
            frequency=person["frequency"],
            hour=person["digest_hour"],
            weekday=person["digest_weekday"],
            zone=settings.zone,
        )
        async with pool.acquire() as conn, conn.transaction():
            items = [
                dict(r)
                for r in await q.take_digest_items.fetch(
                    conn, address=person["address"], frequency=person["frequency"], before=slot
                )
            ]
            if not items:
                continue  # nothing held before this digest's time: no empty digest
            email_id = digest_id(person["address"], person["frequency"], slot)
            language = items[0]["language"]
            recipient = items[-1]["recipient"]
            rendered = render_digest(
                items,
                frequency=person["frequency"],
                language=language,
                preferences_link=preferences_url(settings, recipient),
            )
            inserted = await mail_q.queue_email.fetchval(
                conn,
                id=email_id,
                cause_event_id=email_id,
                template=DIGEST_TEMPLATE,
                recipient=recipient,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                message_id=message_id_for(email_id, settings.mail_domain, settings.link_key),
                request_id=None,
                language=language,
                attachments=[],
                category=DIGEST_CATEGORY,
            )
            if inserted is None:
                # This slot's digest went already; these items committed after it. The next one.
                continue
            await q.mark_digest_items.execute(conn, digest_email_id=email_id, ids=[i["id"] for i in items])
            # A digest is bulk email: after a permanent bounce it is logged as not sent, with why,
            # and its items with it (held before the bounce, they would go nowhere either).
            not_sent = await bounces.bounced_reason(conn, recipient=recipient)
            if not_sent is not None:
                if await mail_q.mark_not_sent.fetchval(conn, id=email_id, reason=not_sent) is not None:
                    await mail_q.record_attempt.execute(
                        conn, email_id=email_id, outcome="failed", reason=not_sent
                    )
                continue
            queued += 1
    if queued:
        EMAILS_QUEUED.ring()
        log.info("digests queued", count=queued)
    return queued


_CHANGED_BATCH = 500


async def _follow_changed_choices(pool: asyncpg.Pool, settings: Settings) -> None:
    """Held items whose person chose otherwise since: off drops them, at once sends them now, the
    other digest moves them there."""
    from notify.mailing import EMAILS_QUEUED, message_id_for
    from notify.mailing import q as mail_q

    sent = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await q.held_against_choice.fetch(conn, limit=_CHANGED_BATCH)
            for row in rows:
                item = dict(row)
                if item["choice"] in ("daily", "weekly"):
                    await q.move_digest_item.execute(conn, id=item["id"], frequency=item["choice"])
                    continue
                # Gone from the digests first: the queue refuses an id still held for one.
                await q.drop_digest_item.execute(conn, id=item["id"])
                if item["choice"] == "off":
                    continue
                html = item["body_html"] or _html_of(item, settings)
                await mail_q.queue_email.fetchval(
                    conn,
                    id=item["id"],
                    cause_event_id=item["cause_event_id"],
                    template=item["template"],
                    recipient=item["recipient"],
                    subject=item["subject"],
                    body_text=item["body_text"],
                    body_html=html,
                    message_id=message_id_for(item["id"], settings.mail_domain, settings.link_key),
                    request_id=None,
                    language=item["language"],
                    attachments=[],
                    category=item["category"],
                )
                sent += 1
        if len(rows) < _CHANGED_BATCH:
            break
    if sent:
        EMAILS_QUEUED.ring()
        log.info("held emails sent at once after a change of choice", count=sent)


def _html_of(item: dict[str, Any], settings: Settings) -> str:
    """HTML for an item held before items kept theirs: the digest's own, with this one item."""
    return render_digest(
        [item],
        frequency="daily",
        language=item["language"],
        preferences_link=preferences_url(settings, item["recipient"]),
    ).html
