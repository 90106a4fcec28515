"""Consent per purpose: which text a volunteer agreed to, when and how; withdrawn as easily as given.

A consent is never edited: withdrawing it records when and how, and consenting again is a new
record, so the history of what a person agreed to stays readable.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from volunteers import contracts as c
from volunteers import offers, people
from volunteers.model import OFFERS_PURPOSE, ConsentHow, NewConsent, Scope
from volunteers.sql_queries import q
from volunteers.work_links import LinkContext, WorkLink, refuse_erased

Row = dict[str, Any]
# Not single-use: a person may come back to see or withdraw another consent.
LINK_DAYS = 90


async def give(
    *,
    conn: asyncpg.Connection,
    volunteer_id: uuid.UUID,
    consent: NewConsent,
    scope: Scope,
    by: str,
    now: datetime,
) -> Row:
    given_at = consent.given_at or now
    if given_at > now:
        raise RuleError("Ett samtycke kan inte vara givet i framtiden. Ange dagens datum eller ett tidigare.")
    async with conn.transaction():
        await people.visible(conn=conn, volunteer_id=volunteer_id, scope=scope, lock=True)
        if await q.standing_consent.fetchrow(conn, volunteer_id=volunteer_id, purpose=consent.purpose):
            raise RuleError(
                f"Personen har redan ett gällande samtycke för ”{consent.purpose}”. "
                "Ta tillbaka det först om det ska ersättas av en ny version."
            )
        row = dict(
            await q.insert_consent.fetchrow(
                conn,
                id=uuid.uuid4(),
                volunteer_id=volunteer_id,
                purpose=consent.purpose,
                text_version=consent.text_version,
                given_at=given_at,
                given_how=consent.given_how,
                recorded_by=by,
            )
        )
        await add_event(
            conn,
            c.CONSENT_GIVEN,
            c.ConsentGivenV1(
                volunteer_id=str(volunteer_id),
                consent_id=str(row["id"]),
                purpose=row["purpose"],
                text_version=row["text_version"],
                given_at=row["given_at"],
                given_how=row["given_how"],
            ),
            aggregate_id=str(volunteer_id),
        )
        return row


async def withdraw(
    *,
    conn: asyncpg.Connection,
    volunteer_id: uuid.UUID,
    consent_id: uuid.UUID,
    how: ConsentHow,
    scope: Scope,
    now: datetime,
) -> Row:
    async with conn.transaction():
        await people.visible(conn=conn, volunteer_id=volunteer_id, scope=scope, lock=True)
        row = await q.withdraw_consent.fetchrow(
            conn, id=consent_id, volunteer_id=volunteer_id, withdrawn_at=now, withdrawn_how=how
        )
        if row is None:
            existing = await q.get_consent.fetchrow(conn, id=consent_id, volunteer_id=volunteer_id)
            if existing is None:
                raise NotFound("Det samtycket finns inte hos den här personen.")
            raise RuleError("Samtycket är redan tillbakataget. Inget har ändrats.")
        await add_event(
            conn,
            c.CONSENT_WITHDRAWN,
            c.ConsentWithdrawnV1(
                volunteer_id=str(volunteer_id),
                consent_id=str(consent_id),
                purpose=row["purpose"],
                withdrawn_at=row["withdrawn_at"],
            ),
            aggregate_id=str(volunteer_id),
        )
        return dict(row)


def consents_link(volunteer_id: uuid.UUID, ctx: LinkContext) -> WorkLink:
    return WorkLink(target_id=volunteer_id, action="consents", expires_at=ctx.now + timedelta(days=LINK_DAYS))


async def _linked_volunteer(conn: asyncpg.Connection, token: str, ctx: LinkContext) -> uuid.UUID:
    link = ctx.signer.read(token, expected="consents", now=ctx.now)
    volunteer = await q.consent_link_volunteer.fetchrow(conn, id=link.target_id)
    if volunteer is None:
        raise NotFound("Vi hittar inte dina uppgifter längre. Kontakta den som samordnar din pool.")
    refuse_erased(volunteer["status"])
    return link.target_id


async def standing_by_link(*, conn: asyncpg.Connection, token: str, ctx: LinkContext) -> list[Row]:
    """The consents the person behind the link has given and not withdrawn; changes nothing."""
    volunteer_id = await _linked_volunteer(conn, token, ctx)
    rows = await q.consents_of.fetch(conn, volunteer_id=volunteer_id)
    return [dict(r) for r in rows if r["withdrawn_at"] is None]


async def withdraw_by_link(
    *, conn: asyncpg.Connection, token: str, purpose: str, ctx: LinkContext, offer_ctx: offers.Context
) -> tuple[Row, int]:
    """The person withdraws one purpose themselves. Withdrawing the consent to offers takes back the
    offers still waiting for their answer, and each request asks its next candidate, as a decline does.
    Returns the withdrawn consent and how many offers were taken back."""
    volunteer_id = await _linked_volunteer(conn, token, ctx)
    async with conn.transaction():
        # Requests before the person, the order an acceptance takes its locks in. An offer sent in
        # between cannot be accepted either: acceptance checks the consent again under the person's lock.
        requests = []
        if purpose == OFFERS_PURPOSE:
            for row in await q.requests_with_offers_to.fetch(conn, volunteer_id=volunteer_id):
                requests.append(await offers.locked_request(conn, row["request_id"]))
        if await q.lock_volunteer.fetchrow(conn, id=volunteer_id) is None:
            raise NotFound("Vi hittar inte dina uppgifter längre. Kontakta den som samordnar din pool.")
        standing = await q.standing_consent.fetchrow(conn, volunteer_id=volunteer_id, purpose=purpose)
        if standing is None:
            raise RuleError(f"Du har inget gällande samtycke för ”{purpose}”. Inget har ändrats.")
        row = await withdraw(
            conn=conn,
            volunteer_id=volunteer_id,
            consent_id=standing["id"],
            how="link",
            # The person themselves: every pool's view of their consent is theirs to end.
            scope=Scope(everything=True),
            now=ctx.now,
        )
        taken_back = 0
        for request in requests:
            taken_back += await offers.withdraw_offers_of(conn, request, volunteer_id, offer_ctx)
    return row, taken_back
