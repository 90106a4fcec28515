"""Pooled connections carry no session state, so giving one back needs no reset (backbone.db).

A session-level `SET`, an advisory lock or a LISTEN on a pooled connection would outlive the request
that made it and reach the next one. Such things belong on a connection of their own (the
migrations' lock, the relay's leader lock), listed here by file.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
SOURCES = [ROOT / "libs" / "backbone" / "src", *sorted((ROOT / "services").glob("*/src"))]
# Files whose statements run on a connection opened for them alone, never one from the pool.
OWN_CONNECTION = {
    "libs/backbone/src/backbone/migrations.py",  # pg_advisory_lock around the migrations
    "libs/backbone/src/backbone/sql/outbox.sql",  # try_relay_lock, on the relay's lock connection
}

ANYWHERE = [
    re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.IGNORECASE),  # the xact variants are fine
    re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.IGNORECASE),
    re.compile(r"\.add_listener\s*\("),
    re.compile(r"\bWITH\s+HOLD\b", re.IGNORECASE),
    re.compile(r"""execute\(\s*f?["']\s*(SET|RESET|LISTEN|PREPARE)\s""", re.IGNORECASE),
]
# A whole statement that changes the session (`SET LOCAL`, `SET TRANSACTION`, `SET CONSTRAINTS` end
# with the transaction).
SESSION_STATEMENT = re.compile(
    r"^(SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)|RESET\b|LISTEN\b|PREPARE\b|DISCARD\b)", re.IGNORECASE
)


def _files() -> list[Path]:
    found = []
    for source in SOURCES:
        for path in [*source.rglob("*.py"), *source.rglob("*.sql")]:
            if "migrations" in path.relative_to(source).parts or "build" in path.parts:
                continue  # migrations run on the migrator's own connection
            found.append(path)
    return found


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    text = "\n".join(lines)
    return [statement.strip() for statement in text.split(";") if statement.strip()]


def test_the_sources_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in _files()}
    assert "libs/backbone/src/backbone/db.py" in names
    assert "services/gateway/src/gateway/sql/sessions.sql" in names


def test_no_pooled_connection_is_given_session_state():
    found = []
    for path in _files():
        name = path.relative_to(ROOT).as_posix()
        if name in OWN_CONNECTION:
            continue
        text = path.read_text()
        found += [f"{name}: {p.pattern}" for p in ANYWHERE if p.search(text)]
        if path.suffix == ".sql":
            # A named query starts after its `-- name:` line, which _statements drops.
            found += [f"{name}: {s.splitlines()[0]}" for s in _statements(text) if SESSION_STATEMENT.match(s)]
    assert found == [], "state that would outlive the request on a pooled connection (backbone.db)"


def test_the_check_sees_session_state():
    assert SESSION_STATEMENT.match(_statements("-- name: x\nSET search_path TO other;")[0])
    assert not SESSION_STATEMENT.match(_statements("-- name: x\nSET LOCAL lock_timeout TO DEFAULT;")[0])
    assert not _statements("-- name: y\nUPDATE t\nSET a = 1")[0].upper().startswith("SET")
    assert any(p.search('await conn.execute("SET statement_timeout = 0")') for p in ANYWHERE)
    assert any(p.search("SELECT pg_advisory_lock(1)") for p in ANYWHERE)
    assert not any(p.search("SELECT pg_advisory_xact_lock(1)") for p in ANYWHERE)
