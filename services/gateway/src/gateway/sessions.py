"""Server-side sessions: a random id in an HttpOnly cookie, its hash and the CSRF token in PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from gateway.store import Q

# Updating last_seen_at on every request would write on every page view; a minute is precise enough.
TOUCH_EVERY = timedelta(minutes=1)


def cookie_name(behind_tls: bool) -> str:
    """`__Host-` makes the browser insist on Secure, Path=/ and no Domain: no subdomain can set it."""
    return "__Host-delaktig_session" if behind_tls else "delaktig_session"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def is_expired(
    *, created_at: datetime, last_seen_at: datetime, now: datetime, idle: timedelta, absolute: timedelta
) -> bool:
    return now - last_seen_at > idle or now - created_at > absolute


@dataclass(frozen=True)
class SignedIn:
    """The person behind a valid session."""

    user_id: uuid.UUID
    email: str
    name: str
    roles: tuple[str, ...]
    organisation_id: str | None
    pool_ids: tuple[str, ...]
    csrf_token: str
    token_hash: bytes

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


async def start(conn: asyncpg.Connection, *, user_id: uuid.UUID, ip: str | None) -> str:
    """A new session (always a new id: a session id set before sign-in is never reused)."""
    token = new_token()
    await Q.insert_session.execute(
        conn,
        id_hash=token_hash(token),
        user_id=user_id,
        csrf_token=secrets.token_urlsafe(32),
        ip=ip,
    )
    return token


async def resume(
    conn: asyncpg.Connection, *, token: str, now: datetime, idle: timedelta, absolute: timedelta
) -> SignedIn | None:
    digest = token_hash(token)
    row = await Q.session_with_user.fetchrow(conn, id_hash=digest)
    if row is None:
        return None
    expired = is_expired(
        created_at=row["created_at"], last_seen_at=row["last_seen_at"], now=now, idle=idle, absolute=absolute
    )
    if expired or not row["active"]:
        await Q.delete_session.execute(conn, id_hash=digest)
        return None
    if now - row["last_seen_at"] > TOUCH_EVERY:
        await Q.touch_session.execute(conn, id_hash=digest, due_before=now - TOUCH_EVERY)
    return SignedIn(
        user_id=row["user_id"],
        email=row["email"],
        name=row["name"],
        roles=tuple(row["roles"]),
        organisation_id=row["organisation_id"],
        pool_ids=tuple(row["pool_ids"]),
        csrf_token=row["csrf_token"],
        token_hash=digest,
    )


async def end(conn: asyncpg.Connection, *, token_hash_: bytes) -> None:
    await Q.delete_session.execute(conn, id_hash=token_hash_)


async def end_everywhere(conn: asyncpg.Connection, *, user_id: uuid.UUID) -> None:
    await Q.delete_user_sessions.execute(conn, user_id=user_id)


async def delete_expired(
    conn: asyncpg.Connection, *, now: datetime, idle: timedelta, absolute: timedelta
) -> str:
    """Removes sessions past either limit (they are refused anyway; this keeps the table small)."""
    deleted = await Q.delete_expired_sessions.execute(
        conn, idle_since=now - idle, created_before=now - absolute
    )
    return str(deleted)
