"""deploy/postgres/10-databases.sh on a real PostgreSQL, without a container engine.

Each service's role reaches its own database and nothing else (not even `postgres` or `template1`,
where every role may connect by default), and its migrate step still works with only that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from backbone.embedded import EmbeddedPostgres, free_port
from backbone.runtime import apply_migrations
from backbone.settings import ServiceSettings
from backbone.testing import run_async

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "postgres" / "10-databases.sh"
SERVICES = ("meetings", "notify")


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedPostgres]:
    # A server of its own: the script changes who may connect to `postgres` and `template1`. Its
    # folder is not under pytest's: each pytest session that starts (another test run on this
    # machine) makes that private again, and the server's user could no longer reach its data.
    folder = Path(tempfile.mkdtemp(prefix="delaktig-pginit-"))
    pg = EmbeddedPostgres(folder / "data", free_port(), durable=False)
    pg.start()
    env = {
        **os.environ,
        "PATH": f"{pg.bin_dir()}:{os.environ['PATH']}",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(pg.port),
        "SERVICE_DATABASES": " ".join(SERVICES),
        **{f"{s.upper()}_DB_PASSWORD": f"pw-{s}" for s in SERVICES},
    }
    try:
        for _ in range(2):  # safe to run again, as docs/deploy.md says
            result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _dsn(pg: EmbeddedPostgres, role: str, database: str) -> str:
    return f"postgresql://{role}:pw-{role}@127.0.0.1:{pg.port}/{database}"


async def _connects(dsn: str) -> str:
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InsufficientPrivilegeError as exc:
        return f"refused: {exc}"
    await conn.close()
    return "connected"


@pytest.mark.parametrize("database", ["postgres", "template1", "notify"])
def test_a_services_role_reaches_no_other_database(server, database):
    assert run_async(_connects(_dsn(server, "meetings", "meetings"))) == "connected"
    outcome = run_async(_connects(_dsn(server, "meetings", database)))
    assert outcome.startswith("refused: permission denied for database"), outcome


def test_the_migrate_step_works_with_only_its_own_database(server):
    settings = ServiceSettings(
        environment="test", service_name="notify", database_url=_dsn(server, "notify", "notify")
    )
    applied = run_async(apply_migrations(settings, None))
    assert applied, "the backbone's own migrations were applied"


def test_no_password_is_on_a_command_line(tmp_path):
    # A psql that records how it was called: a command line is in every process listing of the
    # container while the script runs; the environment and standard input are not.
    fake = tmp_path / "psql"
    fake.write_text('#!/bin/bash\nprintf "%s\\n" "$@" >> "$CALLS"\ncat > /dev/null\n')
    fake.chmod(0o755)
    calls = tmp_path / "calls"
    env = {
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "SERVICE_DATABASES": " ".join(SERVICES),
        **{f"{s.upper()}_DB_PASSWORD": f"secret-of-{s}" for s in SERVICES},
    }
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "secret-of-" not in calls.read_text(), calls.read_text()
