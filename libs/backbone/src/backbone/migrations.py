"""Forward-only SQL migrations: numbered .sql files, checksums, an advisory lock, one transaction per file."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from backbone.logs import get_logger

log = get_logger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any fixed number works; it only has to be the same for every replica of every service.
_LOCK_KEY = 7_240_001


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str  # "<namespace>/<file name>", e.g. "backbone/0001_outbox.sql"
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def read_migrations(namespace: str, directory: Path) -> list[Migration]:
    files = sorted(p for p in directory.iterdir() if p.suffix == ".sql")
    for p in files:
        if not _NAME.match(p.name):
            raise MigrationError(f"Migration file {p} must be named like 0001_what_it_does.sql.")
    numbers = [p.name[:4] for p in files]
    if len(set(numbers)) != len(numbers):
        raise MigrationError(f"Two migrations in {directory} share a number: {numbers}.")
    return [Migration(f"{namespace}/{p.name}", p.read_text(encoding="utf-8")) for p in files]


def backbone_migrations() -> list[Migration]:
    """The tables every service has: outbox and inbox."""
    directory = Path(str(resources.files("backbone") / "migrations"))
    return read_migrations("backbone", directory)


async def ensure_database(dsn: str) -> None:
    """Create the service's database if it does not exist (each service owns one)."""
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    if not name:
        raise MigrationError("The database URL must name a database, e.g. postgresql://host/meetings.")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Identifiers cannot be parameters; quote_ident-equivalent via format() on the server.
            stmt = await conn.fetchval("SELECT format('CREATE DATABASE %I', $1::text)", name)
            try:
                await conn.execute(stmt)
            except (asyncpg.exceptions.DuplicateDatabaseError, asyncpg.exceptions.UniqueViolationError):
                pass  # another replica created it between our check and our create
    finally:
        await conn.close()


# How long one migration's statement waits for a lock (a running service's open transaction on the
# table) before it gives up and tries again later. While a DDL statement waits for its lock, every later
# query on that table waits behind it: a short wait, then a pause, lets the services' queries through.
LOCK_TIMEOUT_SECONDS = 2.0
# How long a migration goes on trying to get its locks before the step fails.
LOCK_PATIENCE_SECONDS = 600.0
_PAUSES = (0.5, 1.0, 2.0, 5.0, 10.0)


async def migrate(
    dsn: str,
    migrations: list[Migration],
    *,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    lock_patience: float = LOCK_PATIENCE_SECONDS,
) -> list[str]:
    """Apply what is missing, in order; returns the versions applied now.

    Each migration is one transaction whose statements wait at most `lock_timeout` for a lock; one
    that could not get its locks is rolled back and tried again after a pause, for `lock_patience`
    in all, and then the step fails saying so (nothing of that migration applied)."""
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version text PRIMARY KEY,
                       checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {r["version"]: r["checksum"] for r in await conn.fetch("SELECT * FROM schema_migrations")}
            for m in migrations:
                if m.version in done:
                    if done[m.version] != m.checksum:
                        raise MigrationError(
                            f"Migration {m.version} was changed after it was applied. "
                            "Landed migrations are never edited: add a new file instead."
                        )
                    continue
                await _apply(conn, m, lock_timeout=lock_timeout, lock_patience=lock_patience)
                applied_now.append(m.version)
                log.info("migration applied", version=m.version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return applied_now


async def _apply(
    conn: asyncpg.Connection, m: Migration, *, lock_timeout: float, lock_patience: float
) -> None:
    deadline = time.monotonic() + lock_patience
    for attempt in itertools.count():
        try:
            async with conn.transaction():
                # SET LOCAL: for this transaction only; the milliseconds as PostgreSQL takes them.
                await conn.execute(f"SET LOCAL lock_timeout = {max(1, round(lock_timeout * 1000))}")
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", m.version, m.checksum
                )
            return
        # A deadlock with a service's transaction, which PostgreSQL ended by failing this one: its turn again.
        except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError):
            pause = _PAUSES[min(attempt, len(_PAUSES) - 1)]
            if time.monotonic() + pause > deadline:
                raise MigrationError(
                    f"Migration {m.version} could not get its locks in {lock_patience:g} s: a running "
                    "service kept a transaction open on a table it changes. Nothing of it was applied. "
                    "Run the migration again when the service is quieter, or stop the service first."
                ) from None
            log.warning("migration waits for a lock; trying again", version=m.version, pause_seconds=pause)
            await asyncio.sleep(pause)
