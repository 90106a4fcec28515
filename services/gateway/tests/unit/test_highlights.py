"""Search snippets from the service: only its <mark> tags survive, everything else is escaped."""

from __future__ import annotations

from gateway.highlights import safe_snippet


def test_search_snippets_keep_only_the_marks() -> None:
    snippet = safe_snippet("vi <mark>möts</mark> &lt;b&gt; <script>alert(1)</script>")
    assert "<mark>möts</mark>" in snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert str(safe_snippet("<mark>open")).endswith("</mark>")
