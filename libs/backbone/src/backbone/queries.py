"""Named SQL queries read from .sql files (`-- name: get_meeting` above each statement)."""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


class Queries:
    """Attribute access to the statements of every .sql file in a folder: `q.get_meeting`."""

    def __init__(self, directory: Path) -> None:
        self._sql: dict[str, str] = {}
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
            self._sql[name] = text[mark.end() : end].strip().rstrip(";")

    def __getattr__(self, name: str) -> str:
        try:
            return self._sql[name]
        except KeyError:
            raise AttributeError(f"No query named {name!r}.") from None

    def names(self) -> list[str]:
        return sorted(self._sql)
