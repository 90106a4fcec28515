"""stackops smoke without an engine: where it finds the gateway, and what it says when a part is missing."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from stackops.cli import EXIT_ERROR, main
from stackops.compose import SelectionError
from stackops.smoke import SmokeFailed, create_user, mail_arrived, published_url, run_smoke


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


def test_the_mail_check_never_puts_the_address_into_the_shell_line() -> None:
    mail = Fake("m", "mailpit", exec_result=(1, b""))
    address = "x'; touch /tmp/owned; echo '@example.se"
    assert mail_arrived(mail, address) is False
    ((cmd, kwargs),) = mail.execs
    assert address not in " ".join(cmd) and "owned" not in " ".join(cmd)
    assert kwargs["environment"]["SMOKE_ADDRESS"] == address


def test_a_gateway_that_does_not_answer_is_a_failed_smoke_not_a_traceback() -> None:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = str(unused.getsockname()[1])  # closed again below: nothing listens there

    class Source:
        def containers(self, project: str) -> list[Any]:
            return [Fake("g", "gateway", ports("127.0.0.1", port)), Fake("m", "mailpit")]

    out, err = io.StringIO(), io.StringIO()
    assert main(["smoke"], connect_to=Source, out=out, err=err) == EXIT_ERROR
    assert f"The gateway at http://127.0.0.1:{port} did not answer" in out.getvalue(), out.getvalue()


class FakeGateway:
    """The gateway's pages and API as the smoke uses them, recording each request."""

    USER_ID = "0b0e3d4c-5a6f-4e7d-8c9b-0a1b2c3d4e5f"

    def __init__(self, container: Fake, *, meeting_status: int = 201) -> None:
        self.container = container
        self.meeting_status = meeting_status
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        said = f"{request.method} {request.url.path}"
        self.requests.append(said)
        form = '<input name="csrf_token" value="form-token">'
        # Made in the gateway container before the sign-in (the smoke's exec there).
        name = self.container.execs[0][1]["environment"]["SMOKE_NAME"] if self.container.execs else ""
        answers = {
            "GET /sign-in": httpx.Response(200, text=form),
            "POST /sign-in": httpx.Response(303, headers={"set-cookie": "__Host-session=s; Path=/"}),
            "GET /": httpx.Response(200, text='{"X-CSRF-Token": "page-token"}'),
            "POST /api/meetings/v1/meetings": httpx.Response(
                self.meeting_status, json={"id": "m-1", "version": 1}
            ),
            "POST /api/meetings/v1/meetings/m-1/cancel": httpx.Response(200, json={}),
            "GET /admin/users": httpx.Response(200, text=f'<a href="/admin/users/{self.USER_ID}">{name}</a>'),
            f"GET /admin/users/{self.USER_ID}": httpx.Response(200, text=form),
            f"POST /admin/users/{self.USER_ID}": httpx.Response(303),
        }
        return answers.get(said, httpx.Response(404))


@pytest.mark.parametrize(
    ("meeting_status", "cleaned"),
    [
        (201, ["POST /api/meetings/v1/meetings/m-1/cancel", f"POST /admin/users/{FakeGateway.USER_ID}"]),
        (422, [f"POST /admin/users/{FakeGateway.USER_ID}"]),
    ],
)
def test_a_smoke_that_fails_half_way_still_deactivates_its_administrator(
    meeting_status: int, cleaned: list[str]
) -> None:
    gateway = Fake("g", "gateway", ports("127.0.0.1", "8000"))
    mail = Fake("m", "mailpit", exec_result=(1, b""))  # the email never arrives
    fake = FakeGateway(gateway, meeting_status=meeting_status)
    ticks = iter(range(1000))
    out = io.StringIO()
    with pytest.raises(SmokeFailed) as failed:
        run_smoke(
            gateway,
            mail,
            out,
            timeout=2,
            clock=lambda: float(next(ticks)),
            transport=httpx.MockTransport(fake),
        )
    done = [r for r in fake.requests if r in cleaned]
    assert done == cleaned, fake.requests
    assert "deactivated" in str(failed.value), str(failed.value)
