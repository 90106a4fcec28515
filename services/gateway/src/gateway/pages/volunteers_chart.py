"""Hours per pool per month as a server-rendered SVG column chart: no script, one colour and one
legend entry per pool; the page shows the same numbers as a table beside it (see chart.py)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

HEIGHT = 220
TOP, BOTTOM, LEFT = 20, 40, 50
GROUP_GAP = 12
BAR_WIDTH = 14
LEGEND_ROW = 22
# Colours far apart for people who see colours differently, each with 4.5:1 contrast on white.
COLOURS = ("#0b4f6c", "#b3421b", "#2e6b30", "#6a3d9a", "#7a5c00", "#a0215b", "#1d5e8c", "#505050")


def _hours(value: Any) -> float:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return 0.0


def hours_chart(months: list[str], series: list[dict[str, Any]], *, title: str, description: str) -> Markup:
    """Columns of hours, grouped by month, one column per pool (`series` as the service sends it)."""
    largest = max((_hours(h) for s in series for h in s["hours"]), default=0.0) or 1.0
    group = max(len(series), 1) * BAR_WIDTH + GROUP_GAP
    width = LEFT + len(months) * group + 10
    legend_top = HEIGHT + 10
    height = legend_top + len(series) * LEGEND_ROW
    plot = HEIGHT - TOP - BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="hours-chart-title hours-chart-desc" class="chart">',
        f'<title id="hours-chart-title">{escape(title)}</title>',
        f'<desc id="hours-chart-desc">{escape(description)}</desc>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{width - 10}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#1b1b1b"/>',
        f'<text x="{LEFT - 6}" y="{TOP}" text-anchor="end" font-size="12" fill="#1b1b1b">'
        f"{escape(_number(largest))}</text>",
        f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end" font-size="12" '
        'fill="#1b1b1b">0</text>',
    ]
    for m, month in enumerate(months):
        x0 = LEFT + m * group + GROUP_GAP / 2
        for s, one in enumerate(series):
            value = _hours(one["hours"][m]) if m < len(one["hours"]) else 0.0
            bar = round(plot * value / largest)
            out.append(
                f'<rect x="{x0 + s * BAR_WIDTH}" y="{HEIGHT - BOTTOM - bar}" width="{BAR_WIDTH - 2}" '
                f'height="{bar}" fill="{COLOURS[s % len(COLOURS)]}"/>'
            )
        out.append(
            f'<text x="{x0 + (group - GROUP_GAP) / 2}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="12" fill="#1b1b1b">{escape(month[2:])}</text>'
        )
    for s, one in enumerate(series):
        y = legend_top + s * LEGEND_ROW
        out.append(f'<rect x="{LEFT}" y="{y}" width="14" height="14" fill="{COLOURS[s % len(COLOURS)]}"/>')
        out.append(
            f'<text x="{LEFT + 20}" y="{y + 12}" font-size="14" fill="#1b1b1b">'
            f"{escape(one['pool_name'])}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
