"""Use cases for accounts: create, sign in with a password, change roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gateway import audit, passwords, roles, throttle
from gateway.i18n import N_
from gateway.store import Q


class AccountError(ValueError):
    """What is wrong with the input (a message id), and which form field it concerns."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    roles: tuple[str, ...]
    password: str | None = None
    organisation_id: str | None = None
    pool_ids: tuple[str, ...] = ()


def check_access(user_roles: tuple[str, ...], organisation_id: str | None) -> None:
    unknown = [r for r in user_roles if r not in roles.ALL]
    if unknown:
        raise AccountError(N_("Okänd roll."), "roles")
    if roles.ORG_REPRESENTATIVE in user_roles and not organisation_id:
        raise AccountError(
            N_("En företrädare måste höra till en organisation. Fyll i organisationen."), "organisation_id"
        )


async def create_user(
    conn: asyncpg.Connection, *, new: NewUser, actor: tuple[uuid.UUID | None, str | None], ip: str | None
) -> asyncpg.Record:
    email = new.email.strip()
    if "@" not in email or len(email) > 254:
        raise AccountError(N_("Skriv en e-postadress, till exempel namn@kommun.se."), "email")
    if not new.name.strip():
        raise AccountError(N_("Skriv personens namn."), "name")
    check_access(new.roles, new.organisation_id)
    if new.password is not None and (problem := passwords.weakness(new.password)):
        raise AccountError(problem, "password")
    async with conn.transaction():
        if await conn.fetchrow(Q.user_by_email, email):
            raise AccountError(N_("Det finns redan en användare med den e-postadressen."), "email")
        row = await conn.fetchrow(
            Q.insert_user,
            uuid.uuid4(),
            email,
            new.name.strip(),
            passwords.hash_password(new.password) if new.password else None,
            list(new.roles),
            new.organisation_id or None,
            list(new.pool_ids),
            None,
        )
        assert row is not None
        await audit.record(
            conn,
            action="user_created",
            actor_id=actor[0],
            actor_email=actor[1],
            target=email,
            detail={"roles": list(new.roles), "organisation_id": new.organisation_id},
            ip=ip,
        )
    return row


@dataclass(frozen=True)
class SignInResult:
    user_id: uuid.UUID | None = None
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.user_id is not None


async def authenticate(
    conn: asyncpg.Connection, *, email: str, password: str, ip: str, now: datetime
) -> SignInResult:
    """Check a password, slowing down repeated failures from one address for one account."""
    email = email.strip()
    wait = await throttle.wait_needed(conn, email=email, ip=ip, now=now)
    if wait:
        return SignInResult(wait_seconds=wait)
    user = await conn.fetchrow(Q.user_by_email, email)
    good = passwords.verify_password(user["password_hash"] if user else None, password)
    async with conn.transaction():
        if not good or user is None or not user["active"]:
            failures = await throttle.record_failure(conn, email=email, ip=ip)
            await audit.record(
                conn,
                action="sign_in_failed",
                actor_id=None,
                actor_email=email[:254],
                detail={"failures": failures},
                ip=ip,
            )
            return SignInResult()
        await throttle.clear(conn, email=email, ip=ip)
        if passwords.needs_rehash(user["password_hash"]):
            await conn.execute(Q.set_password, user["id"], passwords.hash_password(password))
    return SignInResult(user_id=user["id"])


async def change_access(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    name: str,
    user_roles: tuple[str, ...],
    organisation_id: str | None,
    pool_ids: tuple[str, ...],
    active: bool,
    actor: tuple[uuid.UUID | None, str | None],
    ip: str | None,
) -> asyncpg.Record:
    check_access(user_roles, organisation_id)
    if not name.strip():
        raise AccountError(N_("Skriv personens namn."), "name")
    async with conn.transaction():
        row = await conn.fetchrow(
            Q.update_access,
            user_id,
            name.strip(),
            list(user_roles),
            organisation_id or None,
            list(pool_ids),
            active,
        )
        if row is None:
            raise AccountError(N_("Användaren finns inte."), "name")
        if not active:
            await conn.execute(Q.delete_user_sessions, user_id)
        await audit.record(
            conn,
            action="access_changed",
            actor_id=actor[0],
            actor_email=actor[1],
            target=row["email"],
            detail={"roles": list(user_roles), "organisation_id": organisation_id, "active": active},
            ip=ip,
        )
    return row


async def set_password(conn: asyncpg.Connection, *, user_id: uuid.UUID, password: str) -> None:
    if problem := passwords.weakness(password):
        raise AccountError(problem, "password")
    await conn.execute(Q.set_password, user_id, passwords.hash_password(password))
