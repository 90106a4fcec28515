"""The demo one-shot of docker-compose.yml (devstack.compose_demo) before it calls anything: what it
loads is tested on the engine (test_stack.py); here, that it loads nothing unless asked."""

from __future__ import annotations

import pytest

from devstack import compose_demo


@pytest.mark.parametrize("value", [None, "", "0", "false"])
def test_without_the_variable_it_loads_nothing_and_exits_0(monkeypatch, capsys, value):
    monkeypatch.delenv("DELAKTIG_DEMO", raising=False)
    if value is not None:
        monkeypatch.setenv("DELAKTIG_DEMO", value)
    # No key and no reachable service: it must not get as far as needing either.
    monkeypatch.setenv("DEMO_IDENTITY_SIGNING_KEY", "")
    monkeypatch.setenv("DEMO_MEETINGS_URL", "http://127.0.0.1:9")
    assert compose_demo.main() == 0
    assert "nothing loaded" in capsys.readouterr().out


def test_a_value_that_is_neither_on_nor_off_is_refused_with_what_to_write(monkeypatch, capsys):
    monkeypatch.setenv("DELAKTIG_DEMO", "perhaps")
    assert compose_demo.main() == 2
    assert "DELAKTIG_DEMO must be 1 (load it) or 0 (do not)" in capsys.readouterr().err


def test_asked_for_without_the_gateways_key_it_says_where_the_key_comes_from(monkeypatch, capsys):
    monkeypatch.setenv("DELAKTIG_DEMO", "1")
    monkeypatch.setenv("DEMO_IDENTITY_SIGNING_KEY", "")
    assert compose_demo.main() == 2
    assert "GATEWAY_IDENTITY_SIGNING_KEY" in capsys.readouterr().err


def test_its_calls_are_signed_as_the_system_for_each_service_and_live_as_long_as_a_service_allows(
    monkeypatch, tmp_path
):
    from backbone.identity import MAX_LIFETIME_SECONDS, ensure_keypair, load_verifying_key, verify

    keys = ensure_keypair(tmp_path / "identity")
    monkeypatch.setenv("DELAKTIG_DEMO", "1")
    monkeypatch.setenv("DEMO_IDENTITY_SIGNING_KEY", keys.signing.read_text())
    stack = compose_demo.ComposeStack(compose_demo.DemoSettings())
    assert stack.url("events") == "http://events:8102"
    token = stack.system_headers("events")["Authorization"].removeprefix("Bearer ")
    identity = verify(token, key=load_verifying_key(str(keys.public)), audience="events")
    assert identity.roles == ("system",)
    import joserfc.jwt

    from backbone.identity import ALGORITHM

    claims = joserfc.jwt.decode(token, load_verifying_key(str(keys.public)), algorithms=[ALGORITHM]).claims
    assert claims["exp"] - claims["iat"] == MAX_LIFETIME_SECONDS


def test_with_a_real_mail_relay_it_refuses_and_calls_nothing(monkeypatch, capsys, tmp_path):
    from backbone.identity import ensure_keypair

    keys = ensure_keypair(tmp_path / "identity")
    monkeypatch.setenv("DELAKTIG_DEMO", "1")
    monkeypatch.setenv("DEMO_IDENTITY_SIGNING_KEY", keys.signing.read_text())
    monkeypatch.setenv("DEMO_SMTP_HOST", "smtp.example.se")
    # Nothing listens here: a call would fail with a connection error, not return 2.
    for service in ("MEETINGS", "EVENTS", "VOLUNTEERS"):
        monkeypatch.setenv(f"DEMO_{service}_URL", "http://127.0.0.1:9")
    assert compose_demo.main() == 2
    err = capsys.readouterr().err
    assert "smtp.example.se" in err and "Mailpit" in err and "nothing loaded" in err


def test_a_service_that_does_not_answer_is_a_message_not_a_traceback(monkeypatch, capsys, tmp_path):
    from backbone.identity import ensure_keypair

    keys = ensure_keypair(tmp_path / "identity")
    monkeypatch.setenv("DELAKTIG_DEMO", "1")
    monkeypatch.setenv("DEMO_IDENTITY_SIGNING_KEY", keys.signing.read_text())
    monkeypatch.setenv("DEMO_MEETINGS_URL", "http://127.0.0.1:9")
    assert compose_demo.main() == 1
    err = capsys.readouterr().err
    assert "Demo data: could not be loaded" in err and "http://127.0.0.1:9" in err
