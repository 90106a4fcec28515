"""The named queries of every .sql file in volunteers/sql, loaded once."""

from __future__ import annotations

from pathlib import Path

from backbone.queries import Queries

q = Queries(Path(__file__).parent / "sql")
