"""The bar chart: an SVG a screen reader can read, with labels escaped."""

from __future__ import annotations

from gateway.chart import Bar, bar_chart


def test_the_chart_is_an_accessible_svg_with_escaped_labels() -> None:
    svg = bar_chart([Bar("Bryggan", 10), Bar("<Ria>", 5)], title="Närvaro", description="Stapeldiagram")
    assert 'role="img"' in svg
    assert "<title" in svg and "<desc" in svg
    assert "&lt;Ria&gt;" in svg
    assert 'width="420"' in svg and 'width="210"' in svg
