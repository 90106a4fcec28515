"""Slows down repeated failed sign-ins, without ever letting an attacker lock the real person out.

Three counts of failures, each forgotten an hour after its last failure. An address is an IPv4
address or a whole IPv6 /64 network (one home or one server gets a /64, so counting single IPv6
addresses would give it 2**64 fresh starts).
- per account and address: 3 failures free, then a wait of 1, 2, 4 … seconds, up to 15 minutes.
  It counts only failures made from that address, so nobody else can make the owner wait here.
- per address, over all accounts: 50 failures free, then the same growing wait, so that one address
  cannot try a common password against many accounts.
- per account, over all addresses: from 10 failures on, every attempt on the account waits 1, 2,
  4 … seconds after the account's last failure, never more than a minute (a slowdown, never a lock),
  so guesses spread over many addresses are slowed too. A browser the owner has signed in from
  before (`devices`, OWASP's device cookie) is exempt, so the owner there never waits for others.
  From 10 failures on an address also has only one failure free for the account before it waits.

Every attempt is counted before its password is checked, in one transaction that locks the counts,
so a burst of parallel attempts cannot all pass the check before any of them is counted; an attempt
that succeeds is taken back, and one that is refused writes nothing. The address is the one
`forwarded.client_address` gives: behind a proxy it is the person's own only if the proxy is in
`GATEWAY_TRUSTED_PROXIES`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from gateway.store import Q

FREE_ATTEMPTS = 3
ADDRESS_FREE = 50
ACCOUNT_SLOW_AFTER = 10
# Free failures per account and address while the account is under attack from elsewhere.
SLOWED_FREE = 1
MAX_DELAY = timedelta(minutes=15)
# The most the account's own count makes anyone wait: long enough that guesses from many addresses
# come at most about once a minute, short enough that the owner on a new device is only slowed.
ACCOUNT_MAX_DELAY = timedelta(minutes=1)
# Longer than MAX_DELAY: an attacker who waits out every delay is still remembered.
FORGET_AFTER = timedelta(hours=1)
# The counts' rows use '' for "any": ('', ip) counts an address, (email, '') an account.
ANY = ""


@dataclass(frozen=True)
class Counter:
    failures: int
    last_failure_at: datetime


def remembered(counter: Counter, now: datetime) -> int:
    return counter.failures if now - counter.last_failure_at < FORGET_AFTER else 0


def address_key(ip: str) -> str:
    """What an address is counted as: an IPv4 address as it is, an IPv6 address as its /64 network."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def delay_after(failures: int, free: int = FREE_ATTEMPTS, cap: timedelta = MAX_DELAY) -> timedelta:
    """How long to wait after `failures` failed attempts: none for the free ones, then 1, 2, 4 … seconds."""
    if failures < free:
        return timedelta(0)
    # Capped before exponentiating: a long attack must not overflow the delay.
    exponent = min(failures - free, 20)
    return min(timedelta(seconds=2**exponent), cap)


def seconds_to_wait(
    failures: int,
    last_failure_at: datetime,
    now: datetime,
    free: int = FREE_ATTEMPTS,
    cap: timedelta = MAX_DELAY,
) -> int:
    remaining = last_failure_at + delay_after(failures, free, cap) - now
    return max(0, int(remaining.total_seconds() + 0.999))


def wait_for(
    *, pair: Counter, address: Counter, account: Counter, now: datetime, known_device: bool = False
) -> int:
    """Seconds this address must wait before it may try this account again (0: it may try now).

    `known_device`: the browser shows that it has signed in to this account before.
    """
    account_failures = remembered(account, now)
    pair_free = SLOWED_FREE if account_failures >= ACCOUNT_SLOW_AFTER else FREE_ATTEMPTS
    pair_failures = remembered(pair, now)
    waits = [seconds_to_wait(remembered(address, now), address.last_failure_at, now, ADDRESS_FREE)]
    if pair_failures:
        waits.append(seconds_to_wait(pair_failures, pair.last_failure_at, now, pair_free))
    if not known_device:
        waits.append(
            seconds_to_wait(
                account_failures, account.last_failure_at, now, ACCOUNT_SLOW_AFTER, ACCOUNT_MAX_DELAY
            )
        )
    return max(waits)


@dataclass(frozen=True)
class Decision:
    wait_seconds: int
    # Failures for this account from this address, this attempt included when it may go ahead.
    failures: int
    # The wait comes only from the account's count (failures from elsewhere), not this address's own.
    for_the_account: bool = False


class _Refused(Exception):
    """Leaves the counting transaction, so that a refused attempt writes nothing."""

    def __init__(self, decision: Decision) -> None:
        super().__init__()
        self.decision = decision


async def attempt(
    conn: asyncpg.Connection, *, email: str, ip: str, now: datetime, known_device: bool = False
) -> Decision:
    """Checks whether this attempt may go ahead and, if so, counts it as a failure, in one transaction."""
    email = email.strip().lower()
    ip = address_key(ip)
    if not email or not ip:
        raise ValueError("A sign-in attempt needs an e-mail address and a client address.")
    # An address that has spent its budget is refused before anything is written for it, so fresh
    # e-mail addresses from it add no rows; the locked check below decides every other attempt.
    seen = await Q.failure_count.fetchrow(conn, email=ANY, ip=ip)
    if seen is not None:
        spent = Counter(seen["failures"], seen["last_failure_at"])
        if wait := seconds_to_wait(remembered(spent, now), spent.last_failure_at, now, ADDRESS_FREE):
            return Decision(wait_seconds=wait, failures=0)
    try:
        async with conn.transaction():
            # Creates missing counts and locks all three until the transaction ends.
            rows = await Q.lock_failure_counts.fetch(conn, email=email, ip=ip, any=ANY, now=now)
            counts = {(r["email"], r["ip"]): Counter(r["failures"], r["last_failure_at"]) for r in rows}
            pair, address, account = counts[(email, ip)], counts[(ANY, ip)], counts[(email, ANY)]
            wait = wait_for(pair=pair, address=address, account=account, now=now, known_device=known_device)
            if wait:
                own = wait_for(pair=pair, address=address, account=account, now=now, known_device=True)
                raise _Refused(
                    Decision(wait_seconds=wait, failures=remembered(pair, now), for_the_account=not own)
                )
            keys = [(email, ip), (ANY, ip), (email, ANY)]
            failures = [remembered(counts[key], now) + 1 for key in keys]
            await Q.set_failure_counts.execute(
                conn,
                emails=[k[0] for k in keys],
                ips=[k[1] for k in keys],
                failures=failures,
                now=now,
            )
    except _Refused as refused:
        return refused.decision
    return Decision(wait_seconds=0, failures=failures[0])


async def succeeded(conn: asyncpg.Connection, *, email: str, ip: str) -> None:
    """The attempt was right: its address starts afresh for the account, and it is not counted elsewhere."""
    email = email.strip().lower()
    ip = address_key(ip)
    # In the order the counts are locked in `attempt`.
    async with conn.transaction():
        await Q.clear_failures.execute(conn, email=email, ip=ip)
        await Q.uncount_failure.execute(conn, email=email, ip=ANY)
        await Q.uncount_failure.execute(conn, email=ANY, ip=ip)


async def delete_forgotten(conn: asyncpg.Connection, *, now: datetime) -> str:
    """Removes counts nobody remembers any more (they count as none anyway; this keeps the table small)."""
    return str(await Q.delete_forgotten_failures.execute(conn, before=now - FORGET_AFTER))


# Public event registrations need no account, so the address is all there is to count. A person
# registers themselves and maybe a few others for one event; a robot wants hundreds.
REGISTRATIONS_PER_EVENT = 5
REGISTRATIONS_PER_DAY = 20


class _Spent(Exception):
    """Leaves the counting transaction, so that a refused registration is not counted."""


async def registration_attempt(conn: asyncpg.Connection, *, ip: str, event_id: str, today: date) -> bool:
    """Counts a public registration from `ip` (an address from `forwarded`) for `event_id` on `today`
    (the local day), or says False when the address has used the day's budget for the event or overall."""
    ip = address_key(ip)
    # Only today's counts matter. Removed here, outside the counting transaction, so the table stays
    # small without a cleanup round of its own (the day index makes this a no-op most of the time).
    await delete_old_registration_counts(conn, today=today)
    try:
        async with conn.transaction():
            rows = await Q.count_registration.fetch(conn, ip=ip, event_id=event_id, any=ANY, day=today)
            for row in rows:
                budget = REGISTRATIONS_PER_DAY if row["event_id"] == ANY else REGISTRATIONS_PER_EVENT
                if row["attempts"] > budget:
                    raise _Spent()
    except _Spent:
        return False
    return True


async def registration_not_taken(conn: asyncpg.Connection, *, ip: str, event_id: str, today: date) -> None:
    """Gives the attempt back: the service did not take the registration (it asked to be sent again),
    so the visitor who does as asked is not refused for having tried."""
    await Q.uncount_registration.execute(conn, ip=address_key(ip), event_id=event_id, any=ANY, day=today)


async def delete_old_registration_counts(conn: asyncpg.Connection, *, today: date) -> str:
    return str(await Q.delete_old_registration_counts.execute(conn, day=today))
