"""The gateway's named queries (the connection per request is backbone.dependencies.ConnDep)."""

from __future__ import annotations

from pathlib import Path

from backbone.queries import Queries

Q = Queries(Path(__file__).resolve().parent / "sql")
