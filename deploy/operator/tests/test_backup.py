"""stackops backup and restore without an engine: argument lists only, no restore into running services."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from stackops.cli import EXIT_ERROR, main


class Fake:
    def __init__(self, service: str, *, status: str = "running", env: list[str] | None = None) -> None:
        self.name = f"delaktig-{service}-1"
        self.labels = {
            "com.docker.compose.project": "delaktig",
            "com.docker.compose.service": service,
            "com.docker.compose.container-number": "1",
        }
        self.status = status
        self.attrs: dict[str, Any] = {"Config": {"Env": env or []}, "State": {"Status": status}}
        self.execs: list[tuple[Any, dict[str, Any]]] = []
        self.archives: list[str] = []

    def exec_run(self, cmd: Any, **kwargs: Any) -> Any:
        self.execs.append((cmd, kwargs))
        return 0, (b"counted=1\n", b"")

    def put_archive(self, path: str, data: bytes) -> bool:
        self.archives.append(path)
        return True


class Source:
    def __init__(self, *containers: Fake) -> None:
        self._containers = list(containers)

    def containers(self, project: str) -> list[Fake]:
        return self._containers


def _postgres(databases: str = "meetings notify") -> Fake:
    return Fake("postgres", env=[f"SERVICE_DATABASES={databases}", "POSTGRES_PASSWORD=x"])


def _run(source: Source, *argv: str, answer: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def confirm(prompt: str) -> str:
        out.write(prompt)
        if answer is None:
            raise EOFError
        return answer

    code = main(list(argv), connect_to=lambda: source, out=out, err=err, confirm=confirm)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("meetings", "notify"):
        (tmp_path / f"{name}.dump").write_bytes(b"PGDMP")
    return tmp_path


def test_every_command_in_the_container_is_an_argument_list_never_a_shell(tmp_path: Path) -> None:
    postgres = _postgres()
    code, _, err = _run(Source(postgres), "backup", str(tmp_path / "b"))
    assert code == 0, err
    for cmd, _kwargs in postgres.execs:
        assert isinstance(cmd, list) and cmd[0] not in ("sh", "bash"), cmd
    assert ["pg_dump", "-U", "postgres", "-Fc", "-d", "notify"] in [cmd for cmd, _ in postgres.execs]


def test_a_database_name_that_is_no_plain_name_is_refused_before_anything_runs(tmp_path: Path) -> None:
    postgres = _postgres("meetings $(rm${IFS}-rf${IFS}/) --file=/etc/passwd")
    code, _, err = _run(Source(postgres), "backup", str(tmp_path / "b"))
    assert code == EXIT_ERROR
    assert "not database names" in err
    assert postgres.execs == []


def test_restore_refuses_while_the_services_run(folder: Path) -> None:
    postgres = _postgres()
    source = Source(postgres, Fake("meetings"), Fake("notify", status="exited"), Fake("nats"))
    code, _, err = _run(source, "restore", str(folder))
    assert code == EXIT_ERROR
    assert "meetings still run" in err and "docker compose stop meetings" in err
    assert postgres.execs == [], "nothing restored"


def test_restore_with_force_asks_for_the_project_name_and_stops_without_it(folder: Path) -> None:
    postgres = _postgres()
    source = Source(postgres, Fake("meetings"))
    for answer in (None, "yes", ""):
        code, out, err = _run(source, "restore", str(folder), "--force", answer=answer)
        assert code == EXIT_ERROR and "Not confirmed" in err, (answer, err)
        assert "Type the project name (delaktig)" in out
    assert postgres.execs == []
    code, out, err = _run(source, "restore", str(folder), "--force", answer="delaktig")
    assert code == 0, err
    assert "meetings: restored." in out


def test_restore_runs_when_the_services_are_stopped_and_a_drill_runs_beside_them(folder: Path) -> None:
    postgres = _postgres()
    stopped = Source(postgres, Fake("meetings", status="exited"), Fake("notify", status="exited"))
    code, out, err = _run(stopped, "restore", str(folder))
    assert code == 0, err
    assert [
        "pg_restore", "-U", "postgres", "--clean", "--if-exists", "--single-transaction",
        "-d", "meetings", "/tmp/stackops-meetings.dump",
    ] in [cmd for cmd, _ in postgres.execs]
    code, out, err = _run(Source(_postgres(), Fake("meetings")), "restore", str(folder), "--drill")
    assert code == 0, err
    assert "meetings: restores" in out
