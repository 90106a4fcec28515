"""Minutes the importer has never seen: variants of the seed minutes in the shapes Word and PDF give.

Each variant changes only the form (blank lines, bullets, line endings, headings asked as
questions, a table of contents, organisations left out, the year left out, a URL broken over two
lines), so what the minutes say must come out the same. Hypothesis chooses and combines the
changes; the invariants below must hold for every combination.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.importer import ParsedMinutes, parse_minutes

SEEDS = (
    "2016-02-22-gemensam-utvecklingsgrupp.txt",
    "2016-03-07-gemensam-utvecklingsgrupp.txt",
    "2016-04-04-gemensam-utvecklingsgrupp.txt",
)


def seed(name: str) -> str:
    return (files("meetings") / "demo" / "minutes" / name).read_text(encoding="utf-8")


BASE = {name: parse_minutes(seed(name)) for name in SEEDS}
URL = "https://www.helsingborg.se/omsorg-och-stod/fritidsbanken"


@dataclass(frozen=True)
class Variant:
    """A text in a new shape, and what the change means for the expected result."""

    text: str
    base: ParsedMinutes
    headings: dict[str, str]  # seed heading -> the heading as the variant writes it
    year_given: bool = True
    url: str | None = None


Change = Callable[[Variant], Variant]


def lines_of(variant: Variant) -> list[str]:
    return variant.text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")


def with_lines(variant: Variant, lines: list[str], **changes: Any) -> Variant:
    return replace(variant, text="\n".join(lines), **changes)


def is_blank(line: str) -> bool:
    return not line.strip()


def attendance_end(lines: list[str], base: ParsedMinutes) -> int:
    """The index of the last line of the attendance list."""
    last = base.attendees[-1].name
    return max(i for i, line in enumerate(lines) if line.strip().startswith(last))


def no_blank_line_after_attendance(variant: Variant) -> Variant:
    lines = lines_of(variant)
    end = attendance_end(lines, variant.base)
    after = end + 1
    while after < len(lines) and is_blank(lines[after]):
        after += 1
    return with_lines(variant, lines[: end + 1] + lines[after:])


def blank_lines_doubled(variant: Variant) -> Variant:
    lines: list[str] = []
    for line in lines_of(variant):
        lines.append(line)
        if is_blank(line):
            lines.append("")
    return with_lines(variant, lines)


def blank_line_after_headings(variant: Variant) -> Variant:
    written = set(variant.headings.values())
    lines: list[str] = []
    for line in lines_of(variant):
        lines.append(line)
        if line.strip() in written:
            lines.append("")
    return with_lines(variant, lines)


def headings_as_questions(variant: Variant) -> Variant:
    renamed = {
        seed_heading: f"Hur går det med {written}?" for seed_heading, written in variant.headings.items()
    }
    current = {written: renamed[seed_heading] for seed_heading, written in variant.headings.items()}
    lines = [current.get(line.strip(), line) for line in lines_of(variant)]
    return with_lines(variant, lines, headings=renamed)


def contents_at_the_end(variant: Variant) -> Variant:
    lines = [*lines_of(variant), "", *variant.headings.values()]
    return with_lines(variant, lines)


def bullets_as(glyph: str) -> Change:
    def change(variant: Variant) -> Variant:
        lines = []
        number = 0
        for line in lines_of(variant):
            match = re.match(r"^(\s*)[•o] (.*)$", line)
            if match:
                number += 1
                marker = f"{number}." if glyph == "1." else glyph
                line = f"{match[1]}{marker} {match[2]}"
            lines.append(line)
        return with_lines(variant, lines)

    change.__name__ = f"bullets_as_{glyph}"
    return change


def organisations_left_out(variant: Variant) -> Variant:
    lines = lines_of(variant)
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Närvarande"))
    end = attendance_end(lines, variant.base)
    names = {person.name for person in variant.base.attendees}
    for i in range(start + 1, end + 1):
        name = next((name for name in names if lines[i].strip().startswith(name)), None)
        if name is not None:
            lines[i] = name
    return with_lines(variant, lines)


def year_left_out(variant: Variant) -> Variant:
    lines = lines_of(variant)
    title = next(i for i, line in enumerate(lines) if line.strip())
    lines[title] = lines[title].replace(" 2016", "")
    return with_lines(variant, lines, year_given=False)


def url_broken_over_two_lines(variant: Variant) -> Variant:
    lines = lines_of(variant)
    end = attendance_end(lines, variant.base)
    # The first line of running text after the attendance list gets a URL that the export broke.
    at = next(
        i
        for i in range(end + 1, len(lines))
        if len(lines[i].split()) >= 6
        and lines[i].strip() not in variant.headings.values()
        and not re.match(r"^\s*(?:[•o\-–*]|\d+\.)\s", lines[i])
    )
    half = len(URL) // 2 + 3
    lines[at : at + 1] = [f"{lines[at].rstrip()} Läs mer på {URL[:half]}", URL[half:]]
    return with_lines(variant, lines, url=URL)


CHANGES: tuple[Change, ...] = (
    no_blank_line_after_attendance,
    blank_lines_doubled,
    blank_line_after_headings,
    headings_as_questions,
    contents_at_the_end,
    bullets_as("–"),
    bullets_as("*"),
    bullets_as("1."),
    organisations_left_out,
    year_left_out,
    url_broken_over_two_lines,
)


def encoded(variant: Variant, *, windows: bool, bom: bool) -> str:
    text = variant.text.replace("\r\n", "\n")
    if windows:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if bom else "") + text


def start(name: str) -> Variant:
    base = BASE[name]
    headings = {section.heading: section.heading for section in base.sections if section.heading}
    return Variant(seed(name), base, headings)


def normal(text: str) -> str:
    return " ".join(text.split())


def check_invariants(variant: Variant, text: str, changes: list[str]) -> None:
    found = parse_minutes(text)
    base = variant.base
    about = f"after {', '.join(changes) or 'no change'}"

    if variant.year_given:
        assert found.date == base.date, about
    else:
        assert found.date is None, about
        assert parse_minutes(text, year=2016).date == base.date, about

    names = [person.name for person in found.attendees]
    assert sorted(names) == sorted(person.name for person in base.attendees), about
    headings = [section.heading for section in found.sections if section.heading]
    written = set(variant.headings.values())
    assert not {normal(name) for name in names} & {normal(h) for h in written}, about
    for person in found.attendees:
        said = normal(f"{person.name} {person.organisation or ''}")
        assert not any(said.startswith(normal(h)) for h in written), about
    assert [h for h in headings if h in written] == list(variant.headings.values()), about

    assert sorted(normal(d.text) for d in found.decisions) == sorted(
        normal(d.text) for d in base.decisions
    ), about
    assert sorted((normal(a.text), a.owner) for a in found.action_items) == sorted(
        (normal(a.text), a.owner) for a in base.action_items
    ), about
    if variant.url:
        assert any(variant.url in section.text for section in found.sections), about


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
@pytest.mark.parametrize("name", SEEDS)
def test_each_change_alone_keeps_what_the_minutes_say(name: str, change: Change) -> None:
    variant = change(start(name))
    check_invariants(variant, variant.text, [change.__name__])


def test_a_heading_right_under_the_attendance_list_is_never_an_attendee() -> None:
    for name in SEEDS:
        variant = blank_line_after_headings(no_blank_line_after_attendance(start(name)))
        check_invariants(
            variant, variant.text, ["blank_line_after_headings", "no_blank_line_after_attendance"]
        )


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(SEEDS),
    chosen=st.lists(st.sampled_from(CHANGES), max_size=5, unique=True),
    windows=st.booleans(),
    bom=st.booleans(),
)
def test_any_combination_of_changes_keeps_what_the_minutes_say(
    name: str, chosen: list[Change], windows: bool, bom: bool
) -> None:
    variant = start(name)
    for change in chosen:
        variant = change(variant)
    labels = [change.__name__ for change in chosen] + ["windows"] * windows + ["bom"] * bom
    check_invariants(variant, encoded(variant, windows=windows, bom=bom), labels)
