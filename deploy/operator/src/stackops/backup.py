"""`stackops backup` and `stackops restore`: dumps of every service database, made and read back
through the running postgres container (no port of PostgreSQL is published, none is needed).

A backup folder holds `globals.sql` (the roles, without passwords' plain text: PostgreSQL keeps only
their hashes) and one `<database>.dump` (pg_dump's custom format) per service database. `restore
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

import io
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from stackops.compose import Container, service_of

SUPERUSER = "postgres"
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


def backup(postgres: Container, folder: Path, out: TextIO) -> list[Path]:
    databases = service_databases(postgres)  # checked before anything runs in the container
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    globals_sql = folder / "globals.sql"
    globals_sql.write_bytes(
        _run(postgres, ["pg_dumpall", "-U", SUPERUSER, "--globals-only"], "Dumping the roles")
    )
    written.append(globals_sql)
    for database in databases:
        dump = folder / f"{database}.dump"
        dump.write_bytes(
            _run(postgres, ["pg_dump", "-U", SUPERUSER, "-Fc", "-d", database], f"Dumping {database}")
        )
        print(f"{database}: {dump} ({dump.stat().st_size} bytes)", file=out, flush=True)
        written.append(dump)
    return written


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
    missing = [d for d in service_databases(postgres) if not (folder / f"{d}.dump").exists()]
    if missing:
        raise BackupFailed(f"{folder} has no dump of {', '.join(missing)}: is it a stackops backup folder?")
    for database in service_databases(postgres):
        inside = _put(postgres, f"stackops-{database}.dump", (folder / f"{database}.dump").read_bytes())
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
                ["pg_restore", "-U", SUPERUSER, "--clean", "--if-exists", "--single-transaction",
                 "-d", database, inside],
                f"Restoring {database}",
            )
            print(f"{database}: restored.", file=out)
        # The copy was put there by the engine as root, in /tmp with its sticky bit: root removes it.
        postgres.exec_run(["rm", "-f", inside, "/tmp/stackops-count.sql"], user="root")
