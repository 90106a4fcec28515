"""Named queries read from .sql files."""

import pytest

from backbone.queries import Queries


def test_named_queries_are_read_from_sql_files(tmp_path):
    (tmp_path / "a.sql").write_text("-- name: one\nSELECT 1;\n\n-- name: two\nSELECT\n  2;\n")
    q = Queries(tmp_path)
    assert q.one == "SELECT 1"
    assert q.two == "SELECT\n  2"
    assert q.names() == ["one", "two"]
    with pytest.raises(AttributeError, match="three"):
        _ = q.three


def test_a_name_defined_twice_is_refused(tmp_path):
    (tmp_path / "a.sql").write_text("-- name: one\nSELECT 1;\n")
    (tmp_path / "b.sql").write_text("-- name: one\nSELECT 2;\n")
    with pytest.raises(ValueError, match="defined twice"):
        Queries(tmp_path)
