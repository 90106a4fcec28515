"""Password hashing, session expiry and sign-in throttling: the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway import passwords, sessions, throttle


def test_passwords_are_hashed_with_argon2id_at_owasp_cost() -> None:
    stored = passwords.hash_password("a long enough password")
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert passwords.verify_password(stored, "a long enough password")
    assert not passwords.verify_password(stored, "another password")
    assert not passwords.verify_password(None, "anything at all")


def test_weak_passwords_are_refused_with_a_reason() -> None:
    assert passwords.weakness("short") is not None
    assert passwords.weakness("aaaaaaaaaaaaaa") is not None
    assert passwords.weakness("a long enough password") is None


def test_sessions_end_after_idle_or_absolute_time() -> None:
    now = datetime(2026, 3, 7, 12, tzinfo=UTC)
    idle, absolute = timedelta(minutes=30), timedelta(hours=12)
    fresh = {"created_at": now - timedelta(hours=1), "last_seen_at": now - timedelta(minutes=5)}
    assert not sessions.is_expired(**fresh, now=now, idle=idle, absolute=absolute)
    idle_too_long = {"created_at": now - timedelta(hours=1), "last_seen_at": now - timedelta(minutes=31)}
    assert sessions.is_expired(**idle_too_long, now=now, idle=idle, absolute=absolute)
    too_old = {"created_at": now - timedelta(hours=13), "last_seen_at": now}
    assert sessions.is_expired(**too_old, now=now, idle=idle, absolute=absolute)


def test_session_cookies_use_the_host_prefix_behind_tls() -> None:
    assert sessions.cookie_name(True).startswith("__Host-")
    assert not sessions.cookie_name(False).startswith("__Host-")


def test_session_ids_are_stored_only_as_hashes() -> None:
    token = sessions.new_token()
    assert len(token) >= 43
    assert sessions.token_hash(token) != token.encode()
    assert len(sessions.token_hash(token)) == 32


def test_failed_sign_ins_grow_a_delay_and_never_a_lock() -> None:
    assert throttle.delay_after(0) == timedelta(0)
    assert throttle.delay_after(2) == timedelta(0)
    assert throttle.delay_after(3) == timedelta(seconds=1)
    assert throttle.delay_after(4) == timedelta(seconds=2)
    assert throttle.delay_after(100) == throttle.MAX_DELAY
    last = datetime(2026, 3, 7, 12, tzinfo=UTC)
    assert throttle.seconds_to_wait(5, last, last + timedelta(seconds=1)) == 3
    assert throttle.seconds_to_wait(5, last, last + timedelta(seconds=5)) == 0


def test_one_address_has_a_budget_over_all_accounts() -> None:
    now = datetime(2026, 3, 7, 12, tzinfo=UTC)
    none = throttle.Counter(0, now)
    under = throttle.Counter(throttle.ADDRESS_FREE - 1, now)
    spent = throttle.Counter(throttle.ADDRESS_FREE, now)
    assert throttle.wait_for(pair=none, address=under, account=none, now=now) == 0
    assert throttle.wait_for(pair=none, address=spent, account=none, now=now) == 1


def test_many_failures_on_an_account_only_slow_it_down_and_never_lock_its_owner_out() -> None:
    now = datetime(2026, 3, 7, 12, tzinfo=UTC)
    none = throttle.Counter(0, now)
    many = throttle.Counter(throttle.ACCOUNT_SLOW_AFTER, now)
    one_here = throttle.Counter(1, now)
    # Under attack from elsewhere, one failure at an address already costs a second there ...
    assert throttle.wait_for(pair=one_here, address=none, account=many, now=now) == 1
    assert throttle.wait_for(pair=one_here, address=none, account=none, now=now) == 0
    # ... but the owner's known browser without failures of its own never waits, however many there are.
    huge = throttle.Counter(10_000, now)
    assert throttle.wait_for(pair=none, address=none, account=huge, now=now, known_device=True) == 0


def test_failures_are_forgotten_an_hour_after_the_last_one() -> None:
    now = datetime(2026, 3, 7, 12, tzinfo=UTC)
    none = throttle.Counter(0, now)
    old = throttle.Counter(40, now - throttle.FORGET_AFTER - timedelta(seconds=1))
    assert throttle.remembered(old, now) == 0
    assert throttle.wait_for(pair=old, address=old, account=old, now=now) == 0
    recent = throttle.Counter(40, now - timedelta(minutes=5))
    assert throttle.remembered(recent, now) == 40
    assert throttle.wait_for(pair=recent, address=none, account=none, now=now) > 0


def test_ipv6_addresses_are_counted_by_their_64_bit_network() -> None:
    # One home or one server gets a whole /64: counting single addresses would give it 2**64 tries.
    assert throttle.address_key("2001:db8:1:2:aaaa::1") == throttle.address_key("2001:db8:1:2::ffff")
    assert throttle.address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert throttle.address_key("2001:db8:1:3::1") != throttle.address_key("2001:db8:1:2::1")
    assert throttle.address_key("203.0.113.7") == "203.0.113.7"
    assert throttle.address_key("::ffff:203.0.113.7") == "203.0.113.7"


def test_an_account_under_attack_slows_every_new_device_but_never_a_known_one() -> None:
    now = datetime(2026, 3, 7, 12, tzinfo=UTC)
    none = throttle.Counter(0, now)
    huge = throttle.Counter(10_000, now)
    # Guesses spread over many addresses share the account's budget: a fresh address waits too ...
    wait = throttle.wait_for(pair=none, address=none, account=huge, now=now)
    assert 0 < wait <= throttle.ACCOUNT_MAX_DELAY.total_seconds()
    # ... but never long: the owner on a new device is slowed, not locked out ...
    assert throttle.wait_for(pair=none, address=none, account=huge, now=now + throttle.ACCOUNT_MAX_DELAY) == 0
    # ... and a browser the owner has signed in from before is not held back by the account at all.
    assert throttle.wait_for(pair=none, address=none, account=huge, now=now, known_device=True) == 0
    below = throttle.Counter(throttle.ACCOUNT_SLOW_AFTER - 1, now)
    assert throttle.wait_for(pair=none, address=none, account=below, now=now) == 0
