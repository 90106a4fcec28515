"""The session's PostgreSQL keeps working when another pytest session starts on the same machine.

Every pytest session makes `/tmp/pytest-of-<user>` private again (mode 0700). PostgreSQL runs as
another user when we are root, so a data folder below it became unreadable mid-run ("could not open
file global/pg_control: Permission denied") whenever a second session started beside a long one.
"""

from __future__ import annotations

import os

import asyncpg
import pytest

from backbone.embedded import EmbeddedPostgres


async def test_postgres_outlives_another_session_making_the_pytest_folder_private(
    pg_server: EmbeddedPostgres, make_database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.getbasetemp().parent
    if not root.name.startswith("pytest-of-"):
        pytest.skip(f"the run has its own --basetemp ({root}), which no other session touches")
    mode = root.stat().st_mode
    try:
        # What the next pytest session on this machine does when it starts.
        os.chmod(root, 0o700)
        # A new database makes the server read and write files in its data folder.
        dsn = make_database("private_tmp")
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1); CHECKPOINT")
            assert await conn.fetchval("SELECT x FROM t") == 1
        finally:
            await conn.close()
    finally:
        os.chmod(root, mode)

