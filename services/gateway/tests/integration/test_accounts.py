"""Account use cases on real PostgreSQL: throttled sign-in, password checks off the loop, password changes."""

from __future__ import annotations

import asyncio
import secrets
import threading
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from backbone.testing import eventually
from gateway import accounts, passwords, sessions, throttle
from gateway.settings import Settings

from .conftest import PASSWORD, run


def an_address() -> str:
    """A documentation address (2001:db8::/32) in a /64 of its own, so tests never share counters."""
    return f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}::1"


async def _new_user(conn: asyncpg.Connection) -> tuple[uuid.UUID, str]:
    email = f"acc-{uuid.uuid4().hex[:10]}@example.se"
    row = await accounts.create_user(
        conn,
        new=accounts.NewUser(email=email, name="Test", roles=("staff",), password=PASSWORD),
        actor=(None, "test"),
        ip=None,
    )
    return row["id"], email


def test_a_burst_of_parallel_wrong_passwords_gets_only_the_free_attempts(settings: Settings) -> None:
    burst = 8

    async def scenario() -> list[accounts.SignInResult]:
        async with asyncpg.create_pool(settings.database_url, min_size=burst, max_size=burst) as pool:
            async with pool.acquire() as conn:
                _user, email = await _new_user(conn)
            address = an_address()

            async def attempt() -> accounts.SignInResult:
                async with pool.acquire() as conn:
                    return await accounts.authenticate(
                        conn, email=email, password="wrong guess 123", ip=address, now=datetime.now(UTC)
                    )

            return await asyncio.gather(*(attempt() for _ in range(burst)))

    results = run(scenario())
    checked = [r for r in results if not r.wait_seconds]
    assert len(checked) <= throttle.FREE_ATTEMPTS
    assert all(not r.ok for r in results)


def test_passwords_are_checked_off_the_event_loop(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = passwords.verify_password
    checked_in: list[int] = []
    may_finish = threading.Event()

    def observed(stored: str | None, password: str) -> bool:
        checked_in.append(threading.get_ident())
        # On the loop's own thread this would keep the loop from ever setting the event (until the timeout).
        may_finish.wait(timeout=10)
        return original(stored, password)

    monkeypatch.setattr(passwords, "verify_password", observed)

    async def scenario() -> tuple[int, bool, accounts.SignInResult]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            _user, email = await _new_user(conn)
            sign_in = asyncio.create_task(
                accounts.authenticate(
                    conn, email=email, password=PASSWORD, ip=an_address(), now=datetime.now(UTC)
                )
            )
            await eventually(lambda: checked_in, "the password check started", timeout=10, interval=0.01)
            # The loop runs this line while the password is being checked: it is not blocked by argon2.
            loop_ran_during_check = not sign_in.done()
            may_finish.set()
            return threading.get_ident(), loop_ran_during_check, await sign_in
        finally:
            await conn.close()

    loop_thread, loop_ran_during_check, result = run(scenario())
    assert checked_in and checked_in[0] != loop_thread
    assert loop_ran_during_check
    assert result.ok


def test_when_every_place_for_a_password_check_is_taken_a_sign_in_is_refused_at_once(
    settings: Settings,
) -> None:
    async def scenario() -> tuple[accounts.SignInResult, int]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            _user, email = await _new_user(conn)
            with ExitStack() as taken:
                for _ in range(passwords.RUNNING + passwords.WAITING):
                    taken.enter_context(passwords.turn())
                result = await accounts.authenticate(
                    conn, email=email, password=PASSWORD, ip=an_address(), now=datetime.now(UTC)
                )
            counted = await conn.fetchval(
                "SELECT count(*) FROM sign_in_failures WHERE email = lower($1)", email
            )
            return result, int(counted)
        finally:
            await conn.close()

    result, counted = run(scenario())
    assert result.busy and not result.ok
    # Nothing was tried, so nothing is counted against the person.
    assert counted == 0


def test_an_unknown_account_costs_a_full_password_check(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = passwords.verify_password
    checked: list[str | None] = []

    def observed(stored: str | None, password: str) -> bool:
        checked.append(stored)
        return original(stored, password)

    monkeypatch.setattr(passwords, "verify_password", observed)

    async def scenario() -> accounts.SignInResult:
        conn = await asyncpg.connect(settings.database_url)
        try:
            return await accounts.authenticate(
                conn,
                email="nobody-here@example.se",
                password=PASSWORD,
                ip=an_address(),
                now=datetime.now(UTC),
            )
        finally:
            await conn.close()

    assert not run(scenario()).ok
    # Checked like a real account (against a dummy hash inside), so timing does not reveal who exists.
    assert len(checked) == 1


def test_one_address_cannot_try_a_password_against_many_accounts(settings: Settings) -> None:
    accounts_tried = throttle.ADDRESS_FREE + 10

    async def scenario() -> int:
        conn = await asyncpg.connect(settings.database_url)
        address = an_address()
        checked = 0
        try:
            for _ in range(accounts_tried):
                result = await accounts.authenticate(
                    conn,
                    email=f"spray-{uuid.uuid4().hex[:10]}@example.se",
                    password="Summer2026!",
                    ip=address,
                    now=datetime.now(UTC),
                )
                checked += not result.wait_seconds
            return checked
        finally:
            await conn.close()

    checked = run(scenario())
    assert checked < accounts_tried
    assert checked == throttle.ADDRESS_FREE


def test_failures_from_many_addresses_never_make_the_owner_wait_on_a_known_device(settings: Settings) -> None:
    async def scenario() -> accounts.SignInResult:
        conn = await asyncpg.connect(settings.database_url)
        try:
            _user, email = await _new_user(conn)
            for _ in range(throttle.ACCOUNT_SLOW_AFTER + 5):
                attacker = an_address()
                for _ in range(throttle.FREE_ATTEMPTS):
                    await accounts.authenticate(
                        conn, email=email, password="guess guess", ip=attacker, now=datetime.now(UTC)
                    )
            return await accounts.authenticate(
                conn,
                email=email,
                password=PASSWORD,
                ip=an_address(),
                now=datetime.now(UTC),
                known_device=True,
            )
        finally:
            await conn.close()

    assert run(scenario()).ok


def test_a_new_password_ends_the_persons_other_sessions(settings: Settings) -> None:
    async def scenario() -> tuple[int, int]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            user_id, _email = await _new_user(conn)
            for _ in range(2):
                await sessions.start(conn, user_id=user_id, ip=None)
            # An administrator (or the command line) resets it: every session ends.
            await accounts.set_password(conn, user_id=user_id, password="a brand new password 1")
            after_reset = await conn.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user_id)
            # The person changes it themselves: the session they are using stays.
            mine = await sessions.start(conn, user_id=user_id, ip=None)
            await sessions.start(conn, user_id=user_id, ip=None)
            await accounts.set_password(
                conn,
                user_id=user_id,
                password="another new password 2",
                keep_session=sessions.token_hash(mine),
            )
            kept = await conn.fetch("SELECT id_hash FROM sessions WHERE user_id = $1", user_id)
            assert [row["id_hash"] for row in kept] == [sessions.token_hash(mine)]
            return int(after_reset), len(kept)
        finally:
            await conn.close()

    assert run(scenario()) == (0, 1)


def _failure_rows(conn: asyncpg.Connection) -> Any:
    return conn.fetchval("SELECT count(*) FROM sign_in_failures")


def test_refused_attempts_leave_no_rows_behind(settings: Settings) -> None:
    async def scenario() -> tuple[int, int]:
        conn = await asyncpg.connect(settings.database_url)
        now = datetime.now(UTC)
        address = an_address()
        try:
            # The address spends its budget over all accounts ...
            for _ in range(throttle.ADDRESS_FREE):
                await throttle.attempt(conn, email=f"{uuid.uuid4().hex}@example.se", ip=address, now=now)
            before = await _failure_rows(conn)
            # ... then goes on with fresh addresses, every one of them refused.
            for _ in range(20):
                refused = await throttle.attempt(
                    conn, email=f"{uuid.uuid4().hex}@example.se", ip=address, now=now
                )
                assert refused.wait_seconds
            return int(before), int(await _failure_rows(conn))
        finally:
            await conn.close()

    before, after = run(scenario())
    assert after == before


# Random, so that PostgreSQL cannot compress it below the index's limit of about 2.7 kB.
@pytest.mark.parametrize("email", [secrets.token_urlsafe(4000) + "@example.se", "no-at-sign.example.se"])
def test_an_address_that_cannot_be_an_account_is_refused_like_a_wrong_password(
    settings: Settings, email: str
) -> None:
    async def scenario() -> tuple[accounts.SignInResult, int]:
        conn = await asyncpg.connect(settings.database_url)
        now = datetime.now(UTC)
        try:
            result = await accounts.authenticate(
                conn, email=email, password=PASSWORD, ip=an_address(), now=now
            )
            counted = await conn.fetchval(
                "SELECT count(*) FROM sign_in_failures WHERE email = lower($1)", email
            )
            return result, int(counted)
        finally:
            await conn.close()

    result, counted = run(scenario())
    assert not result.ok and not result.wait_seconds and not result.busy
    assert counted == 0


def test_a_throttled_attempt_is_told_to_wait_even_when_every_place_is_taken(settings: Settings) -> None:
    async def scenario() -> accounts.SignInResult:
        conn = await asyncpg.connect(settings.database_url)
        now = datetime.now(UTC)
        address = an_address()
        try:
            _user, email = await _new_user(conn)
            for _ in range(throttle.FREE_ATTEMPTS):
                await accounts.authenticate(conn, email=email, password="wrong guess 1", ip=address, now=now)
            with ExitStack() as taken:
                for _ in range(passwords.RUNNING + passwords.WAITING):
                    taken.enter_context(passwords.turn())
                return await accounts.authenticate(
                    conn, email=email, password="wrong guess 2", ip=address, now=now
                )
        finally:
            await conn.close()

    result = run(scenario())
    # It never needed a password check, so it takes no place and hears why it is refused.
    assert result.wait_seconds and not result.busy


def test_addresses_of_one_ipv6_network_share_their_counts(settings: Settings) -> None:
    async def scenario() -> accounts.SignInResult:
        conn = await asyncpg.connect(settings.database_url)
        now = datetime.now(UTC)
        network = f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}"
        try:
            _user, email = await _new_user(conn)
            for host in range(1, throttle.FREE_ATTEMPTS + 1):
                await accounts.authenticate(
                    conn, email=email, password="wrong guess", ip=f"{network}::{host}", now=now
                )
            return await accounts.authenticate(
                conn, email=email, password="wrong guess", ip=f"{network}::99", now=now
            )
        finally:
            await conn.close()

    assert run(scenario()).wait_seconds


def test_guesses_from_many_addresses_slow_new_devices_but_not_the_owners_known_one(
    settings: Settings,
) -> None:
    async def scenario() -> tuple[int, accounts.SignInResult, accounts.SignInResult]:
        conn = await asyncpg.connect(settings.database_url)
        now = datetime.now(UTC)
        try:
            _user, email = await _new_user(conn)
            checked = 0
            # Every guess from an address of its own: only the account's budget can hold them back.
            for _ in range(throttle.ACCOUNT_SLOW_AFTER + 10):
                result = await accounts.authenticate(
                    conn, email=email, password="guess guess", ip=an_address(), now=now
                )
                checked += not result.wait_seconds
            new_device = await accounts.authenticate(
                conn, email=email, password=PASSWORD, ip=an_address(), now=now
            )
            known = await accounts.authenticate(
                conn, email=email, password=PASSWORD, ip=an_address(), now=now, known_device=True
            )
            return checked, new_device, known
        finally:
            await conn.close()

    checked, new_device, known = run(scenario())
    assert checked < throttle.ACCOUNT_SLOW_AFTER + 10
    assert 0 < new_device.wait_seconds <= throttle.ACCOUNT_MAX_DELAY.total_seconds()
    assert known.ok


def test_a_session_due_for_its_touch_is_resumed_without_waiting_for_another_request_touching_it(
    settings: Settings,
) -> None:
    """Pages in flight at once all find their session due for a touch; none may queue behind another's."""

    async def scenario() -> sessions.SignedIn | None:
        async with asyncpg.create_pool(settings.database_url, min_size=2, max_size=2) as pool:
            async with pool.acquire() as conn:
                user_id, _email = await _new_user(conn)
                token = await sessions.start(conn, user_id=user_id, ip=None)
                await conn.execute(
                    "UPDATE sessions SET last_seen_at = now() - interval '5 minutes' WHERE id_hash = $1",
                    sessions.token_hash(token),
                )
            async with pool.acquire() as holder, holder.transaction():
                # Another request's touch, not yet committed: it holds the row.
                await holder.execute(
                    "UPDATE sessions SET last_seen_at = last_seen_at WHERE id_hash = $1",
                    sessions.token_hash(token),
                )
                async with pool.acquire() as conn:
                    resumed = await asyncio.wait_for(
                        sessions.resume(
                            conn,
                            token=token,
                            now=datetime.now(UTC),
                            idle=timedelta(minutes=settings.session_idle_minutes),
                            absolute=timedelta(hours=settings.session_absolute_hours),
                        ),
                        timeout=10,
                    )
            return resumed

    assert run(scenario()) is not None


def test_a_session_in_use_is_kept_alive(settings: Settings) -> None:
    async def scenario() -> tuple[datetime, datetime]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            user_id, _email = await _new_user(conn)
            token = await sessions.start(conn, user_id=user_id, ip=None)
            digest = sessions.token_hash(token)
            before = await conn.fetchval(
                "UPDATE sessions SET last_seen_at = now() - interval '5 minutes' WHERE id_hash = $1 "
                "RETURNING last_seen_at",
                digest,
            )
            await sessions.resume(
                conn,
                token=token,
                now=datetime.now(UTC),
                idle=timedelta(minutes=settings.session_idle_minutes),
                absolute=timedelta(hours=settings.session_absolute_hours),
            )
            after = await conn.fetchval("SELECT last_seen_at FROM sessions WHERE id_hash = $1", digest)
            return before, after
        finally:
            await conn.close()

    before, after = run(scenario())
    assert after > before + timedelta(minutes=4)
