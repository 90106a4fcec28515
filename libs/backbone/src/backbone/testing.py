"""Pytest fixtures that start real PostgreSQL and NATS servers, one of each per test session.

Registered as a pytest plugin (entry point `pytest11`), so every test folder of the project can use
them. Ports and folders are unique per session, so two runs on one machine never collide.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from joserfc.jwk import OKPKey

from backbone.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from backbone.identity import Identity, KeyFiles, bearer_headers, load_signing_key, write_keypair
from backbone.migrations import Migration, backbone_migrations, ensure_database, migrate, read_migrations

T = TypeVar("T")


@contextmanager
def server_folder(name: str) -> Iterator[Path]:
    """A folder for a server's data outside `/tmp/pytest-of-<user>`, removed afterwards.

    Every pytest session that starts makes that folder private again (0700), and PostgreSQL runs as
    another user when we are root: below it, a long session's database lost its files the moment a
    second session started beside it ("global/pg_control: Permission denied").
    """
    folder = Path(tempfile.mkdtemp(prefix=f"delaktig-{name}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    with server_folder("pg") as folder:
        server = EmbeddedPostgres(folder / "data", free_port(), durable=False)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def identity_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    """A keypair of the tests' own, as files: the private one for the gateway's side (or for minting
    identities in a test), the public one for every service under test."""
    return write_keypair(tmp_path_factory.mktemp("identity"))


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path_factory.mktemp("nats") / "jetstream", free_port())
    server.start()
    yield server
    server.stop()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync code, on a loop of its own in another thread.

    Another thread, because this one may already run a loop (an async test, or Playwright's).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def eventually(
    probe: Callable[[], T | Awaitable[T]], what: str, *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Ask `probe` (sync or async) until it answers something truthy, and return that answer.

    The one way tests wait for an asynchronous effect: a deadline instead of a bare sleep, and a
    message that says what never happened. Sync tests call it through `run_async`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answer = probe()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer
        if loop.time() > deadline:
            raise AssertionError(f"Not within {timeout:g} s: {what} (last answer: {answer!r})")
        await asyncio.sleep(interval)


def _readable(data: bytes) -> str:
    """Bytes as the text a person's data would be in: UTF-8 (what cannot be read as UTF-8 is skipped,
    not the whole value), and JSON once more with its \\u escapes written out."""
    text = data.decode("utf-8", errors="replace")
    try:
        return text + "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


async def where_it_remains(conn: asyncpg.Connection, needles: list[str]) -> list[str]:
    """Every table.column of the connection's database where any of `needles` is still found
    (case-insensitive, in every text, json, text-array and bytea column, such as a dead letter's
    message): what an erasure test asserts empty."""
    columns = await conn.fetch(
        """
        SELECT c.table_name, c.column_name, c.data_type = 'bytea' AS is_bytes
        FROM information_schema.columns c
        JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
          AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
               OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar')))
        ORDER BY 1, 2
        """
    )
    found = []
    for table, column, is_bytes in columns:
        if is_bytes:
            # Read here, not in SQL: convert_from() fails on the first value that is not UTF-8.
            values = [
                _readable(v).casefold()
                for v in await conn.fetchval(
                    f'SELECT coalesce(array_agg("{column}"), ARRAY[]::bytea[]) FROM "{table}"'
                )
                if v is not None
            ]
            found += [
                f"{table}.{column} holds {needle!r}"
                for needle in needles
                if any(needle.casefold() in value for value in values)
            ]
            continue
        for needle in needles:
            sql = f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE $1'
            if await conn.fetchval(sql, f"%{needle}%"):
                found.append(f"{table}.{column} holds {needle!r}")
    return found


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _migrated_database(
    pg_server: EmbeddedPostgres, service: str, migrations_dir: Path | None, made: list[str] | None = None
) -> str:
    """A fresh database, migrated; its DSN goes into `made` before anything is created, so a database
    whose migration fails is dropped all the same."""
    dsn = pg_server.dsn(unique_name(service))
    if made is not None:
        made.append(dsn)
    migrations: list[Migration] = backbone_migrations()
    if migrations_dir is not None:
        migrations += read_migrations(service, migrations_dir)

    async def create() -> None:
        await ensure_database(dsn)
        await migrate(dsn, migrations)

    run_async(create())
    return dsn


async def drop_databases(pg_server: EmbeddedPostgres, dsns: list[str]) -> None:
    """Drop these databases, closing whatever connection a test left open on them. One that cannot be
    dropped does not keep the others: every one is tried, and then the failures are raised together."""
    conn = await asyncpg.connect(pg_server.dsn())
    failures: list[str] = []
    try:
        for dsn in dsns:
            name = dsn.rsplit("/", 1)[1]
            try:
                await conn.execute(
                    await conn.fetchval(
                        "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text)", name
                    )
                )
            except asyncpg.PostgresError as exc:
                failures.append(f"{name}: {exc}")
    finally:
        await conn.close()
    if failures:
        raise AssertionError("Databases not dropped: " + "; ".join(failures))


@pytest.fixture
def make_database(pg_server: EmbeddedPostgres) -> Iterator[Callable[..., str]]:
    """`make_database("meetings", migrations_dir)` gives the DSN of a fresh, migrated database, dropped
    when the test ends: a whole suite's databases kept to the end filled CI's disk (some 10 MB each)."""
    made: list[str] = []

    def make(service: str, migrations_dir: Path | None = None) -> str:
        return _migrated_database(pg_server, service, migrations_dir, made)

    try:
        yield make
    finally:
        run_async(drop_databases(pg_server, made))


@pytest.fixture(scope="session")
def lasting_database(pg_server: EmbeddedPostgres) -> Callable[..., str]:
    """`make_database` for module- and session-scoped fixtures: their databases stay to the end of the
    session (there are few of them)."""

    def make(service: str, migrations_dir: Path | None = None) -> str:
        return _migrated_database(pg_server, service, migrations_dir)

    return make


@pytest.fixture(scope="session")
def signing_key(identity_keys: KeyFiles) -> OKPKey:
    """The gateway's side of the test keypair: tests sign identities as the gateway would."""
    return load_signing_key(str(identity_keys.signing))


class ServiceClient:
    """One service's app driven over HTTP in the test's process, with identities signed as the gateway
    signs them (`audience`: the service's name), and the database behind it for reading the outbox."""

    def __init__(
        self, http: httpx.AsyncClient, *, dsn: str, settings: Any, key: OKPKey, app: Any, audience: str
    ) -> None:
        self.http = http
        self.dsn = dsn
        self.settings = settings
        self.key = key
        self.app = app
        self.audience = audience

    def headers(self, *roles: str, subject: str | None = None, organisation_id: Any = None) -> dict[str, str]:
        """A gateway-signed identity with these roles (none: a visitor the gateway speaks for)."""
        who = Identity(
            subject=subject or f"user-{uuid.uuid4().hex[:6]}",
            roles=roles,
            organisation_id=str(organisation_id) if organisation_id else None,
        )
        return bearer_headers(who, key=self.key, audience=self.audience)

    async def call(
        self,
        method: str,
        url: str,
        *,
        as_: tuple[str, ...] = ("staff",),
        org: Any = None,
        expect: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {**self.headers(*as_, organisation_id=org), **kwargs.pop("headers", {})}
        response = await self.http.request(method, url, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
        return response

    async def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return (await self.call("POST", url, json=json, expect=kw.pop("expect", 201), **kw)).json()

    async def get(self, url: str, **kw: Any) -> Any:
        return (await self.call("GET", url, expect=kw.pop("expect", 200), **kw)).json()

    async def put(self, url: str, json: Any = None, **kw: Any) -> Any:
        return (await self.call("PUT", url, json=json, expect=kw.pop("expect", 200), **kw)).json()

    async def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return (await self.call("PATCH", url, json=json, expect=kw.pop("expect", 200), **kw)).json()

    @property
    def pool(self) -> asyncpg.Pool:
        """The app's own pool (with its codecs), for calling use cases directly."""
        pool: asyncpg.Pool = self.app.state.runtime.pool
        return pool

    async def outbox(self, subject: str) -> list[dict[str, Any]]:
        """The event payloads recorded in the outbox for `subject`, oldest first."""
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT envelope::text AS e FROM outbox WHERE subject = $1 ORDER BY id", subject
            )
        finally:
            await conn.close()
        return [json.loads(r["e"])["data"] for r in rows]


@asynccontextmanager
async def in_process(app: Any, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (its lifespan: pool, NATS, relay, workers) and an HTTP client talking to it
    without a socket; stopped again on the way out."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=base_url) as http,
    ):
        yield http
