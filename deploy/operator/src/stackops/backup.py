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
tables and rows, and drops the scratch database again: the proof that the backup restores, without
touching the live data. Without `--drill` the databases themselves are replaced: only while the
services that use them are stopped (`docker compose stop meetings events volunteers notify
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
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from stackops.compose import Container, service_of

SUPERUSER = "postgres"
MANIFEST = "manifest.json"
# How every file of pg_dump's custom format begins.
CUSTOM_FORMAT = b"PGDMP"
# A container in one of these states may still write to its database.
_ALIVE = ("running", "restarting", "paused")
# What 10-databases.sh makes: a role and a database of the service's name.
_DATABASE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Counts every table's rows: the same answer from the live database and from its restored copy
# means the copy holds what the dump was made from (as far as a backup drill needs to know).
_COUNT_ROWS = (
    "SELECT format('SELECT %L || ''='' || count(*) FROM %s', t, t) FROM ("
    "SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) AS tables ORDER BY t\n\\gexec\n"
)


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
        for database in databases:
            data = _checked_dump(
                _run(postgres, ["pg_dump", "-U", SUPERUSER, "-Fc", "-d", database], f"Dumping {database}"),
                database,
            )
            _write_private(scratch / f"{database}.dump", data)
            files[f"{database}.dump"] = _entry(data)
            print(f"{database}: {len(data)} bytes", file=out, flush=True)
        manifest = {"databases": databases, "files": files}
        _write_private(scratch / MANIFEST, json.dumps(manifest, indent=2).encode())
        if folder.exists():
            folder.rmdir()  # empty, as checked above
        scratch.rename(folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return [folder / name for name in [*files, MANIFEST]]


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


def row_counts(postgres: Container, database: str) -> str:
    """`schema.table=rows` for every table, comma-separated, in the order of the table names."""
    script = _put(postgres, "stackops-count.sql", _COUNT_ROWS.encode())
    counted = _run(
        postgres, ["psql", "-U", SUPERUSER, "-d", database, "-At", "-f", script], f"Counting {database}"
    )
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
    is_running(postgres)
    done: list[str] = []
    for database in databases:
        try:
            _restore_one(postgres, folder, database, out, drill=drill)
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


def _restore_one(postgres: Container, folder: Path, database: str, out: TextIO, *, drill: bool) -> None:
    inside = _put(postgres, f"stackops-{database}.dump", (folder / f"{database}.dump").read_bytes())
    try:
        if drill:
            scratch = f"restore_drill_{database}"
            _run(postgres, ["dropdb", "-U", SUPERUSER, "--if-exists", scratch], f"Dropping {scratch}")
            _run(postgres, ["createdb", "-U", SUPERUSER, scratch], f"Creating {scratch}")
            try:
                _run(
                    postgres,
                    ["pg_restore", "-U", SUPERUSER, "--no-owner", "-d", scratch, inside],
                    f"Restoring {database}",
                )
                restored, live = row_counts(postgres, scratch), row_counts(postgres, database)
                if restored != live:
                    raise BackupFailed(
                        f"The restored copy of {database} differs from the live one "
                        f"(rows per table, restored: {restored or 'none'}; live: {live or 'none'}). "
                        "Did the services write since the backup? Stop them, back up and drill again."
                    )
                print(
                    f"{database}: restores ({len(restored.split(',')) if restored else 0} tables).", file=out
                )
            finally:
                _run(postgres, ["dropdb", "-U", SUPERUSER, "--if-exists", scratch], f"Dropping {scratch}")
        else:
            _run(
                postgres,
                [
                    "pg_restore",
                    "-U",
                    SUPERUSER,
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    "-d",
                    database,
                    inside,
                ],
                f"Restoring {database}",
            )
            print(f"{database}: restored.", file=out)
    finally:
        # The copy was put there by the engine as root, in /tmp with its sticky bit: root removes it.
        postgres.exec_run(["rm", "-f", inside, "/tmp/stackops-count.sql"], user="root")
