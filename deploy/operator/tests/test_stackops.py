"""stackops without a Docker engine: arguments, label filtering, status and commands on fake containers."""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from docker.errors import DockerException

from stackops.cli import EXIT_ERROR, EXIT_NOT_HEALTHY, build_parser, main, signal_name
from stackops.compose import (
    DEFAULT_PROJECT,
    ONEOFF_LABEL,
    PROJECT_LABEL,
    REPLICA_LABEL,
    SERVICE_LABEL,
    Container,
    SelectionError,
    project_containers,
    project_filter,
    select,
)
from stackops.engine import EngineError
from stackops.status import health_of, render, row_for, rows_for


@dataclass
class FakeContainer:
    """Stands in for docker.models.containers.Container: labels, inspect attrs, and the calls made."""

    name: str
    labels: dict[str, str]
    attrs: dict[str, Any] = field(default_factory=dict)
    log_text: bytes = b""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.attrs.get("State", {}).get("Status", "running"))

    def restart(self, **kwargs: Any) -> None:
        self.calls.append(("restart", kwargs))

    def kill(self, signal: str | int | None = None) -> None:
        self.calls.append(("kill", {"signal": signal}))

    def logs(self, **kwargs: Any) -> bytes:
        self.calls.append(("logs", kwargs))
        return self.log_text

    def exec_run(self, cmd: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.calls.append(("exec_run", {"cmd": cmd, **kwargs}))
        return 1, b"not in this fake"


def container(
    service: str,
    replica: int = 1,
    *,
    project: str = DEFAULT_PROJECT,
    state: str = "running",
    health: str | None = "healthy",
    restarts: int = 0,
    oneoff: bool = False,
    log_text: bytes = b"",
    started: str = "",
) -> FakeContainer:
    labels = {
        PROJECT_LABEL: project,
        SERVICE_LABEL: service,
        REPLICA_LABEL: str(replica),
        ONEOFF_LABEL: "True" if oneoff else "False",
    }
    state_attrs: dict[str, Any] = {"Status": state, "StartedAt": started}
    if health is not None:
        state_attrs["Health"] = {"Status": health}
    return FakeContainer(
        name=f"{project}-{service}-{replica}",
        labels=labels,
        attrs={"State": state_attrs, "RestartCount": restarts},
        log_text=log_text,
    )


class FakeEngine:
    """Answers like Engine.containers; the real one asks Docker to filter by project first."""

    def __init__(self, containers: list[FakeContainer]) -> None:
        self._containers = containers
        self.projects_asked: list[str] = []

    def containers(self, project: str) -> list[Container]:
        self.projects_asked.append(project)
        return list(self._containers)


def run(argv: list[str], containers: list[FakeContainer]) -> tuple[int, str, str, FakeEngine]:
    engine = FakeEngine(containers)
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, connect_to=lambda: engine, out=out, err=err)
    return code, out.getvalue(), err.getvalue(), engine


# --- arguments -------------------------------------------------------------------------------------------


def test_logs_takes_a_service_and_shows_the_last_hundred_lines_unless_told() -> None:
    args = build_parser().parse_args(["logs", "meetings"])
    assert (args.command, args.service, args.tail, args.replica) == ("logs", "meetings", 100, None)
    assert build_parser().parse_args(["logs", "notify", "--tail", "5"]).tail == 5


def test_kill_sends_sigkill_unless_told_and_accepts_signals_in_any_spelling() -> None:
    assert build_parser().parse_args(["kill", "events"]).signal == "SIGKILL"
    assert build_parser().parse_args(["kill", "events", "--signal", "term"]).signal == "SIGTERM"
    assert signal_name("9") == "SIGKILL"
    assert signal_name("SIGINT") == "SIGINT"
    with pytest.raises(argparse.ArgumentTypeError, match="not a signal"):
        signal_name("SIGNOPE")


def test_restart_waits_as_long_as_compose_before_docker_kills() -> None:
    args = build_parser().parse_args(["restart", "gateway", "--replica", "2"])
    assert (args.service, args.replica, args.timeout) == ("gateway", 2, 30)


@pytest.mark.parametrize("argv", [["logs", "meetings", "--tail", "-1"], ["kill", "x", "--replica", "0"], []])
def test_bad_usage_is_refused_by_the_parser(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2


def test_project_comes_from_the_option_then_compose_project_name_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    assert build_parser().parse_args(["status"]).project == "delaktig"
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "staging")
    assert build_parser().parse_args(["status"]).project == "staging"
    assert build_parser().parse_args(["--project", "other", "status"]).project == "other"


# --- which containers ------------------------------------------------------------------------------------


def test_the_engine_is_asked_for_the_project_label_only() -> None:
    assert project_filter("delaktig") == {"label": ["com.docker.compose.project=delaktig"]}


def test_only_the_projects_service_containers_count_sorted_by_service_and_replica() -> None:
    found = project_containers(
        [
            container("meetings", 2),
            container("events"),
            container("meetings", 1),
            container("meetings", project="someone-else"),
            container("meetings", 3, oneoff=True),
            FakeContainer(name="unrelated", labels={}),
        ],
        "delaktig",
    )
    assert [c.name for c in found] == ["delaktig-events-1", "delaktig-meetings-1", "delaktig-meetings-2"]


def test_select_gives_every_replica_of_a_service_or_just_the_one_asked_for() -> None:
    everything = [container("meetings", 1), container("meetings", 2), container("notify")]
    assert [c.name for c in select(everything, "delaktig", "meetings")] == [
        "delaktig-meetings-1",
        "delaktig-meetings-2",
    ]
    assert [c.name for c in select(everything, "delaktig", "meetings", 2)] == ["delaktig-meetings-2"]


def test_an_unknown_service_is_named_together_with_the_ones_there_are() -> None:
    with pytest.raises(SelectionError, match=r"no service 'meeting'\. Its services: meetings, notify\."):
        select([container("meetings"), container("notify")], "delaktig", "meeting")


def test_a_missing_replica_is_named_together_with_the_ones_there_are() -> None:
    with pytest.raises(SelectionError, match=r"no replica 3\. Its replicas: 1, 2\."):
        select([container("meetings", 1), container("meetings", 2)], "delaktig", "meetings", 3)


def test_an_empty_project_says_how_to_start_it() -> None:
    with pytest.raises(SelectionError, match="docker compose up -d"):
        select([container("meetings", project="other")], "delaktig", "meetings")


# --- status ----------------------------------------------------------------------------------------------


def test_health_is_a_dash_for_images_without_a_healthcheck() -> None:
    assert health_of(container("mailpit", health=None)) == "-"
    assert health_of(container("meetings", health="starting")) == "starting"
    assert health_of(FakeContainer(name="odd", labels={}, attrs={"State": "running"})) == "-"


def test_a_row_is_fine_when_running_and_healthy_or_without_healthcheck() -> None:
    assert row_for(container("meetings")).fine
    assert row_for(container("mailpit", health=None)).fine
    assert not row_for(container("meetings", health="unhealthy")).fine
    assert not row_for(container("meetings", state="exited", health="unhealthy")).fine


def test_the_table_lines_up_its_columns() -> None:
    rows = rows_for([container("gateway", restarts=2), container("volunteers", health="starting")])
    lines = render(rows).splitlines()
    assert lines[0].split() == ["SERVICE", "REPLICA", "CONTAINER", "STATE", "HEALTH", "RESTARTS", "UPTIME"]
    assert lines[1].split() == ["gateway", "1", "delaktig-gateway-1", "running", "healthy", "2", "-"]
    assert lines[2].split() == ["volunteers", "1", "delaktig-volunteers-1", "running", "starting", "0", "-"]
    assert lines[0].index("HEALTH") == lines[1].index("healthy") == lines[2].index("starting")


def test_uptime_is_how_long_a_running_container_has_run() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    # Docker's and podman's ways of writing the start: nanoseconds and Z, or an offset.
    cases = {
        "2026-12-02T17:59:18.123456789Z": "42s",
        "2026-12-02T16:55:00.5+00:00": "1h05m",
        "2026-11-29T15:00:00Z": "3d03h",
    }
    for started, shown in cases.items():
        assert row_for(container("meetings", started=started), now=now).uptime == shown, started
    assert (
        row_for(container("meetings", state="exited", started="2026-12-02T17:00:00Z"), now=now).uptime == "-"
    )
    assert row_for(container("meetings", started="0001-01-01T00:00:00Z"), now=now).uptime == "-"
    assert row_for(container("meetings", started="not a time"), now=now).uptime == "-"


def test_status_exits_zero_only_when_everything_is_running_and_healthy() -> None:
    code, out, _, engine = run(["status"], [container("meetings"), container("nats")])
    assert code == 0
    assert "delaktig-meetings-1" in out
    assert engine.projects_asked == ["delaktig"]
    code, out, _, _ = run(["status"], [container("meetings"), container("events", state="exited")])
    assert code == EXIT_NOT_HEALTHY
    assert "exited" in out


def test_status_of_an_empty_project_is_an_error_that_says_what_to_do() -> None:
    code, out, err, _ = run(["--project", "nothing", "status"], [container("meetings")])
    assert (code, out) == (EXIT_ERROR, "")
    assert "Compose project 'nothing' has no containers" in err


# --- commands on fake containers -------------------------------------------------------------------------


def test_restart_restarts_every_replica_with_the_grace_period() -> None:
    first, second, other = container("meetings", 1), container("meetings", 2), container("events")
    code, out, _, _ = run(["restart", "meetings"], [first, second, other])
    assert code == 0
    assert first.calls == second.calls == [("restart", {"timeout": 30})]
    assert other.calls == []
    assert "Restarting delaktig-meetings-2" in out


def test_kill_hits_only_the_replica_asked_for_and_says_how_to_bring_it_back() -> None:
    first, second = container("notify", 1), container("notify", 2)
    code, out, _, _ = run(["kill", "notify", "--replica", "2", "--signal", "SIGTERM"], [first, second])
    assert code == 0
    assert (first.calls, second.calls) == ([], [("kill", {"signal": "SIGTERM"})])
    assert "stackops restart notify" in out


def test_logs_of_one_container_are_printed_as_they_are() -> None:
    one = container("gateway", log_text="första raden\nandra raden".encode())
    code, out, _, _ = run(["logs", "gateway", "--tail", "2"], [one])
    assert (code, out) == (0, "första raden\nandra raden\n")
    assert one.calls == [("logs", {"tail": 2, "stdout": True, "stderr": True})]


def test_logs_of_several_replicas_are_headed_by_container_name() -> None:
    replicas = [container("events", 1, log_text=b"a\n"), container("events", 2, log_text=b"b\n")]
    _, out, _, _ = run(["logs", "events"], replicas)
    assert out == "==> delaktig-events-1 <==\na\n==> delaktig-events-2 <==\nb\n"


def test_an_unknown_service_ends_with_exit_one_and_a_message() -> None:
    code, _, err, _ = run(["restart", "meeting"], [container("meetings")])
    assert code == EXIT_ERROR
    assert err.startswith("stackops: Compose project 'delaktig' has no service 'meeting'.")


# --- when Docker is not there ----------------------------------------------------------------------------


def test_an_unreachable_engine_is_explained_for_people() -> None:
    def unreachable() -> FakeEngine:
        raise EngineError("Docker is not reachable: is the engine running?")

    err = io.StringIO()
    assert main(["status"], connect_to=unreachable, out=io.StringIO(), err=err) == EXIT_ERROR
    assert err.getvalue() == "stackops: Docker is not reachable: is the engine running?\n"


def test_connect_turns_the_sdks_failure_into_that_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import docker

    from stackops import engine

    def no_engine() -> None:
        raise DockerException("Error while fetching server API version: connection refused")

    monkeypatch.setattr(docker, "from_env", no_engine)
    with pytest.raises(EngineError, match=r"^Docker is not reachable: is the engine running") as caught:
        engine.connect()
    assert "connection refused" in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ConnectionError("socket closed"), DockerException("engine went away")],
)
def test_losing_the_engine_half_way_is_explained_too(failure: Exception) -> None:
    class Vanishing(FakeContainer):
        def restart(self, **kwargs: Any) -> None:
            raise failure

    gone = Vanishing(name="delaktig-meetings-1", labels=container("meetings").labels)
    code, _, err, _ = run(["restart", "meetings"], [gone])
    assert code == EXIT_ERROR
    assert err.startswith("stackops: Docker is not reachable")


def test_a_one_shot_that_exited_zero_is_completed_and_fine_but_a_failed_one_is_not() -> None:
    done = container("meetings-migrate", state="exited", health=None)
    done.attrs["State"]["ExitCode"] = 0
    done.attrs["HostConfig"] = {"RestartPolicy": {"Name": "no"}}
    failed = container("notify-migrate", state="exited", health=None)
    failed.attrs["State"]["ExitCode"] = 1
    failed.attrs["HostConfig"] = {"RestartPolicy": {"Name": "no"}}
    stopped = container("meetings", state="exited", health=None)
    stopped.attrs["State"]["ExitCode"] = 0
    stopped.attrs["HostConfig"] = {"RestartPolicy": {"Name": "unless-stopped"}}
    rows = [row_for(c) for c in (done, failed, stopped)]
    assert [(r.state, r.fine) for r in rows] == [("completed", True), ("exited", False), ("exited", False)]


def test_status_says_why_a_container_is_not_healthy_from_its_last_healthcheck() -> None:
    sick = container("notify", health="unhealthy")
    said = "not ready: The background loop relay has not completed a turn for 130 s (allowed 120 s)."
    sick.attrs["State"]["Health"]["Log"] = [
        {"ExitCode": 0, "Output": ""},
        {"ExitCode": 1, "Output": said + "\n"},
    ]
    well = container("meetings")
    well.attrs["State"]["Health"]["Log"] = [{"ExitCode": 0, "Output": "old words\n"}]
    code, out, _, _ = run(["status", "--no-flow"], [well, sick])
    assert code == EXIT_NOT_HEALTHY
    assert f"delaktig-notify-1: {said}" in out.splitlines()
    assert "old words" not in out, "a healthy container's last output is not shown"
