"""Server-rendered SVG bar charts: no script, readable by screen readers, the numbers also in a table."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_HEIGHT = 28
GAP = 10
CHART_WIDTH = 420
NUMBER_WIDTH = 60
# Room for the labels: about 9 px a character at the font size used, within sensible bounds.
CHARACTER_WIDTH = 9
MIN_LABEL_WIDTH, MAX_LABEL_WIDTH = 120, 400


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def bar_chart(bars: list[Bar], *, title: str, description: str) -> Markup:
    """A horizontal bar chart; each bar's width is its value relative to the largest."""
    largest = max((b.value for b in bars), default=0) or 1
    longest = max((len(b.label) for b in bars), default=0)
    label_width = min(max(longest * CHARACTER_WIDTH + 16, MIN_LABEL_WIDTH), MAX_LABEL_WIDTH)
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = label_width + CHART_WIDTH + NUMBER_WIDTH
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = round(CHART_WIDTH * bar.value / largest)
        middle = y + BAR_HEIGHT / 2
        out.append(
            f'<text x="{label_width - 8}" y="{middle}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#1b1b1b" font-size="15">{escape(bar.label)}</text>'
        )
        out.append(f'<rect x="{label_width}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="#0b4f6c"/>')
        out.append(
            f'<text x="{label_width + length + 6}" y="{middle}" dominant-baseline="middle" '
            f'fill="#1b1b1b" font-size="15">{bar.value}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
