"""Named queries read from .sql files."""

import re

import pytest

from backbone.queries import Queries


def test_named_queries_are_read_from_sql_files(tmp_path):
    (tmp_path / "a.sql").write_text("-- name: one\nSELECT 1;\n\n-- name: two\nSELECT\n  2;\n")
    q = Queries(tmp_path)
    assert q.one.sql == "SELECT 1"
    assert q.two.sql == "SELECT\n  2"
    assert q.names() == ["one", "two"]
    with pytest.raises(AttributeError, match="three"):
        _ = q.three


def test_a_name_defined_twice_is_refused(tmp_path):
    (tmp_path / "a.sql").write_text("-- name: one\nSELECT 1;\n")
    (tmp_path / "b.sql").write_text("-- name: one\nSELECT 2;\n")
    with pytest.raises(ValueError, match="defined twice"):
        Queries(tmp_path)


def _one(tmp_path, sql: str):
    (tmp_path / "a.sql").write_text(f"-- name: one\n{sql}\n")
    return Queries(tmp_path).one


def test_named_parameters_become_positional_in_the_order_they_first_appear(tmp_path):
    q = _one(tmp_path, "UPDATE t SET a = :a, b = :b WHERE id = :id AND a <> :a;")
    assert q.sql == "UPDATE t SET a = $1, b = $2 WHERE id = $3 AND a <> $1"
    assert q.params == ("a", "b", "id")
    assert q.args(id=3, b=2, a=1) == (1, 2, 3)


def test_a_missing_name_is_named_in_the_error(tmp_path):
    q = _one(tmp_path, "SELECT :a, :b")
    with pytest.raises(TypeError, match=r"'one': no value for b \(it takes a, b\)"):
        q.args(a=1)


def test_an_unknown_name_is_named_in_the_error(tmp_path):
    q = _one(tmp_path, "SELECT :a")
    with pytest.raises(TypeError, match="no parameter named typo"):
        q.args(a=1, typo=2)
    with pytest.raises(TypeError, match="it takes no parameters"):
        _one(tmp_path, "SELECT 1").args(a=1)


def test_casts_are_not_parameters(tmp_path):
    q = _one(tmp_path, "SELECT :a::uuid, now()::date, (:b)::text[]")
    assert q.sql == "SELECT $1::uuid, now()::date, ($2)::text[]"
    assert q.params == ("a", "b")


def test_colons_in_literals_comments_and_quoted_names_are_left_alone(tmp_path):
    sql = (
        "SELECT ':not' AS \"x:y\", 'it''s :no', $$ :body $$, $f$ :x $f$, x := 1 -- :comment\n"
        "/* :block\n :more */, arr[lo:hi] FROM t WHERE a = :a"
    )
    q = _one(tmp_path, sql)
    assert q.params == ("a",)
    assert q.sql == sql.replace(":a", "$1")


def test_queries_with_dollar_parameters_are_passed_through(tmp_path):
    q = _one(tmp_path, "SELECT $1, '$2', ':x'")
    assert q.sql == "SELECT $1, '$2', ':x'"
    assert q.params == ()


def test_a_query_mixing_both_styles_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"mixes \$n and :name.*a\.sql"):
        _one(tmp_path, "SELECT $1, :a")



def test_the_backbones_own_queries_all_take_named_parameters():
    from backbone.queries import backbone_queries

    assert "outbox_backlog" in backbone_queries.names()
    for name in backbone_queries.names():
        query = getattr(backbone_queries, name)
        written = {int(n) for n in re.findall(r"\$(\d+)", query.sql)}
        assert written == set(range(1, len(query.params) + 1)), name
