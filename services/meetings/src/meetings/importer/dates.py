"""Dates: the phrases Swedish minutes use for a day, a month or a week, and the meeting's own date."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass

from meetings.importer.notes import Notes

_MONTH_NUMBERS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4, "apr": 4, "maj": 5,
    "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augusti": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAY_NUMBERS = {
    "måndag": 0,
    "tisdag": 1,
    "onsdag": 2,
    "torsdag": 3,
    "fredag": 4,
    "lördag": 5,
    "söndag": 6,
}
_MONTHS = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
_MONTH_ABBREVIATIONS = "jan|feb|mar|apr|jun|jul|aug|sept|sep|okt|nov|dec"
_WEEKDAYS = "måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag"
_LAST_YEAR = r"(?P<last_year>\s+i\s+fjol|\s+förra\s+året)?"

_DAY_MONTH = re.compile(
    rf"(?:\b(?P<weekday>{_WEEKDAYS})(?:en)?\s+)?(?:\bden\s+)?"
    r"\b(?P<days>\d{1,2}(?::[ae])?(?:\s*(?:,|och|&|–|-)\s*\d{1,2}(?::[ae])?){0,6})"
    rf"\s+(?P<month>{_MONTHS}|(?:{_MONTH_ABBREVIATIONS})\.?)(?!\w)"
    rf"(?:\s+(?P<year>(?:19|20)\d{{2}})\b)?{_LAST_YEAR}",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(
    r"\b(?P<year>(?:19|20)\d{2})-(?P<month>1[0-2]|0?[1-9])-(?P<day>3[01]|[12]\d|0?[1-9])\b"
)
_SLASH_DATE = re.compile(
    rf"(?:\b(?P<prefix>den|{_WEEKDAYS}|(?:mån|tis|ons|tors|fre|lör|sön)dag(?:en)?)\s+)?"
    r"\b(?P<day>3[01]|[12]\d|0?[1-9])/(?P<month>1[0-2]|0?[1-9])"
    r"(?:(?:\s+|/|\s*-\s*)(?P<year>(?:19|20)\d{2})\b|\s*-\s*(?P<short_year>\d{2})\b)?",
    re.IGNORECASE,
)
_MONTH_ONLY = re.compile(
    r"\b(?:i|under|till|från|efter|före|innan|inför|sedan|senast\s+i|(?:i\s+)?(?:början|mitten|slutet)\s+av)"
    rf"\s+(?P<month>{_MONTHS})(?!\w)(?:\s+(?P<year>(?:19|20)\d{{2}})\b)?{_LAST_YEAR}",
    re.IGNORECASE,
)
_WEEK = re.compile(r"\b(?:vecka|v\.)\s*(?P<week>5[0-3]|[1-4]\d|[1-9])\b", re.IGNORECASE)
DATE_FIELD = re.compile(r"^(?:datum|mötesdatum|tid\s+och\s+datum)\s*:?\s*(?P<value>.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateHit:
    start: int
    end: int
    phrase: str
    days: tuple[int, ...]  # empty when only a month or a week is named
    month: int | None
    year: int | None
    years_back: int  # 1 for "i fjol"
    weekday: int | None


def date_hits(text: str) -> list[DateHit]:
    hits: list[DateHit] = []
    for match in _ISO_DATE.finditer(text):
        hits.append(_hit(match, (int(match["day"]),), int(match["month"]), int(match["year"]), 0, None))
    for match in _SLASH_DATE.finditer(text):
        year = (
            int(match["year"])
            if match["year"]
            else (2000 + int(match["short_year"]) if match["short_year"] else None)
        )
        if match["prefix"] or year:  # a bare "1/2" is more often a fraction than a date
            weekday = _WEEKDAY_NUMBERS.get((match["prefix"] or "").casefold().removesuffix("en"))
            hits.append(_hit(match, (int(match["day"]),), int(match["month"]), year, 0, weekday))
    for match in _DAY_MONTH.finditer(text):
        days = tuple(int(day) for day in re.findall(r"\d{1,2}", match["days"]))
        month = _MONTH_NUMBERS[match["month"].casefold().rstrip(".")]
        weekday = _WEEKDAY_NUMBERS.get((match["weekday"] or "").casefold())
        year = int(match["year"]) if match["year"] else None
        hits.append(_hit(match, days, month, year, 1 if match["last_year"] else 0, weekday))
    for match in _MONTH_ONLY.finditer(text):
        year = int(match["year"]) if match["year"] else None
        month = _MONTH_NUMBERS[match["month"].casefold()]
        hits.append(_hit(match, (), month, year, 1 if match["last_year"] else 0, None))
    for match in _WEEK.finditer(text):
        hits.append(_hit(match, (), None, None, 0, None))

    # Earlier patterns are more specific and win overlaps. The chosen hits never overlap, so in
    # start order their ends are in order too, and one neighbour on each side settles a new hit.
    chosen: list[DateHit] = []
    for hit in hits:
        at = bisect.bisect_left(chosen, hit.start, key=lambda other: other.start)
        before_ok = at == 0 or chosen[at - 1].end <= hit.start
        after_ok = at == len(chosen) or hit.end <= chosen[at].start
        if before_ok and after_ok:
            chosen.insert(at, hit)
    return chosen


def _hit(
    match: re.Match[str],
    days: tuple[int, ...],
    month: int | None,
    year: int | None,
    back: int,
    weekday: int | None,
) -> DateHit:
    return DateHit(match.start(), match.end(), match.group().strip(), days, month, year, back, weekday)


def read_meeting_date(
    title: str | None, preamble: list[str], year: int | None, source_name: str | None, notes: Notes
) -> tuple[dt.date | None, str | None]:
    """The meeting date from the title, else from a "Datum:" line; returns it and the phrase used."""
    hit = next((h for h in date_hits(title or "") if h.days), None)
    where, phrase = "title", hit.phrase if hit else None
    if hit is None:
        for line in preamble:
            field_match = DATE_FIELD.match(line)
            found = (
                next((h for h in date_hits(field_match["value"]) if h.days), None) if field_match else None
            )
            if found:
                hit, where, phrase = found, f'line "{line}"', None
                break
    if hit is None or hit.month is None:
        notes.add("Found no meeting date in the title or a “Datum:” line; set the date by hand.")
        return None, None
    if len(hit.days) > 1:
        notes.add(
            f'The {where} names more than one day ("{hit.phrase}"); used the first as the meeting date.'
        )

    if hit.year is not None:
        meeting_year = hit.year
        if year is not None and year != hit.year:
            notes.add(f"The text dates the meeting {hit.year} but year {year} was given; kept {hit.year}.")
    elif year is not None:
        meeting_year = year
    else:
        suggestion = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", source_name or "")
        hint = f" The file name suggests {suggestion.group(1)}." if suggestion else ""
        notes.add(
            f'The {where} says "{hit.phrase}" but gives no year, so the meeting date is left empty; '
            f"give the year (--year) to set it.{hint}"
        )
        return None, phrase
    try:
        meeting = dt.date(meeting_year, hit.month, hit.days[0])
    except ValueError:
        notes.add(f'"{hit.phrase}" in the {where} is not a real date; set the date by hand.')
        return None, phrase
    if hit.weekday is not None and meeting.weekday() != hit.weekday:
        notes.add(f'"{hit.phrase}" names the wrong weekday for {meeting.isoformat()}; check the date.')
    return meeting, phrase
