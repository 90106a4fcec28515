"""Named SQL queries read from .sql files (`-- name: get_meeting` above each statement).

Parameters are written `:name`, the way aiosql writes them, and compiled once, at load time, to
asyncpg's `$1, $2, ...`; a call passes keyword arguments (`await q.get_meeting.fetchrow(conn,
id=meeting_id)`), so a query with ten parameters cannot be fed them in the wrong order. A name
used twice is one `$n`. `::type` casts, string literals, quoted names, dollar-quoted bodies and
comments are left as they are. Queries still written with `$n` are passed through unchanged (the
benchmarks use them) and take their values in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import asyncpg

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
# Everything the compiler must step over whole, so that a `:word` inside it is not a parameter.
_SKIP = re.compile(
    r"""
      '(?:[^']|'')*'                          # 'string', with '' inside
    | "(?:[^"]|"")*"                          # "quoted identifier"
    | --[^\n]*                                # -- comment
    | /\*.*?\*/                               # /* comment */
    | (?P<dollar>\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$).*?(?P=dollar)   # $tag$ body $tag$
    | ::                                      # a cast, not a parameter
    | :=                                      # an assignment, not a parameter
    """,
    re.VERBOSE | re.DOTALL,
)
_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
_POSITIONAL = re.compile(r"\$\d+")


def compile_named(sql: str) -> tuple[str, tuple[str, ...]]:
    """`:name` parameters to `$n`, with the names in `$n` order; text that is not a parameter stays."""
    order: list[str] = []
    out: list[str] = []
    at = 0
    while at < len(sql):
        skip = _SKIP.match(sql, at)
        if skip:
            out.append(skip.group(0))
            at = skip.end()
            continue
        param = _PARAM.match(sql, at)
        # After a word character it is no parameter, e.g. an array slice `a[lo:hi]` (as in aiosql).
        if param and not (at and (sql[at - 1].isalnum() or sql[at - 1] == "_")):
            name = param.group(1)
            if name not in order:
                order.append(name)
            out.append(f"${order.index(name) + 1}")
            at = param.end()
            continue
        out.append(sql[at])
        at += 1
    return "".join(out), tuple(order)


def _outside_literals(sql: str) -> str:
    return _SKIP.sub(" ", sql)


class Query:
    """One statement: its text in asyncpg's `$n` form (`sql`), the names of its parameters in `$n`
    order (`params`), and calls that take those names as keywords."""

    __slots__ = ("name", "params", "sql")

    def __init__(self, name: str, text: str) -> None:
        positional = bool(_POSITIONAL.search(_outside_literals(text)))
        self.sql, self.params = compile_named(text)
        self.name = name
        if positional and self.params:
            raise ValueError(
                f"Query {name!r} mixes $n and :name parameters; write every parameter as :name."
            )

    def __repr__(self) -> str:
        return f"Query({self.name!r}, params={self.params!r})"

    def args(self, values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> tuple[Any, ...]:
        """The values for `$1, $2, ...` from keyword arguments, refusing missing and unknown names."""
        given = {**(values or {}), **kwargs}
        missing = [p for p in self.params if p not in given]
        unknown = sorted(set(given) - set(self.params))
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"no value for {', '.join(missing)}")
            if unknown:
                problems.append(f"no parameter named {', '.join(unknown)}")
            takes = ", ".join(self.params) or "no parameters"
            raise TypeError(f"Query {self.name!r}: {'; '.join(problems)} (it takes {takes}).")
        return tuple(given[p] for p in self.params)

    def _bind(self, args: tuple[Any, ...], params: Mapping[str, Any]) -> tuple[Any, ...]:
        if not args:
            return self.args(params)
        # Queries still written with $n (the benchmarks') take their values in order.
        if self.params or params:
            raise TypeError(f"Query {self.name!r} takes its parameters by name: {', '.join(self.params)}.")
        return args

    async def fetch(self, conn: asyncpg.Connection, /, *args: Any, **params: Any) -> list[asyncpg.Record]:
        return await conn.fetch(self.sql, *self._bind(args, params))

    async def fetchrow(self, conn: asyncpg.Connection, /, *args: Any, **params: Any) -> Any:
        # Any, as asyncpg's own: a row or None, which callers check where the query can miss.
        return await conn.fetchrow(self.sql, *self._bind(args, params))

    async def fetchval(self, conn: asyncpg.Connection, /, *args: Any, **params: Any) -> Any:
        return await conn.fetchval(self.sql, *self._bind(args, params))

    async def execute(self, conn: asyncpg.Connection, /, *args: Any, **params: Any) -> str:
        return await conn.execute(self.sql, *self._bind(args, params))

    async def executemany(self, conn: asyncpg.Connection, rows: Iterable[Mapping[str, Any]], /) -> None:
        await conn.executemany(self.sql, [self.args(row) for row in rows])


class Queries:
    """Attribute access to the statements of every .sql file in a folder: `q.get_meeting`."""

    def __init__(self, directory: Path) -> None:
        self._sql: dict[str, Query] = {}
        self._directory = directory
        for path in sorted(directory.glob("*.sql")):
            self._load(path)
        if not self._sql:
            raise ValueError(f"No named queries found in {directory}.")

    def _load(self, path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        marks = list(_NAME.finditer(text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            name = mark.group(1)
            if name in self._sql:
                raise ValueError(f"Query {name!r} is defined twice (again in {path}).")
            try:
                self._sql[name] = Query(name, text[mark.end() : end].strip().rstrip(";"))
            except ValueError as exc:
                raise ValueError(f"{exc} ({path})") from None

    def __getattr__(self, name: str) -> Query:
        try:
            return self._sql[name]
        except KeyError:
            raise AttributeError(
                f"No query named {name!r} in {self._directory}; add it there as `-- name: {name}`."
            ) from None

    def names(self) -> list[str]:
        return sorted(self._sql)


# The backbone's own statements (outbox, relay, inbox), kept in .sql files like every service's.
backbone_queries = Queries(Path(__file__).parent / "sql")
