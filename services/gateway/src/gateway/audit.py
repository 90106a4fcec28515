"""The audit log: who did what, and when. Written in the same transaction as what it records."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from gateway.i18n import N_
from gateway.store import Q

# Message ids of the actions, as administrators read them in the log.
ACTIONS = {
    "signed_in": N_("Loggade in"),
    "sign_in_failed": N_("Misslyckad inloggning"),
    "oidc_linked": N_("Kopplade kontot till inloggning via OIDC"),
    "signed_out": N_("Loggade ut"),
    "signed_out_everywhere": N_("Loggade ut överallt"),
    "user_created": N_("Skapade en användare"),
    "access_changed": N_("Ändrade roller eller behörighet"),
    "meeting_created": N_("Skapade ett möte"),
    "access_refused": N_("Nekades åtkomst"),
    "changed_in_service": N_("Ändrade i en tjänst"),
}


async def record(
    conn: asyncpg.Connection,
    *,
    action: str,
    actor_id: uuid.UUID | None,
    actor_email: str | None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; add it to gateway.audit.ACTIONS.")
    await Q.insert_audit.execute(
        conn,
        actor_id=actor_id,
        actor_email=actor_email,
        action=action,
        target=target,
        detail=json.dumps(detail or {}),
        ip=ip,
    )


async def entries(
    conn: asyncpg.Connection, *, action: str | None, actor: str | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    rows = await Q.list_audit.fetch(conn, action=action, actor=actor, limit=limit, offset=offset)
    return rows, (rows[0]["total"] if rows else 0)


async def actions_in_use(conn: asyncpg.Connection) -> list[str]:
    return [r["action"] for r in await Q.audit_actions.fetch(conn)]
