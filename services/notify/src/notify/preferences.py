"""What each person wants to get, by email address and category: at once, in a daily or weekly
digest, or nothing. Most people have no account, so the address is the person; it is kept
lower-cased, as emails are told apart (`mailing.queue_email`).

Critical messages (an offer waiting for an answer, a cancellation of something one registered
for, a changed time) are sent at once whatever the person chose: missing them costs a place or a
wasted trip. Which templates are critical is said with each template (`rendering.TEMPLATES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import asyncpg

from backbone.errors import RuleError, StaleVersion
from backbone.queries import Queries

q = Queries(Path(__file__).parent / "sql")

Choice = Literal["immediately", "daily", "weekly", "off"]
CHOICES: tuple[Choice, ...] = get_args(Choice)
IMMEDIATELY: Choice = "immediately"
DIGESTS: frozenset[Choice] = frozenset({"daily", "weekly"})

# The categories people choose for, in the order the page shows them, with what they are called
# there. A template's category is said with the template (rendering.TEMPLATES).
CATEGORIES: dict[str, str] = {
    "meetings": "Kallelser till möten",
    "minutes": "Protokoll från möten",
    "action_items": "Uppgifter som du ska göra",
    "registrations": "Dina anmälningar till evenemang",
    "reminders": "Påminnelser om evenemang",
    "volunteering": "Uppdrag som volontär",
    "other": "Övriga meddelanden",
}
# Sent to many at once: these carry List-Unsubscribe and can be stopped with one click (RFC 8058).
BULK: frozenset[str] = frozenset({"minutes", "reminders"})
DEFAULT_DIGEST_HOUR = 8
DEFAULT_DIGEST_WEEKDAY = 1  # Monday


class UnknownCategory(RuleError):
    pass


def address_key(address: str) -> str:
    return address.strip().lower()


async def decide(conn: asyncpg.Connection, *, recipient: str, category: str, critical: bool) -> Choice:
    """How an email of `category` to `recipient` goes: at once, into a digest, or not at all."""
    if critical:
        return IMMEDIATELY
    choice = await q.choice_for.fetchval(conn, address=address_key(recipient), category=category)
    return choice if choice in CHOICES else IMMEDIATELY


@dataclass(frozen=True)
class Preferences:
    address: str
    choices: dict[str, Choice]  # every category, the default filled in
    digest_hour: int
    digest_weekday: int
    version: int  # 0 until the person first chose anything; a save names the one it was read at


_STALE = (
    "Dina val har ändrats sedan du öppnade sidan, kanske när du avregistrerade dig i ett mejl. "
    "Ladda om sidan och gör dina val igen."
)


async def preferences_of(conn: asyncpg.Connection, *, address: str) -> Preferences:
    key = address_key(address)
    row = await q.settings_of.fetchrow(conn, address=key)
    chosen = {r["category"]: r["choice"] for r in await q.choices_of.fetch(conn, address=key)}
    return Preferences(
        address=key,
        choices={category: chosen.get(category, IMMEDIATELY) for category in CATEGORIES},
        digest_hour=row["digest_hour"] if row else DEFAULT_DIGEST_HOUR,
        digest_weekday=row["digest_weekday"] if row else DEFAULT_DIGEST_WEEKDAY,
        version=row["version"] if row else 0,
    )


async def save(
    conn: asyncpg.Connection,
    *,
    address: str,
    choices: dict[str, Choice],
    digest_hour: int,
    digest_weekday: int,
    version: int,
) -> Preferences:
    """Keep the person's choices (categories not named stay as they were) and digest time.

    StaleVersion unless `version` is the one they are at now: a form opened before a later change
    (a one-click unsubscribe) would write the old choices back."""
    unknown = sorted(set(choices) - set(CATEGORIES))
    if unknown:
        raise UnknownCategory(
            f"Det finns inget val som heter {', '.join(unknown)}. "
            "Ladda om sidan och försök igen."
        )
    key = address_key(address)
    async with conn.transaction():
        current = await q.lock_settings_version.fetchval(conn, address=key)
        if (current or 0) != version:
            raise StaleVersion(_STALE)
        await q.upsert_settings.execute(
            conn, address=key, digest_hour=digest_hour, digest_weekday=digest_weekday
        )
        for category, choice in choices.items():
            await q.upsert_choice.execute(conn, address=key, category=category, choice=choice)
    return await preferences_of(conn, address=key)


async def unsubscribe(conn: asyncpg.Connection, *, address: str, category: str) -> None:
    """No more emails of `category` to `address` (critical ones still come). Doing it twice is once."""
    if category not in CATEGORIES:
        raise UnknownCategory("Länken gäller inte någon sorts meddelande som vi skickar.")
    key = address_key(address)
    async with conn.transaction():
        await q.ensure_settings.execute(conn, address=key)
        await q.upsert_choice.execute(conn, address=key, category=category, choice="off")
