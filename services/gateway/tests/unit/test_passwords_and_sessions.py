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
