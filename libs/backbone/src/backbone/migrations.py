"""Forward-only SQL migrations: numbered .sql files, checksums, an advisory lock, one transaction per file."""

from __future__ import annotations

import hashlib
import re
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


async def migrate(dsn: str, migrations: list[Migration]) -> list[str]:
    """Apply what is missing, in order; returns the versions applied now."""
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
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                        m.version,
                        m.checksum,
                    )
                applied_now.append(m.version)
                log.info("migration applied", version=m.version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return applied_now
