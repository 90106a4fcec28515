"""Use cases for accounts: create, sign in with a password, change roles."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
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


# The longest e-mail address that can be delivered to (RFC 5321: a 256-octet path less its brackets).
MAX_EMAIL_CHARS = 254


def could_be_an_address(email: str) -> bool:
    return "@" in email and len(email) <= MAX_EMAIL_CHARS


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
    if not could_be_an_address(email):
        raise AccountError(N_("Skriv en e-postadress, till exempel namn@kommun.se."), "email")
    if not new.name.strip():
        raise AccountError(N_("Skriv personens namn."), "name")
    check_access(new.roles, new.organisation_id)
    if new.password is not None and (problem := passwords.weakness(new.password)):
        raise AccountError(problem, "password")
    password_hash = await passwords.hashed(new.password) if new.password else None
    async with conn.transaction():
        if await Q.user_by_email.fetchrow(conn, email=email):
            raise AccountError(N_("Det finns redan en användare med den e-postadressen."), "email")
        row = await Q.insert_user.fetchrow(
            conn,
            id=uuid.uuid4(),
            email=email,
            name=new.name.strip(),
            password_hash=password_hash,
            roles=list(new.roles),
            organisation_id=new.organisation_id or None,
            pool_ids=list(new.pool_ids),
            oidc_subject=None,
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
    # The wait is for failures made on the account from elsewhere, not from here.
    for_the_account: bool = False
    # Too many sign-ins are being checked right now; nothing was tried or counted.
    busy: bool = False

    @property
    def ok(self) -> bool:
        return self.user_id is not None


async def authenticate(
    conn: asyncpg.Connection,
    *,
    email: str,
    password: str,
    ip: str,
    now: datetime,
    known_device: bool = False,
) -> SignInResult:
    """Check a password, slowing down repeated failures (see `throttle` for the rules).

    `known_device`: the browser has signed in to this account before (see `devices`).
    """
    email = email.strip()
    if not could_be_an_address(email):
        # No account has such an address, so it is refused like a wrong password, before anything is
        # counted or checked: nobody can fill the counts with it or spend a password check on it.
        return SignInResult()
    try:
        with ExitStack() as place:
            async with conn.transaction():
                decision = await throttle.attempt(
                    conn, email=email, ip=ip, now=now, known_device=known_device
                )
                if decision.wait_seconds:
                    return SignInResult(
                        wait_seconds=decision.wait_seconds, for_the_account=decision.for_the_account
                    )
                # Only an attempt that goes ahead takes a place for the check. When none is free, Busy
                # rolls the count back: nothing was tried.
                place.enter_context(passwords.turn())
            user = await Q.user_by_email.fetchrow(conn, email=email)
            # Unknown accounts are checked too (against a dummy hash), so timing does not tell who exists.
            good = await passwords.verify(user["password_hash"] if user else None, password)
    except passwords.Busy:
        return SignInResult(busy=True)
    if not good or user is None or not user["active"]:
        await audit.record(
            conn,
            action="sign_in_failed",
            actor_id=None,
            actor_email=email[:254],
            detail={"failures": decision.failures},
            ip=ip,
        )
        return SignInResult()
    new_hash = await passwords.hashed(password) if passwords.needs_rehash(user["password_hash"]) else None
    async with conn.transaction():
        await throttle.succeeded(conn, email=email, ip=ip)
        if new_hash:
            await Q.set_password.execute(conn, id=user["id"], password_hash=new_hash)
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
        row = await Q.update_access.fetchrow(
            conn,
            id=user_id,
            name=name.strip(),
            roles=list(user_roles),
            organisation_id=organisation_id or None,
            pool_ids=list(pool_ids),
            active=active,
        )
        if row is None:
            raise AccountError(N_("Användaren finns inte."), "name")
        if not active:
            await Q.delete_user_sessions.execute(conn, user_id=user_id)
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


async def set_password(
    conn: asyncpg.Connection, *, user_id: uuid.UUID, password: str, keep_session: bytes | None = None
) -> None:
    """A new password ends every other session of the person: whoever knew the old one is signed out.

    `keep_session` is the session the person changes it from themselves; a reset by someone else keeps none.
    """
    if problem := passwords.weakness(password):
        raise AccountError(problem, "password")
    password_hash = await passwords.hashed(password)
    async with conn.transaction():
        await Q.set_password.execute(conn, id=user_id, password_hash=password_hash)
        await Q.delete_other_user_sessions.execute(conn, user_id=user_id, keep_session=keep_session)
