"""Figures of one run: the table printed for people and `results/latest.json` for tools."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Figure:
    """One measured number; a figure with a ceiling says how far it gets towards it.

    `target_on` says what `target` bounds: "ratio" (a minimum share of the ceiling), "value" (a
    minimum rate shown beside its ceiling) or "max" (a maximum, for a latency in "ms"); a figure with
    no target (a ceiling itself) has `met` = None.
    """

    name: str
    value: float
    unit: str
    ceiling_name: str | None = None
    ceiling_value: float | None = None
    ratio: float | None = None
    target: float | None = None
    met: bool | None = None
    target_on: str | None = None


def ceiling(name: str, value: float, unit: str) -> Figure:
    return Figure(name=name, value=round(value, 1), unit=unit)


def against_ceiling(name: str, value: float, unit: str, ceil: Figure, target_ratio: float) -> Figure:
    """A rate whose target is a minimum share of its ceiling."""
    return _beside(name, value, unit, ceil, target=target_ratio, target_on="ratio")


def at_least(name: str, value: float, unit: str, ceil: Figure, minimum: float) -> Figure:
    """A rate with a target of its own, beside the ceiling it is a share of."""
    return _beside(name, value, unit, ceil, target=minimum, target_on="value")


def _beside(
    name: str, value: float, unit: str, ceil: Figure, *, target: float, target_on: Literal["ratio", "value"]
) -> Figure:
    ratio = value / ceil.value if ceil.value > 0 else 0.0
    return Figure(
        name=name,
        value=round(value, 1),
        unit=unit,
        ceiling_name=ceil.name,
        ceiling_value=ceil.value,
        ratio=round(ratio, 3),
        target=target,
        met=(ratio if target_on == "ratio" else value) >= target,
        target_on=target_on,
    )


def at_most(name: str, value: float, unit: str, limit: float) -> Figure:
    return Figure(name=name, value=round(value, 1), unit=unit, target=limit, met=value <= limit,
                  target_on="max")


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "unit", "ceiling", "ratio", "target", "met")]
    for f in figures:
        rows.append(
            (
                f.name,
                f"{f.value:,.1f}",
                f.unit,
                "" if f.ceiling_name is None else f"{f.ceiling_name} = {f.ceiling_value:,.1f}",
                "" if f.ratio is None else f"{f.ratio:.1%}",
                _target(f),
                {True: "yes", False: "NO", None: ""}[f.met],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.rjust(w) if i in (1, 4) else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _target(f: Figure) -> str:
    if f.target is None:
        return ""
    if f.target_on == "value":
        return f">= {f.target:,.0f} {f.unit}"
    if f.ceiling_name is not None:
        return f"ratio >= {f.target:.0%}"
    return f"<= {f.target:,.0f} {f.unit}"


def write_json(
    figures: list[Figure], path: Path = RESULTS / "latest.json", *, keep_others: bool = False
) -> Path:
    """Write atomically, so a run stopped half-way never leaves half a file behind.

    `keep_others` (a run of one part, `--only`): the file's rows of other names stay where they are,
    rows of the same name are replaced by this run's, new ones come last."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(f) for f in figures]
    if keep_others and path.exists():
        mine = {row["name"]: row for row in rows}
        old = json.loads(path.read_text())
        kept = [mine.pop(row["name"], row) for row in old]
        rows = kept + [row for row in rows if row["name"] in mine]
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path
