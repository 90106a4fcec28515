"""stackops backup and restore against a real PostgreSQL (the embedded one), without a container engine.

The commands stackops runs in the postgres container run here on this machine instead, with the
same PostgreSQL programs, so what is checked is what PostgreSQL does with the dumps.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from backbone.embedded import EmbeddedPostgres
from stackops import status
from stackops.backup import BackupFailed, _replace, backup, restore

# The container's /tmp, where stackops puts and reads its files, is this folder.
CONTAINER_TMP = "/tmp/"


class LocalPostgres:
    """The part of a Docker SDK container stackops uses, playing the postgres service's container."""

    def __init__(self, server: EmbeddedPostgres, databases: list[str], tmp: Path) -> None:
        self.name = "delaktig-postgres-1"
        self.status = "running"
        self.labels = {"com.docker.compose.project": "delaktig", "com.docker.compose.service": "postgres"}
        self.attrs: dict[str, Any] = {"Config": {"Env": [f"SERVICE_DATABASES={' '.join(databases)}"]}}
        self._server = server
        self._tmp = tmp
        self._detached: list[subprocess.Popen[bytes]] = []

    def _local(self, argv: list[str]) -> list[str]:
        program = EmbeddedPostgres.bin_dir() / argv[0]
        head = [str(program)] if program.exists() else [argv[0]]
        return head + [arg.replace(CONTAINER_TMP, f"{self._tmp}/") for arg in argv[1:]]

    def exec_run(self, cmd: list[str], *, detach: bool = False, demux: bool = False, **_: Any) -> Any:
        # PostgreSQL's programs first on the PATH, as in the container: a script there finds them too.
        path = f"{EmbeddedPostgres.bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}"
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(self._server.port), "PATH": path}
        if detach:
            self._detached.append(subprocess.Popen(self._local(cmd), env=env))
            return None
        done = subprocess.run(self._local(cmd), env=env, capture_output=True, check=False)
        return done.returncode, ((done.stdout, done.stderr) if demux else done.stdout + done.stderr)

    def put_archive(self, path: str, data: bytes) -> bool:
        assert path == CONTAINER_TMP.rstrip("/")
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(self._tmp, filter="data")
        return True

    def close(self) -> None:
        for process in self._detached:
            process.kill()
            process.wait()


@pytest.fixture
async def service_database(pg_server: EmbeddedPostgres) -> Any:
    """A service's role and the database it owns, as deploy/postgres makes them, at migration 1."""
    name = f"meetings_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_server.dsn())
    await admin.execute(f"CREATE ROLE {name} LOGIN")
    await admin.execute(f"CREATE DATABASE {name} OWNER {name}")
    await admin.execute(f"REVOKE ALL ON DATABASE {name} FROM PUBLIC")
    await admin.close()
    conn = await asyncpg.connect(pg_server.dsn(name), user=name)
    await conn.execute("CREATE TABLE schema_migrations (version int PRIMARY KEY)")
    await conn.execute("INSERT INTO schema_migrations VALUES (1)")
    await conn.execute("CREATE TABLE minutes (id int PRIMARY KEY, body text)")
    await conn.execute("INSERT INTO minutes VALUES (1, 'Vi beslutar att starta en fritidsbank.')")
    await conn.close()
    yield name
    admin = await asyncpg.connect(pg_server.dsn())
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"DROP ROLE IF EXISTS {name}")
    await admin.close()


@pytest.fixture
def postgres(pg_server: EmbeddedPostgres, service_database: str, tmp_path: Path) -> Iterator[LocalPostgres]:
    """The postgres container of a stack with the service's database, its /tmp in `container-tmp`."""
    (tmp_path / "container-tmp").mkdir()
    container = LocalPostgres(pg_server, [service_database], tmp_path / "container-tmp")
    try:
        yield container
    finally:
        container.close()


async def test_a_backup_from_before_a_migration_restores_to_exactly_what_it_held(
    pg_server: EmbeddedPostgres, service_database: str, postgres: LocalPostgres, tmp_path: Path
) -> None:
    name = service_database
    backup(postgres, tmp_path / "backup", io.StringIO())  # type: ignore[arg-type]
    # An upgrade after the backup: migration 2 adds a table, and a minute is written.
    conn = await asyncpg.connect(pg_server.dsn(name), user=name)
    await conn.execute("CREATE TABLE decisions (id int PRIMARY KEY)")
    await conn.execute("INSERT INTO schema_migrations VALUES (2)")
    await conn.execute("INSERT INTO minutes VALUES (2, 'Skrivet efter säkerhetskopian.')")
    await conn.close()

    restore(postgres, tmp_path / "backup", io.StringIO(), drill=False)  # type: ignore[arg-type]

    conn = await asyncpg.connect(pg_server.dsn(name), user=name)
    try:
        tables = await conn.fetch(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        # Nothing of the later migration is left: it would refuse to run again ("already exists").
        assert [(t["tablename"], t["tableowner"]) for t in tables] == [
            ("minutes", name), ("schema_migrations", name)
        ]
        assert await conn.fetchval("SELECT array_agg(version) FROM schema_migrations") == [1]
        assert await conn.fetchval("SELECT array_agg(id) FROM minutes") == [1]
        # And the service's own migration step can bring the database forward again.
        await conn.execute("CREATE TABLE decisions (id int PRIMARY KEY)")
    finally:
        await conn.close()


async def test_a_dump_that_cannot_be_read_to_its_end_leaves_the_database_as_it_was(
    pg_server: EmbeddedPostgres, service_database: str, postgres: LocalPostgres, tmp_path: Path
) -> None:
    # The dump's statements are streamed into psql (no copy of them on the container's tmpfs, which
    # is memory): psql must not commit what came before pg_restore stopped half way.
    name = service_database
    backup(postgres, tmp_path / "backup", io.StringIO())  # type: ignore[arg-type]
    whole = (tmp_path / "backup" / f"{name}.dump").read_bytes()
    # Cut inside the table data, after the table of contents and the schema.
    (tmp_path / "container-tmp" / "cut.dump").write_bytes(whole[: len(whole) - 40])
    with pytest.raises(BackupFailed):
        _replace(postgres, name, f"{CONTAINER_TMP}cut.dump")  # type: ignore[arg-type]
    conn = await asyncpg.connect(pg_server.dsn(name), user=name)
    try:
        assert await conn.fetchval("SELECT array_agg(id) FROM minutes") == [1]
        assert await conn.fetchval("SELECT array_agg(version) FROM schema_migrations") == [1]
    finally:
        await conn.close()


# What a service broken into can leave in the database it owns, waiting for the operator's tools to
# run it with their privileges: it makes its role a superuser, quietly, and lets the tool go on.
PWN = """
CREATE FUNCTION public.pwn() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('is_superuser') = 'on' THEN
        BEGIN
            EXECUTE format('ALTER ROLE %I SUPERUSER', '{role}');
        EXCEPTION WHEN OTHERS THEN
            -- A read-only transaction stops this one statement, not the rest a superuser may do.
            RAISE EXCEPTION 'the planted function ran with a superuser''s rights';
        END;
    END IF;
    RETURN true;
END $$;
"""


async def _plant(pg_server: EmbeddedPostgres, name: str, *statements: str) -> None:
    conn = await asyncpg.connect(pg_server.dsn(name), user=name)
    try:
        await conn.execute(PWN.format(role=name))
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _is_superuser(pg_server: EmbeddedPostgres, name: str) -> bool:
    admin = await asyncpg.connect(pg_server.dsn())
    try:
        return bool(await admin.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = $1", name))
    finally:
        await admin.close()


# The backup counts each table's rows with `'table' || '=' || count(*)`: an operator of the
# service's own, more specific than PostgreSQL's, runs its function.
HIJACKED_CONCATENATION = (
    "CREATE FUNCTION public.cat(text, bigint) RETURNS text LANGUAGE sql AS $$ SELECT $1 || $2::text"
    " WHERE public.pwn() $$",
    "CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = bigint, FUNCTION = public.cat)",
)
# Restoring a row checks the table's constraints: a check of the service's own runs its function.
CHECKED_BY_ITS_OWN_FUNCTION = (
    "CREATE TABLE trap (x int CHECK (public.pwn()))",
    "INSERT INTO trap VALUES (1)",
)


async def test_a_backup_runs_nothing_a_service_left_in_its_database_with_more_than_its_own_rights(
    pg_server: EmbeddedPostgres, service_database: str, postgres: LocalPostgres, tmp_path: Path
) -> None:
    name = service_database
    await _plant(pg_server, name, *HIJACKED_CONCATENATION)
    backup(postgres, tmp_path / "backup", io.StringIO())  # type: ignore[arg-type]
    assert not await _is_superuser(pg_server, name)


@pytest.mark.parametrize("drill", [True, False], ids=["drill", "restore"])
async def test_a_restore_runs_nothing_from_the_dump_with_more_than_the_services_own_rights(
    pg_server: EmbeddedPostgres, service_database: str, postgres: LocalPostgres, tmp_path: Path, drill: bool
) -> None:
    name = service_database
    await _plant(pg_server, name, *CHECKED_BY_ITS_OWN_FUNCTION)
    backup(postgres, tmp_path / "backup", io.StringIO())  # type: ignore[arg-type]
    assert not await _is_superuser(pg_server, name)
    restore(postgres, tmp_path / "backup", io.StringIO(), drill=drill)  # type: ignore[arg-type]
    assert not await _is_superuser(pg_server, name)
    if drill:
        admin = await asyncpg.connect(pg_server.dsn())
        try:
            drills = "SELECT count(*) FROM pg_database WHERE datname LIKE 'restore_drill_%'"
            assert await admin.fetchval(drills) == 0, "the drill's copy is dropped"
        finally:
            await admin.close()


async def test_status_counts_an_outbox_without_running_what_the_service_put_in_its_place(
    pg_server: EmbeddedPostgres, service_database: str, postgres: LocalPostgres
) -> None:
    name = service_database
    await _plant(
        pg_server, name,
        "CREATE VIEW outbox AS SELECT now() AS published_at, now() AS set_aside_at WHERE public.pwn()",
    )  # fmt: skip
    [row] = status.outbox_rows(postgres, [name])  # type: ignore[arg-type]
    assert row.backlog == 0
    assert not await _is_superuser(pg_server, name)
