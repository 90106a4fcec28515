"""stackops smoke without an engine: where it finds the gateway, and what it says when a part is missing."""

from __future__ import annotations

import io
from typing import Any

import pytest

from stackops.cli import EXIT_ERROR, main
from stackops.compose import SelectionError
from stackops.smoke import SmokeFailed, create_user, published_url


class Fake:
    def __init__(
        self, name: str, service: str, attrs: dict[str, Any] | None = None, exec_result=(0, b"")
    ) -> None:
        self.name = name
        self.labels = {
            "com.docker.compose.project": "delaktig",
            "com.docker.compose.service": service,
            "com.docker.compose.container-number": "1",
        }
        self.attrs = attrs or {}
        self.status = "running"
        self.exec_result = exec_result
        self.execs: list[tuple[Any, dict[str, Any]]] = []

    def exec_run(self, cmd: Any, **kwargs: Any) -> Any:
        self.execs.append((cmd, kwargs))
        return self.exec_result


def ports(host_ip: str, port: str) -> dict[str, Any]:
    return {"NetworkSettings": {"Ports": {"8000/tcp": [{"HostIp": host_ip, "HostPort": port}]}}}


def test_the_gateway_is_reached_where_its_port_is_published() -> None:
    assert published_url(Fake("g", "gateway", ports("127.0.0.1", "18000"))) == "http://127.0.0.1:18000"
    assert published_url(Fake("g", "gateway", ports("0.0.0.0", "8000"))) == "http://127.0.0.1:8000"


def test_a_gateway_without_a_published_port_is_explained() -> None:
    with pytest.raises(SelectionError, match="publishes no port for 8000/tcp"):
        published_url(Fake("delaktig_gateway_1", "gateway", {"NetworkSettings": {"Ports": {}}}))


def test_the_password_never_appears_in_the_command_line() -> None:
    gateway = Fake("g", "gateway")
    create_user(gateway, "smoke@example.se", "secret-pw")
    ((cmd, kwargs),) = gateway.execs
    assert "secret-pw" not in " ".join(cmd)
    assert kwargs["environment"]["SMOKE_PASSWORD"] == "secret-pw"


def test_a_failed_user_creation_shows_what_the_gateway_said() -> None:
    gateway = Fake("g", "gateway", exec_result=(1, b"There is already a user"))
    with pytest.raises(SmokeFailed, match="There is already a user"):
        create_user(gateway, "smoke@example.se", "pw")


def test_smoke_without_a_mail_relay_names_the_services_there_are() -> None:
    class Source:
        def containers(self, project: str) -> list[Any]:
            return [Fake("g", "gateway", ports("127.0.0.1", "8000"))]

    err = io.StringIO()
    assert main(["smoke"], connect_to=Source, out=io.StringIO(), err=err) == EXIT_ERROR
    assert "has no service 'mailpit'" in err.getvalue() and "gateway" in err.getvalue()


def test_a_replacement_that_crashes_or_exits_is_not_waited_for() -> None:
    from stackops.rollout import health

    running = Fake("n", "meetings", {"State": {"Status": "running", "Health": {"Status": "starting"}}})
    crashed = Fake("n", "meetings", {"State": {"Status": "running"}, "RestartCount": 2})
    exited = Fake("n", "meetings", {"State": {"Status": "exited"}})
    assert [health(c) for c in (running, crashed, exited)] == ["starting", "crashing", "exited"]
