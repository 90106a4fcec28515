"""stackops backup and restore without an engine: argument lists only, no restore into running services."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from stackops.backup import RESTORE_SCRIPT
from stackops.cli import EXIT_ERROR, main

# What pg_dump -Fc writes first, and a little after it; what pg_dumpall --globals-only writes.
DUMP = b"PGDMP\x01\x0e\x00 a custom-format dump"
ROLES = b"CREATE ROLE meetings;\n"
SNAPSHOT = "00000003-0000001B-1"


class Fake:
    def __init__(
        self,
        service: str,
        *,
        status: str = "running",
        env: list[str] | None = None,
        answers: dict[str, tuple[int, bytes, bytes]] | None = None,
    ) -> None:
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
        # By program, or by program and database (`pg_dump notify`): exit code, output, errors.
        self.answers = {
            "pg_dump": (0, DUMP, b""),
            "pg_dumpall": (0, ROLES, b""),
            # What the session holding the dump's snapshot wrote (pg_export_snapshot()).
            "cat": (0, SNAPSHOT.encode() + b"\n", b""),
        } | (answers or {})

    def exec_run(self, cmd: Any, **kwargs: Any) -> Any:
        self.execs.append((cmd, kwargs))
        code, output, errors = self.answers.get(
            f"{cmd[0]} {cmd[-1]}", self.answers.get(cmd[0], (0, b"counted=1\n", b""))
        )
        return code, (output, errors)

    def put_archive(self, path: str, data: bytes) -> bool:
        self.archives.append(path)
        return True


class Source:
    def __init__(self, *containers: Fake) -> None:
        self._containers = list(containers)

    def containers(self, project: str) -> list[Fake]:
        return self._containers


def _postgres(
    databases: str = "meetings notify", answers: dict[str, tuple[int, bytes, bytes]] | None = None
) -> Fake:
    return Fake("postgres", env=[f"SERVICE_DATABASES={databases}", "POSTGRES_PASSWORD=x"], answers=answers)


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
    """A finished backup of meetings and notify."""
    code, _, err = _run(Source(_postgres()), "backup", str(tmp_path / "backup"))
    assert code == 0, err
    return tmp_path / "backup"


def test_every_command_in_the_container_is_an_argument_list_never_a_shell(tmp_path: Path) -> None:
    postgres = _postgres()
    code, _, err = _run(Source(postgres), "backup", str(tmp_path / "b"))
    assert code == 0, err
    for cmd, _kwargs in postgres.execs:
        assert isinstance(cmd, list) and cmd[0] not in ("sh", "bash"), cmd
    # As the database's owner: never the superuser inside what a service may have planted things in.
    dump = [
        "pg_dump", "-U", "notify", "-Fc", "--lock-wait-timeout=60s", f"--snapshot={SNAPSHOT}", "-d", "notify"
    ]  # fmt: skip
    assert dump in [cmd for cmd, _ in postgres.execs]


def test_every_file_of_a_backup_and_its_folder_reach_the_disk_before_it_counts_as_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    code, _, err = _run(Source(_postgres()), "backup", str(tmp_path / "b"))
    assert code == 0, err
    made = tmp_path / "b"
    names = {Path(p).name for p in synced}
    assert {p.name for p in made.iterdir()} <= names, "every file, before the manifest names it"
    assert str(tmp_path) in synced, "and the rename of the finished folder into place"


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
    # The dump's statements streamed into one transaction that empties the schema first: the fixed
    # script, with the dump, user and database as its arguments, never as text in it.
    commands = [cmd for cmd, _ in postgres.execs]
    (replaced,) = [cmd for cmd in commands if cmd[0] == "bash" and cmd[-1] == "meetings"]
    mark = replaced.pop(-2)
    assert replaced == ["bash", "-o", "pipefail", "-c", RESTORE_SCRIPT, "stackops-restore",
                        "/tmp/stackops-meetings.dump", "meetings", "meetings"]
    assert re.fullmatch(r"[0-9a-f]{32}", mark), "the run's own mark, which nothing can know"
    assert "--single-transaction" in RESTORE_SCRIPT and "ON_ERROR_STOP=1" in RESTORE_SCRIPT
    assert RESTORE_SCRIPT.index("DROP SCHEMA IF EXISTS public CASCADE") < RESTORE_SCRIPT.rindex("-f - ")
    code, out, err = _run(Source(_postgres(), Fake("meetings")), "restore", str(folder), "--drill")
    assert code == 0, err
    assert "meetings: restores" in out


def _restores(postgres: Fake) -> list[Any]:
    return [
        cmd for cmd, _ in postgres.execs
        if cmd[0] in ("pg_restore", "dropdb")
        or (cmd[0] == "psql" and any("CREATE DATABASE" in a for a in cmd))
    ]  # fmt: skip


def test_a_backup_that_fails_half_way_leaves_nothing_a_restore_would_take(tmp_path: Path) -> None:
    postgres = _postgres(
        answers={"pg_dump notify": (1, b"", b'pg_dump: error: connection to database "notify" failed')}
    )
    code, _, err = _run(Source(postgres), "backup", str(tmp_path / "b"))
    assert code == EXIT_ERROR and 'connection to database "notify" failed' in err
    assert list(tmp_path.iterdir()) == [], "no folder, not even a half-written one"


def test_a_backup_never_goes_into_a_folder_that_holds_something_already(folder: Path) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    postgres = _postgres()
    code, _, err = _run(Source(postgres), "backup", str(folder))
    assert code == EXIT_ERROR and "not empty" in err
    assert postgres.execs == [], "nothing dumped"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before, "the older backup is untouched"


@pytest.mark.parametrize(
    ("output", "said"), [(b"", "empty"), (b"-- PostgreSQL database dump (plain SQL)", "not pg_dump's")]
)
def test_a_dump_that_is_empty_or_not_a_custom_format_dump_fails_the_backup(
    tmp_path: Path, output: bytes, said: str
) -> None:
    postgres = _postgres(answers={"pg_dump meetings": (0, output, b"")})
    code, _, err = _run(Source(postgres), "backup", str(tmp_path / "b"))
    assert code == EXIT_ERROR and said in err and "meetings" in err
    assert list(tmp_path.iterdir()) == []


def test_a_backup_says_what_it_holds_and_only_its_owner_may_read_it(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == [
        "globals.sql",
        "manifest.json",
        "meetings.dump",
        "notify.dump",
    ]
    assert folder.stat().st_mode & 0o777 == 0o700
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_restore_refuses_a_folder_that_a_backup_did_not_finish(folder: Path) -> None:
    (folder / "manifest.json").unlink()
    postgres = _postgres()
    code, _, err = _run(Source(postgres, Fake("meetings", status="exited")), "restore", str(folder))
    assert code == EXIT_ERROR and "manifest.json" in err and "Nothing was restored" in err
    assert _restores(postgres) == []


@pytest.mark.parametrize("drill", [False, True])
def test_restore_refuses_a_backup_whose_dump_changed_before_it_touches_any_database(
    folder: Path, drill: bool
) -> None:
    (folder / "notify.dump").write_bytes(DUMP + b" and then some")
    postgres = _postgres()
    argv = ["restore", str(folder), *(["--drill"] if drill else [])]
    code, _, err = _run(Source(postgres), *argv)
    assert code == EXIT_ERROR and "notify.dump" in err and "Nothing was restored" in err
    assert _restores(postgres) == [], "not even meetings, whose dump is fine"


def test_backup_and_restore_of_a_stopped_postgres_say_how_to_start_it(folder: Path) -> None:
    postgres = Fake("postgres", status="exited", env=["SERVICE_DATABASES=meetings notify"])
    for argv in (["backup", str(folder.parent / "new")], ["restore", str(folder), "--drill"]):
        code, _, err = _run(Source(postgres), *argv)
        assert code == EXIT_ERROR and "is not running" in err and "docker compose up -d postgres" in err
    assert postgres.execs == []


def test_a_restore_that_fails_part_way_says_which_databases_were_replaced_and_which_not(folder: Path) -> None:
    postgres = _postgres(
        answers={"bash notify": (1, b"", b"No space left on device")}
    )
    code, _, err = _run(Source(postgres), "restore", str(folder))
    assert code == EXIT_ERROR and "No space left on device" in err
    assert "Already restored: meetings." in err and "Not restored: notify." in err


def _counted(rows: bytes) -> tuple[int, bytes, bytes]:
    return 0, rows, b""


def test_the_drill_compares_with_the_rows_the_backup_held_not_with_the_live_database(tmp_path: Path) -> None:
    # At dump time meetings had 2 rows; the services wrote a third since. The restored copy holds 2.
    at_backup = _postgres(answers={"psql meetings": _counted(b"public.meetings=2\npublic.outbox=0\n")})
    code, _, err = _run(Source(at_backup), "backup", str(tmp_path / "b"))
    assert code == 0, err
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["rows"]["meetings"] == {"public.meetings": 2, "public.outbox": 0}
    # The count and the dump read one exported snapshot, held by a session of its own.
    counted = next(cmd for cmd, _ in at_backup.execs if cmd[0] == "psql" and cmd[-1] == "meetings")
    assert counted[counted.index("-f") + 1] == "/tmp/stackops-count.sql"
    holder = [(cmd, kw) for cmd, kw in at_backup.execs if "SELECT pg_export_snapshot()" in cmd]
    assert len(holder) == 2 and all(kw.get("detach") for _, kw in holder), holder
    assert any("pg_terminate_backend" in " ".join(cmd) for cmd, _ in at_backup.execs), "the sessions end"

    later = _postgres(
        answers={
            "psql meetings": _counted(b"public.meetings=3\npublic.outbox=1\n"),
            "psql restore_drill_meetings": _counted(b"public.meetings=2\npublic.outbox=0\n"),
        }
    )
    code, out, err = _run(Source(later), "restore", str(tmp_path / "b"), "--drill")
    assert code == 0, err
    assert "meetings: restores (2 tables" in out


def test_a_drill_whose_restored_copy_lacks_rows_the_backup_held_fails(tmp_path: Path) -> None:
    at_backup = _postgres(answers={"psql meetings": _counted(b"public.meetings=2\n")})
    assert _run(Source(at_backup), "backup", str(tmp_path / "b"))[0] == 0
    short = _postgres(answers={"psql restore_drill_meetings": _counted(b"public.meetings=1\n")})
    code, _, err = _run(Source(short), "restore", str(tmp_path / "b"), "--drill")
    assert code == EXIT_ERROR
    assert "restored: public.meetings=1; in the backup: public.meetings=2" in err, err


def test_a_drill_of_a_backup_without_row_counts_says_to_take_a_new_one(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["rows"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    postgres = _postgres()
    code, _, err = _run(Source(postgres), "restore", str(folder), "--drill")
    assert code == EXIT_ERROR and "records no row counts" in err and "Take a new backup" in err
    assert _restores(postgres) == []


def test_a_snapshot_that_is_never_named_fails_the_backup_and_ends_its_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackops import backup

    monkeypatch.setattr(backup, "SNAPSHOT_WAIT_SECONDS", 0.3)
    postgres = _postgres(answers={"cat": (1, b"", b"No such file or directory")})
    code, _, err = _run(Source(postgres), "backup", str(tmp_path / "b"))
    assert code == EXIT_ERROR and "did not say which it is" in err
    assert any("pg_terminate_backend" in " ".join(cmd) for cmd, _ in postgres.execs)
    assert not any(cmd[0] == "pg_dump" for cmd, _ in postgres.execs)
    assert list(tmp_path.iterdir()) == []


def test_a_drills_copy_accepts_no_connection_until_no_other_role_may_connect(folder: Path) -> None:
    postgres = _postgres()
    code, _, err = _run(Source(postgres, Fake("meetings")), "restore", str(folder), "--drill")
    assert code == 0, err
    (made, _notify) = [cmd for cmd, _ in postgres.execs if any("CREATE DATABASE" in a for a in cmd)]
    steps = [a for a in made if a.startswith(("CREATE", "REVOKE", "ALTER"))]
    assert steps == [
        "CREATE DATABASE restore_drill_meetings OWNER meetings ALLOW_CONNECTIONS false",
        "REVOKE ALL ON DATABASE restore_drill_meetings FROM PUBLIC",
        "ALTER DATABASE restore_drill_meetings ALLOW_CONNECTIONS true",
    ]
    assert made[made.index("-d") + 1] == "postgres", "made from the superuser's own database"
