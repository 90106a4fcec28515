"""stackops status without an engine: stream and consumer lag, outbox backlogs and dead letters."""

from __future__ import annotations

import io
import json
from typing import Any

from stackops.cli import main
from stackops.status import JSZ

JSZ_ANSWER = {
    "account_details": [
        {
            "name": "$G",
            "stream_detail": [
                {
                    "name": "MEETINGS",
                    "state": {"messages": 12},
                    "consumer_detail": [{"name": "notify", "num_pending": 3, "num_ack_pending": 1}],
                },
                {"name": "DEADLETTER", "state": {"messages": 2}},
            ],
        }
    ]
}


class Fake:
    def __init__(
        self, service: str, answers: dict[str, tuple[int, bytes]], env: list[str] | None = None
    ) -> None:
        self.name = f"delaktig-{service}-1"
        self.labels = {
            "com.docker.compose.project": "delaktig",
            "com.docker.compose.service": service,
            "com.docker.compose.container-number": "1",
        }
        self.status = "running"
        self.attrs: dict[str, Any] = {
            "Config": {"Env": env or []},
            "State": {"Status": "running", "Health": {"Status": "healthy"}},
        }
        self.answers = answers

    def exec_run(self, cmd: Any, **kwargs: Any) -> tuple[int, bytes]:
        key = JSZ if JSZ in cmd else cmd[cmd.index("-d") + 1]
        return self.answers.get(key, (1, b"no such database"))


class Source:
    def __init__(self, *containers: Fake) -> None:
        self._containers = list(containers)

    def containers(self, project: str) -> list[Fake]:
        return self._containers


def _status(*containers: Fake) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["status"], connect_to=lambda: Source(*containers), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_status_shows_each_streams_messages_each_consumers_lag_outboxes_and_dead_letters() -> None:
    nats = Fake("nats", {JSZ: (0, json.dumps(JSZ_ANSWER).encode())})
    postgres = Fake(
        "postgres",
        {"meetings": (0, b"4 1\n"), "notify": (0, b"0 0\n")},
        env=["SERVICE_DATABASES=meetings notify gateway"],
    )
    code, text = _status(nats, postgres)
    assert code == 0, text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "STREAM MESSAGES CONSUMER PENDING ACK PENDING" in lines
    assert "MEETINGS 12 -" in lines
    assert "MEETINGS notify 3 1" in lines
    assert "DEADLETTER 2 -" in lines
    assert any(line.startswith("2 dead letters wait for an operator") for line in lines), text
    assert "DATABASE OUTBOX BACKLOG SET ASIDE" in lines
    assert "meetings 4 1" in lines and "notify 0 0" in lines
    assert "gateway ? ?" in lines, "a count that cannot be read is shown as such"


def test_status_says_what_it_cannot_read_and_keeps_its_exit_code() -> None:
    nats = Fake("nats", {JSZ: (1, b"wget: can't connect")})
    code, text = _status(nats)
    assert code == 0, text
    assert "Streams: could not be read (NATS monitoring did not answer" in text
    assert "Outboxes: postgres is not running." in text
