"""Consent per purpose: which text a volunteer agreed to, when and how; withdrawn as easily as given.

A consent is never edited: withdrawing it records when and how, and consenting again is a new
record, so the history of what a person agreed to stays readable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from volunteers import contracts as c
from volunteers import people
from volunteers.model import ConsentHow, NewConsent, Scope
from volunteers.sql_queries import q

Row = dict[str, Any]


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
