"""`stackops backup` and `stackops restore`: dumps of every service database, made and read back
through the running postgres container (no port of PostgreSQL is published, none is needed).

A backup folder holds `globals.sql` (the roles, without passwords' plain text: PostgreSQL keeps only
their hashes), one `<database>.dump` (pg_dump's custom format) per service database and, written
last, `manifest.json` with every file's size and SHA-256. The dumps are made in a scratch folder
beside the one asked for, which takes their place only once every dump is there and checked, so a
backup that stops half-way leaves nothing a restore would take, and a backup never mixes with an
older one (it refuses a folder that is not empty). Restore checks every file against the manifest
before it touches any database. Only the owner may read a backup (0700, 0600): it holds every
person's data and the roles' password hashes. `restore
--drill` restores every dump into a scratch database beside the real one, compares the number of
tables and rows with the counts the backup recorded, and drops the scratch database again: the
proof that the backup restores, without touching the live data (which may have changed since, and
need not be stopped for a drill). The counts are taken in the very snapshot pg_dump dumps: a session
exports its snapshot and holds it while its rows are counted and pg_dump reads it (`--snapshot`).
Without `--drill` the databases themselves are replaced: only while the services that use them are
stopped (`docker compose stop meetings events volunteers notify
gateway`), unless the operator forces it and types the project's name (see cli.py).

Every command runs in the container as an argument list (never a shell line), and a database name
from the container's SERVICE_DATABASES must be a plain identifier, so nothing in the container's
environment can become a command or an option.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tarfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from stackops.compose import Container, service_of

SUPERUSER = "postgres"
# A drill's copy is dropped even with a session still in it.
_DROP = ["dropdb", "-U", SUPERUSER, "--if-exists", "--force"]
# pg_dump gives up on a table it cannot lock within this (a restore running beside it, say) instead
# of waiting, with the snapshot session held open, for as long as the lock is held.
LOCK_WAIT = "60s"
MANIFEST = "manifest.json"
# How every file of pg_dump's custom format begins.
CUSTOM_FORMAT = b"PGDMP"
# A container in one of these states may still write to its database.
_ALIVE = ("running", "restarting", "paused")
# What 10-databases.sh makes: a role and a database of the service's name.
_DATABASE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Counts every table's rows: the same answer from the dump's snapshot (recorded in the manifest) and
# from its restored copy means the copy holds what the dump was made from (as far as a backup drill
# needs to know).
_COUNT_ROWS = (
    "SELECT format('SELECT %L || ''='' || count(*) FROM %s', t, t) FROM ("
    "SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) AS tables ORDER BY t\n\\gexec\n"
)
# What pg_export_snapshot() gives, e.g. 00000003-0000001B-1: checked before it goes into SQL.
_SNAPSHOT = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{8}(-[0-9]+)?$")
# How long the backup waits for the session that holds the snapshot to say which it is.
SNAPSHOT_WAIT_SECONDS = 30.0


class BackupFailed(Exception):
    """A dump or restore step failed; the message has what PostgreSQL said."""


def _env(container: Container) -> Mapping[str, str]:
    pairs = (container.attrs.get("Config") or {}).get("Env") or []
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def service_databases(postgres: Container) -> list[str]:
    """The databases of the services, as docker-compose.yml lists them (SERVICE_DATABASES)."""
    names = _env(postgres).get("SERVICE_DATABASES", "").split()
    if not names:
        raise BackupFailed(
            f"{postgres.name} has no SERVICE_DATABASES variable, so which databases to dump is unknown. "
            "Is it the postgres service of this project's docker-compose.yml?"
        )
    odd = [name for name in names if not _DATABASE_NAME.match(name)]
    if odd:
        raise BackupFailed(
            f"SERVICE_DATABASES of {postgres.name} names {odd}, which are not database names of "
            "docker-compose.yml (small letters, digits and _). Nothing was done; look at the container's "
            "environment: someone may have changed it."
        )
    return names


def owner_of(database: str) -> str:
    """The service's role, which owns its database (10-databases.sh: a role of the database's name).

    Everything stackops runs inside a service's database (counts, dumps, restores) runs as this role:
    the database holds whatever the service put there, and a service broken into can leave functions,
    operators, views or constraints that run with the rights of whoever reads or restores it. As the
    superuser they would make the role a superuser, or run programs in the container; as the owner
    they can do nothing the service could not do already. The superuser only connects to `postgres`
    (roles, the snapshot session's end, databases made and dropped), where no service can put anything.
    """
    return database


def _run(postgres: Container, argv: list[str], what: str) -> bytes:
    """`argv` in the container as the superuser; its standard output, or BackupFailed with its errors."""
    code, (output, errors) = postgres.exec_run(argv, stdout=True, stderr=True, demux=True, user=SUPERUSER)
    if code != 0:
        raise BackupFailed(f"{what} failed in {postgres.name} (exit {code}): {_text(errors)}")
    return output or b""


def _text(raw: object) -> str:
    if raw is None:
        return ""
    return raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw).strip()


def is_running(postgres: Container) -> None:
    """BackupFailed unless the container runs: every step is an exec in it."""
    if postgres.status != "running":
        raise BackupFailed(
            f"{postgres.name} is not running ({postgres.status}), and every dump and restore runs in it. "
            "Start it with `docker compose up -d postgres`, then try again."
        )


def _write_private(path: Path, data: bytes) -> None:
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(data)
        # On the disk before the manifest says the backup is whole: a power cut must not leave a
        # finished-looking folder with a file cut short.
        file.flush()
        os.fsync(file.fileno())


def _sync_folder(folder: Path) -> None:
    """The folder's entries (its files' names, a rename into it) on the disk too."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _checked_dump(data: bytes, database: str) -> bytes:
    if not data:
        raise BackupFailed(f"The dump of {database} came back empty; no backup was made.")
    if not data.startswith(CUSTOM_FORMAT):
        raise BackupFailed(
            f"The dump of {database} is not pg_dump's custom format (it begins {data[:20]!r}); "
            "no backup was made."
        )
    return data


def _entry(data: bytes) -> dict[str, object]:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def backup(postgres: Container, folder: Path, out: TextIO) -> list[Path]:
    databases = service_databases(postgres)  # checked before anything runs in the container
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupFailed(
            f"{folder} is not empty. A backup goes into a new or empty folder, so that it never mixes "
            "with an older one: name another."
        )
    is_running(postgres)
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = folder.parent / f".{folder.name}.partial-{secrets.token_hex(4)}"
    scratch.mkdir(mode=0o700)
    try:
        files: dict[str, dict[str, object]] = {}
        roles = _run(postgres, ["pg_dumpall", "-U", SUPERUSER, "--globals-only"], "Dumping the roles")
        if not roles.strip():
            raise BackupFailed("The dump of the roles came back empty; no backup was made.")
        _write_private(scratch / "globals.sql", roles)
        files["globals.sql"] = _entry(roles)
        rows: dict[str, dict[str, int]] = {}
        for database in databases:
            with _held_snapshot(postgres, database) as snapshot:
                rows[database] = _parse_counts(row_counts(postgres, database, snapshot=snapshot))
                argv = [
                    "pg_dump", "-U", owner_of(database), "-Fc", f"--lock-wait-timeout={LOCK_WAIT}",
                    f"--snapshot={snapshot}", "-d", database,
                ]  # fmt: skip
                data = _checked_dump(_run(postgres, argv, f"Dumping {database}"), database)
            _write_private(scratch / f"{database}.dump", data)
            files[f"{database}.dump"] = _entry(data)
            print(f"{database}: {len(data)} bytes", file=out, flush=True)
        # `rows`: every table's rows in the snapshot of its dump, which a drill compares the restored
        # copy with (never the live database, which goes on changing).
        manifest = {"databases": databases, "files": files, "rows": rows}
        _write_private(scratch / MANIFEST, json.dumps(manifest, indent=2).encode())
        _sync_folder(scratch)
        if folder.exists():
            folder.rmdir()  # empty, as checked above
        scratch.rename(folder)
        _sync_folder(folder.parent)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return [folder / name for name in [*files, MANIFEST]]


class _held_snapshot:  # noqa: N801 (a context manager, used as `with _held_snapshot(...)`)
    """A session in `database` that exports its snapshot and holds it open until the block ends.

    pg_dump --snapshot and the row count read that one snapshot, so the counts in the manifest are
    those of the dump, however busy the services are. The session is a psql of its own in the
    container (started detached, every statement an argument), named by application_name so that
    it can be ended: by pg_terminate_backend when the block ends, or by its pg_sleep at the latest.
    """

    def __init__(self, postgres: Container, database: str) -> None:
        self.postgres = postgres
        self.database = database
        token = secrets.token_hex(6)
        self.application = f"stackops-backup-{token}"
        self.file = f"/tmp/stackops-snapshot-{token}"

    def __enter__(self) -> str:
        argv = [
            "psql",
            "-U",
            owner_of(self.database),
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"\\o {self.file}",
            "-c",
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "-c",
            "SELECT pg_export_snapshot()",
            "-c",
            "\\o",
            "-c",
            "SELECT pg_sleep(3600)",
            "-d",
            f"dbname={self.database} application_name={self.application}",
        ]
        self.postgres.exec_run(argv, user=SUPERUSER, detach=True)
        try:
            return self._snapshot()
        except BaseException:
            self._end()
            raise

    def _snapshot(self) -> str:
        deadline = time.monotonic() + SNAPSHOT_WAIT_SECONDS
        while True:
            code, (output, _errors) = self.postgres.exec_run(
                ["cat", self.file], stdout=True, stderr=True, demux=True, user=SUPERUSER
            )
            said = _text(output).split()
            if code == 0 and said and _SNAPSHOT.match(said[-1]):
                return said[-1]
            if time.monotonic() > deadline:
                raise BackupFailed(
                    f"The session that holds {self.database}'s snapshot for the dump did not say which "
                    f"it is within {SNAPSHOT_WAIT_SECONDS:g} s (it wrote {_text(output)[:200]!r}); no "
                    f"backup was made. Is {self.postgres.name} overloaded, or out of connections?"
                )
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self._end()

    def _end(self) -> None:
        stop = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = '{self.application}'"
        )
        self.postgres.exec_run(
            ["psql", "-U", SUPERUSER, "-X", "-q", "-At", "-c", stop, "-d", "postgres"], user=SUPERUSER
        )
        self.postgres.exec_run(["rm", "-f", self.file], user=SUPERUSER)


def _parse_counts(counted: str) -> dict[str, int]:
    pairs = (item.rpartition("=") for item in counted.split(",") if item)
    return {table: int(rows) for table, _, rows in pairs}


def _show_counts(rows: Mapping[str, int]) -> str:
    return ",".join(f"{table}={n}" for table, n in sorted(rows.items())) or "none"


def recorded_rows(folder: Path) -> dict[str, dict[str, int]]:
    """The row counts a backup recorded at dump time; BackupFailed for a backup made without them."""
    rows = json.loads((folder / MANIFEST).read_bytes()).get("rows")
    if not isinstance(rows, dict):
        raise BackupFailed(
            f"{folder / MANIFEST} records no row counts (a backup made by an older stackops), so a drill "
            "has nothing to compare the restored copies with. Take a new backup and drill that one."
        )
    return {str(db): {str(t): int(n) for t, n in counts.items()} for db, counts in rows.items()}


def verified(folder: Path, databases: list[str]) -> None:
    """BackupFailed unless `folder` is a finished backup of `databases`, every file as it was written."""
    missing = [d for d in databases if not (folder / f"{d}.dump").exists()]
    if missing:
        raise BackupFailed(f"{folder} has no dump of {', '.join(missing)}: is it a stackops backup folder?")
    try:
        files = json.loads((folder / MANIFEST).read_bytes())["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupFailed(
            f"{folder} has no readable {MANIFEST} ({exc}): it is not a finished stackops backup (one that "
            "stopped half-way has none). Nothing was restored."
        ) from None
    for name in [f"{d}.dump" for d in databases]:
        if not isinstance(files, dict) or files.get(name) != _entry((folder / name).read_bytes()):
            raise BackupFailed(
                f"{folder / name} is not the file the backup wrote (its size or SHA-256 differs from "
                f"{MANIFEST}). Nothing was restored; take another backup."
            )


def _put(postgres: Container, name: str, data: bytes) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    if not postgres.put_archive("/tmp", buffer.getvalue()):
        raise BackupFailed(f"Could not copy {name} into {postgres.name}.")
    return f"/tmp/{name}"


def row_counts(
    postgres: Container, database: str, *, snapshot: str | None = None, role: str | None = None
) -> str:
    """`schema.table=rows` for every table, comma-separated, in the order of the table names; in the
    exported `snapshot` when given (the one pg_dump dumps). As `role`, by default the database's
    owner (see owner_of)."""
    sql = _COUNT_ROWS
    if snapshot is not None:
        if not _SNAPSHOT.match(snapshot):
            raise BackupFailed(f"{snapshot!r} is not a snapshot PostgreSQL exported; no backup was made.")
        sql = (
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
            f"SET TRANSACTION SNAPSHOT '{snapshot}';\n{_COUNT_ROWS}COMMIT;\n"
        )
    script = _put(postgres, "stackops-count.sql", sql.encode())
    counted = _run(
        postgres,
        ["psql", "-U", role or owner_of(database), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", script,
         "-d", database],
        f"Counting {database}",
    )
    postgres.exec_run(["rm", "-f", script], user="root")
    return ",".join(_text(counted).split())


def running_users(containers: list[Container], databases: list[str]) -> list[str]:
    """The services of these databases that have a container running: they would write into a restore."""
    return sorted(
        {service_of(c) for c in containers if service_of(c) in databases and c.status in _ALIVE}
        - {"postgres"}
    )


def restore(postgres: Container, folder: Path, out: TextIO, *, drill: bool) -> None:
    databases = service_databases(postgres)
    # Every dump before the first database is touched: a bad third dump must not leave two replaced.
    verified(folder, databases)
    recorded = recorded_rows(folder) if drill else {}
    is_running(postgres)
    done: list[str] = []
    for database in databases:
        try:
            _restore_one(postgres, folder, database, out, drill=drill, recorded=recorded.get(database, {}))
        except BackupFailed as exc:
            if drill:
                raise
            # Each database is one transaction: the failed one keeps what it had.
            rest = databases[len(done) :]
            raise BackupFailed(
                f"{exc}\n  Already restored: {', '.join(done) or 'none'}. Not restored: {', '.join(rest)}. "
                "Restore again once the cause is fixed: each database is replaced whole."
            ) from None
        done.append(database)


def _restore_one(
    postgres: Container,
    folder: Path,
    database: str,
    out: TextIO,
    *,
    drill: bool,
    recorded: Mapping[str, int] | None = None,
) -> None:
    inside = _put(postgres, f"stackops-{database}.dump", (folder / f"{database}.dump").read_bytes())
    try:
        if drill:
            scratch = f"restore_drill_{database}"
            _run(postgres, [*_DROP, scratch], f"Dropping {scratch}")
            # The service's role owns the copy and restores it (see owner_of). Made accepting no
            # connection, and opened only once PUBLIC may not connect: no other role ever gets in
            # (a session that got in before a REVOKE would stay). Plain identifiers (_DATABASE_NAME).
            role = owner_of(database)
            _run(
                postgres,
                [
                    "psql", "-U", SUPERUSER, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres",
                    "-c", f"CREATE DATABASE {scratch} OWNER {role} ALLOW_CONNECTIONS false",
                    "-c", f"REVOKE ALL ON DATABASE {scratch} FROM PUBLIC",
                    "-c", f"ALTER DATABASE {scratch} ALLOW_CONNECTIONS true",
                ],
                f"Creating {scratch}",
            )  # fmt: skip
            try:
                _run(
                    postgres,
                    ["pg_restore", "-U", role, "--no-owner", "-d", scratch, inside],
                    f"Restoring {database}",
                )
                restored = _parse_counts(row_counts(postgres, scratch, role=role))
                if restored != dict(recorded or {}):
                    raise BackupFailed(
                        f"The restored copy of {database} differs from what the backup held when it was "
                        f"made (rows per table, restored: {_show_counts(restored)}; in the backup: "
                        f"{_show_counts(recorded or {})}). This backup does not restore whole: do not rely "
                        "on it, take another and drill that."
                    )
                print(f"{database}: restores ({len(restored)} tables, the rows the backup held).", file=out)
            finally:
                _run(postgres, [*_DROP, scratch], f"Dropping {scratch}")
        else:
            _replace(postgres, database, inside)
            print(f"{database}: restored.", file=out)
    finally:
        # The copy was put there by the engine as root, in /tmp with its sticky bit: root removes it.
        postgres.exec_run(["rm", "-f", inside, "/tmp/stackops-count.sql"], user="root")


# The dump's statements streamed from pg_restore into one psql transaction: the schema emptied, then
# the statements, then a check that pg_restore got to the end. Streamed, so no copy of the statements
# (5 to 10 times the dump) lands on the container's /tmp, a tmpfs in memory. psql commits when its
# input ends, even when pg_restore stopped half way: the line that follows pg_restore's output (only
# if pg_restore succeeded) marks the transaction with a random value of this run (hex, so nothing in
# the dump or a setting can know it), and the final check rolls the transaction back without it.
# A fixed script: the dump, user, mark and database come as arguments ($1 to $4), never as text in
# it. bash must be in the postgres image (the official one, on Debian, has it). lock_timeout: a
# --force restore must not wait forever behind a service's open transaction (the dump's own
# SET lock_timeout = 0 comes after the DROP).
RESTORE_SCRIPT = (
    '{ pg_restore -f - -- "$1" && echo "SELECT pg_catalog.set_config(\'stackops.whole\', \'$3\', true);"; } '
    '| psql -U "$2" -X -q -v ON_ERROR_STOP=1 --single-transaction '
    "-c \"SET lock_timeout = '30s'\" "
    "-c 'DROP SCHEMA IF EXISTS public CASCADE' "
    # As PostgreSQL makes it in a new database: owned by the database's owner (the service's role),
    # usable by all; the dump adds what differed.
    "-c 'CREATE SCHEMA public AUTHORIZATION pg_database_owner' "
    "-c 'GRANT USAGE ON SCHEMA public TO PUBLIC' "
    "-f - "
    "-c \"DO \\$\\$ BEGIN IF current_setting('stackops.whole', true) IS DISTINCT FROM '$3' THEN "
    "RAISE EXCEPTION 'the dump was not read to its end; nothing was changed'; END IF; END \\$\\$\" "
    '-d "$4"'
)


def _replace(postgres: Container, database: str, dump: str) -> None:
    """The database becomes exactly what the dump holds, in one transaction: its schema emptied, then
    the dump's statements. `pg_restore --clean` drops only what the dump has, so a table a later
    migration added stayed, beside a migrations table put back to before it: the service's migration
    step then failed on it ("already exists"), and the restored service could not start.
    """
    _run(
        postgres,
        [
            "bash", "-o", "pipefail", "-c", RESTORE_SCRIPT, "stackops-restore",
            dump, owner_of(database), secrets.token_hex(16), database,
        ],
        f"Restoring {database}",
    )
