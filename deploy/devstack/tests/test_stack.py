"""The local stack's processes: what each is told, how readiness fails, and starting again after a crash."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from backbone.embedded import free_port, port_open
from backbone.testing import eventually, run_async
from devstack.stack import Ports, ServiceSpec, Stack

SERVICES = (ServiceSpec("meetings", 8101), ServiceSpec("notify", 8104), ServiceSpec("gateway", 8000))


def _new_variables(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if os.environ.get(k) != v}


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    return Stack(
        var=tmp_path / "var",
        ports=Ports.free(),
        services=SERVICES,
        extra_env={"NOTIFY_SEND_LEASE_SECONDS": "6", "MEETINGS_DUE_CHECK_SECONDS": "5"},
    )


def test_a_service_is_told_only_its_own_settings_and_the_public_key(stack: Stack) -> None:
    env = _new_variables(stack.env_for(SERVICES[0]))
    assert sorted(k for k in env if not k.startswith("MEETINGS_")) == []
    assert env["MEETINGS_IDENTITY_PUBLIC_KEY"] == str(stack.identity_keys.public)
    assert env["MEETINGS_DUE_CHECK_SECONDS"] == "5"
    assert env["MEETINGS_DATABASE_URL"].endswith("/meetings")
    assert str(stack.identity_keys.signing) not in env.values(), "only the gateway holds the private key"


def test_notify_is_told_where_the_mail_sink_and_the_gateway_are(stack: Stack) -> None:
    env = _new_variables(stack.env_for(SERVICES[1]))
    assert sorted(k for k in env if not k.startswith("NOTIFY_")) == []
    assert env["NOTIFY_SMTP_PORT"] == str(stack.ports.smtp)
    assert env["NOTIFY_PUBLIC_URL"] == stack.url("gateway")
    assert env["NOTIFY_SEND_LEASE_SECONDS"] == "6"


def test_the_gateway_is_told_its_upstreams_and_the_private_key(stack: Stack) -> None:
    env = _new_variables(stack.env_for(SERVICES[2]))
    assert sorted(k for k in env if not k.startswith("GATEWAY_")) == []
    assert env["GATEWAY_MEETINGS_URL"] == stack.url("meetings")
    assert env["GATEWAY_NOTIFY_URL"] == stack.url("notify")
    assert "GATEWAY_GATEWAY_URL" not in env
    assert env["GATEWAY_IDENTITY_SIGNING_KEY"] == str(stack.identity_keys.signing)
    assert env["GATEWAY_MAILDIR"] == str(stack.maildir)


def test_a_service_that_stops_while_starting_is_reported_with_the_end_of_its_log(stack: Stack) -> None:
    stack._spawn("meetings", [sys.executable, "-c", "print('no database at all'); raise SystemExit(3)"], {})
    with pytest.raises(RuntimeError, match=r"(?s)meetings exited with code 3.*no database at all"):
        stack.wait_ready("meetings", 20)


def test_the_mail_sink_is_started_again_like_any_other_process(tmp_path: Path) -> None:
    stack = Stack(var=tmp_path / "var", ports=Ports(smtp=free_port()), services=())
    stack.start(stack.mail_sink())
    try:
        os.killpg(stack.procs["mailsink"].pid, signal.SIGKILL)
        run_async(eventually(lambda: stack.crashed() == ["mailsink"], "the killed mail sink seen as stopped"))
        stack.restart("mailsink")
        assert port_open(stack.ports.smtp)
        assert stack.crashed() == []
    finally:
        stack.stop_process("mailsink")
