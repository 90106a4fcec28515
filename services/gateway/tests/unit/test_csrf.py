"""CSRF tokens before a session exists: tied to the secret and to the browser's pre-session cookie."""

from __future__ import annotations

from gateway import csrf


def test_pre_session_csrf_tokens_depend_on_the_secret_and_the_cookie() -> None:
    a = csrf.pre_session_token("secret", "cookie-a")
    assert a == csrf.pre_session_token("secret", "cookie-a")
    assert a != csrf.pre_session_token("secret", "cookie-b")
    assert a != csrf.pre_session_token("other secret", "cookie-a")
