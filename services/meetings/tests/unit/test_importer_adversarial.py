"""Hostile texts for the importer: whatever is uploaded, parsing ends in time proportional to its length.

These are not performance measurements. The deadline is many times what a linear parse needs, so
only catastrophic backtracking (seconds growing with the square of a run of spaces or dots) can
trip it, and it trips before the test hangs for minutes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings.importer import ParsedMinutes, parse_minutes

# The API accepts up to 500,000 characters; a parse of 200,000 takes well under a second when
# every expression is linear, and took minutes before.
DEADLINE_SECONDS = 20.0
LONG = 200_000
# Each family on its own is shorter, to keep the suite quick; a quadratic parse of 80,000
# characters still takes minutes.
FAMILY_LENGTH = 80_000

HEAD = "Gemensam utvecklingsgrupp 22 februari 2016\n\nNärvarande\nAnna Berg\n\nRubrik\n"


class Parser:
    """A separate process that parses, so that a runaway parse can be stopped.

    A thread would not do: one regular-expression call holds the interpreter lock until it ends,
    and a catastrophic one would freeze the test run with it, deadline and all.
    """

    def __init__(self) -> None:
        self.pool: Pool | None = None

    def parse(self, text: str) -> ParsedMinutes:
        if self.pool is None:
            self.pool = multiprocessing.get_context("spawn").Pool(processes=1)
        pending = self.pool.apply_async(parse_minutes, (text,))
        try:
            return pending.get(timeout=DEADLINE_SECONDS)
        except multiprocessing.TimeoutError:
            self.close()
            raise AssertionError(
                f"parsing {len(text):,} characters did not finish within {DEADLINE_SECONDS:.0f} s: "
                "an expression backtracks catastrophically on this text"
            ) from None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


PARSER = Parser()


@pytest.fixture(scope="module", autouse=True)
def _parser_process() -> Iterator[None]:
    yield
    PARSER.close()


def parse_within_deadline(text: str) -> ParsedMinutes:
    return PARSER.parse(text)


def test_a_dot_leader_between_sixteen_thousand_spaces_parses() -> None:
    # Almost a contents line: the page number is not one, so the old expression tried every way
    # of sharing the spaces between its quantifiers before it gave up.
    spaces = " " * 16_000
    text = f"{HEAD}Övriga frågor{spaces}x{spaces}....{spaces}12a\nmer text\n"
    minutes = parse_within_deadline(text)
    assert minutes.date is not None
    assert any("Övriga frågor x .... 12a" in section.text for section in minutes.sections)


def test_a_real_dot_leader_line_is_still_dropped_as_contents() -> None:
    text = f"{HEAD}Text under rubriken.\n\nInnehåll\nRubrik ........ 1\nÖvrigt . . . . 2\n"
    minutes = parse_within_deadline(text)
    assert all("...." not in section.text and ". . ." not in section.text for section in minutes.sections)


# Each family repeats one awkward shape until the text is long: the shapes that made an expression
# or a loop read the same characters again and again.
N = FAMILY_LENGTH
FAMILIES: dict[str, str] = {
    "spaces inside a line": "a" + " " * N + "b",
    "spaces before a page number": "Rubrik" + " " * N + "1",
    "tabs and non-breaking spaces": "a" + "\t\u00a0" * (N // 2) + "b",
    "a paragraph sign and spaces": "§" + " " * N + "1",
    "beslut and spaces": "beslut" + " " * N + ":",
    "dots": "." * N + "x",
    "spaced dots": ". " * (N // 2) + "x",
    "ellipses": "…" * N + "x",
    "underscores": "_" * N + "x",
    "bullets": "• punkt\n" * (N // 8),
    "nested bullets": "".join("  " * (i % 3) + "o x\n" for i in range(N // 6)),
    "empty dashes": "- \n" * (N // 3),
    "a list of days without a month": "1, " * (N // 3) + "x",
    "initials": "A. " * (N // 3),
    "one-letter abbreviations": "a. B " * (N // 5),
    "months": "i mars " * (N // 7),
    "words hyphenated at every line end": "ord-\n" * (N // 5),
    "a URL broken over every line": "http://x.se/" + "a/\n" * (N // 3),
    "headings over text": "Rubrik\nText här.\n\n" * (N // 17),
    "short lines": "Aa\n" * (N // 3),
    "numbered lines": "1. x\n" * (N // 5),
    "field lines": "Tid: a\n" * (N // 7),
    "a decision sentence full of negations": "Vi beslutade " + "inte " * (N // 5) + "x",
    "conjunctions before a promise": "och " * (N // 4) + "ska kontakta",
    "names glued with och": "Aoch" * (N // 4) + "! bokar lokalen.",
    "names joined by commas": "A, " * (N // 3) + "bokar lokalen.",
    "names joined by och": "A och " * (N // 6) + "bokar lokalen.",
    "weeks": "vecka " * (N // 6),
    "questions over text": "Vad?\nText.\n\n" * (N // 12),
    "a long attendance list": "Närvarande\n" + "Anna Berg, Bryggan\n" * (N // 19),
    "mixed": ("• a  . . . ...  \n" + " " * 50 + "1, 2 och 3 mars\nA. B. " + "." * 30 + "\n") * (N // 100),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_long_awkward_text_parses_within_the_deadline(family: str) -> None:
    parse_within_deadline(HEAD + FAMILIES[family] + "\nmer text\n")


# Names joined without an unambiguous separator: when "och" may stand with or without spaces
# around it, "AochAoch…" can be cut into names at every "och" or not, 2**n ways for n names, so a
# few dozen names are enough to hang a parse. Each shape is a place where a promise's owner is read.
NAME_RUNS: dict[str, tuple[str, str, str]] = {
    # name: (before the run, the repeated name, after the run)
    "glued with och before a promise": ("", "Aoch", "! bokar lokalen."),
    "glued with och after an inverted promise": ("Sedan tar ", "Aoch", "!"),
    "glued with och after an inverted promise that goes on": ("Sedan tar ", "Aoch", " kontakt med x."),
    "joined by commas before a promise": ("", "A, ", "bokar lokalen."),
    "joined by commas after an inverted promise": ("Sedan tar ", "A, ", "kontakt med x."),
    "joined by och before a promise": ("", "A och ", "bokar lokalen."),
    "joined by och after an inverted promise": ("Sedan tar ", "A och ", "kontakt med x."),
    "glued with och in brackets after an action": ("Åtgärder\n- Boka lokalen (", "Aoch", ")"),
    "glued with och after a dash after an action": ("Åtgärder\n- Boka lokalen - ", "Aoch", "."),
    "glued with samt before a promise": ("", "Asamt", "! bokar lokalen."),
}


@pytest.mark.parametrize("count", [12, 29, 40, 1_000, FAMILY_LENGTH // 6])
@pytest.mark.parametrize("shape", list(NAME_RUNS))
def test_a_run_of_names_parses_within_the_deadline(shape: str, count: int) -> None:
    before, name, after = NAME_RUNS[shape]
    parse_within_deadline(HEAD + before + name * count + after + "\nmer text\n")


def test_two_hundred_thousand_characters_of_every_shape_at_once_parse_within_the_deadline() -> None:
    text = HEAD + "".join(body[: LONG // len(FAMILIES)] + "\n" for body in FAMILIES.values())
    minutes = parse_within_deadline(text)
    assert minutes.date is not None


# Pieces that an upload may repeat at will; Hypothesis mixes them into long texts.
PIECES = st.sampled_from(
    [
        " ",
        "   ",
        "\t",
        "\u00a0",
        ".",
        ". ",
        "…",
        "_",
        "-",
        "–",
        "•",
        "o ",
        "1.",
        "12",
        ", ",
        " och ",
        "(",
        ")",
        ":",
        "?",
        "\n",
        "\n\n",
        "\r\n",
        "\f",
        "\u00ad",
        "Anna",
        "Berg",
        "A.",
        "mars",
        "den 3",
        "www.",
        "http://",
        "/",
        "ska kontakta",
        "tar",
        "Aoch",
        "A, ",
        "A och ",
        "! bokar",
        "beslutade",
        "Närvarande",
        "Innehåll",
        "Vid pennan",
        "ord",
    ]
)


@st.composite
def adversarial_texts(draw: st.DrawFn) -> str:
    """A few pieces, each repeated thousands of times: long runs, long lines, many bullets, mixed."""
    runs = draw(st.lists(st.tuples(PIECES, st.integers(1, 20_000)), min_size=1, max_size=6))
    body = "".join(piece * count for piece, count in runs)
    return (HEAD if draw(st.booleans()) else "") + body[:LONG]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(adversarial_texts())
def test_no_mixture_of_repeated_pieces_makes_parsing_backtrack(text: str) -> None:
    parse_within_deadline(text)
