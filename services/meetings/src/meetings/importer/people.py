"""People: the attendance and absence lists, and the minute-taker from the signature."""

from __future__ import annotations

import re
from dataclasses import replace

from meetings.importer.lines import Row, looks_like_prose
from meetings.importer.notes import Notes
from meetings.importer.result import Attendee
from meetings.importer.sections import KNOWN_HEADING, heading_shape

PRESENT_LABEL = re.compile(
    r"^(?:närvarande(?:\s+(?:ledamöter|deltagare))?|deltagare|deltagande|närvarolista|närvaro|deltog)"
    r"\s*(?::\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)
_ABSENT_LABEL = re.compile(
    r"^(?:frånvarande(?:\s+med\s+förhinder)?|frånvaro|anmäld\s+frånvaro|anmält\s+frånvaro|"
    r"anmält\s+förhinder|anmälda\s+förhinder|förhinder|förhindrade|ej\s+närvarande|inte\s+närvarande)"
    r"\s*(?::\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)
_MINUTE_TAKER_LABEL = re.compile(
    r"^(?:vid\s+pennan|vid\s+protokollet|vid\s+tangentbordet|sekreterare|sekr\.|protokollförare|"
    r"antecknat\s+av|antecknare|anteckningar\s+av|antecknades\s+av|anteckningar\s+förda\s+av|"
    r"minnesanteckningar\s+av|protokollet\s+fört\s+av|protokoll\s+fört\s+av)"
    r"(?!\w)\s*[:\-–]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_OTHER_SIGNATURE_LABEL = re.compile(
    r"^(?:justeras|justerare|justerat|ordförande|mötesordförande|underskrift|signatur)(?!\w)\s*[:\-–]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ROLES = {
    "ordförande": "ordförande",
    "ordf": "ordförande",
    "mötesordförande": "ordförande",
    "sekreterare": "sekreterare",
    "sekr": "sekreterare",
    "protokollförare": "sekreterare",
    "vid pennan": "sekreterare",
    "justerare": "justerare",
    "adjungerad": "adjungerad",
    "ersättare": "ersättare",
    "gäst": "gäst",
    "inbjuden": "gäst",
}
UPPER = "A-ZÅÄÖÆØÉÈÜÁÍÓÚÑ"
_NAME_TOKEN = re.compile(rf"^(?:[{UPPER}][\w'’\-]*\.?)$")
_PARTICLES = {"von", "van", "af", "de", "der", "la", "le", "di", "da", "du", "bin", "al", "el"}


def _is_name(text: str, *, max_tokens: int = 5) -> bool:
    tokens = text.split()
    if not 1 <= len(tokens) <= max_tokens or not _NAME_TOKEN.match(tokens[0]):
        return False
    if not all(_NAME_TOKEN.match(token) or token in _PARTICLES for token in tokens):
        return False
    return any(len(token.strip(".")) >= 2 for token in tokens)


def _is_initial(token: str) -> bool:
    return re.fullmatch(rf"[{UPPER}]\.", token) is not None


def _split_capitalised(text: str) -> tuple[str, str]:
    """Split "Gösta Strand arbetsmarknadsförvaltningen" into the capitalised name and the rest."""
    tokens = text.split()
    i = 0
    while i < len(tokens) and (
        _NAME_TOKEN.match(tokens[i])
        or (tokens[i] in _PARTICLES and 0 < i < len(tokens) - 1 and _NAME_TOKEN.match(tokens[i + 1]))
    ):
        i += 1
    return " ".join(tokens[:i]), " ".join(tokens[i:])


def _split_top_level(text: str, separators: str) -> list[str]:
    """Split on separators that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char in separators and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _parse_person(text: str, notes: Notes) -> Attendee:
    original = text
    text = text.strip().strip(",;").strip()
    if text.endswith(".") and not _is_initial(text.split()[-1]):
        text = text[:-1].rstrip()
    name, extras = text, []
    bracketed = re.fullmatch(r"(?P<head>[^()]*?)\s*\((?P<inner>[^()]*)\)\s*(?P<tail>.*)", text)
    if bracketed:
        name = bracketed["head"]
        extras.append(bracketed["inner"])
        extras.extend(_split_top_level(bracketed["tail"], ",;"))
    if "," in name:
        name, *more = (part.strip() for part in name.split(","))
        extras = more + extras
    elif re.search(r"\s[-–—]\s", name):
        name, more_text = re.split(r"\s[-–—]\s", name, maxsplit=1)
        extras = [more_text, *extras]
    name = name.strip()

    if not extras and not _is_name(name):
        head, rest = _split_capitalised(name)
        if head and rest[:1].islower():
            name, extras = head, [rest]
    elif not extras:
        tokens = name.split()
        if len(tokens) >= 3 and not any(_is_initial(token) or token in _PARTICLES for token in tokens):
            notes.add(
                f'"{original.strip()}" has no comma between name and organisation; kept it all as the name. '
                "Check the attendance list."
            )
    if not _is_name(name):
        notes.add(
            f'"{original.strip()}" in the attendance list does not look like a name; kept it as written.'
        )

    roles = [_ROLES[part.casefold().rstrip(".")] for part in extras if part.casefold().rstrip(".") in _ROLES]
    organisations = [
        part.strip() for part in extras if part.casefold().rstrip(".") not in _ROLES and part.strip()
    ]
    return Attendee(
        name=name,
        organisation=", ".join(organisations) or None,
        role=", ".join(dict.fromkeys(roles)) or None,
    )


def _parse_inline_people(text: str, notes: Notes) -> list[Attendee]:
    """Read "Närvarande: Anna Svensson (SOF), Bo Pettersson, Ria/G7, Catrin" style lists."""
    if ";" in text:
        return [_parse_person(part, notes) for part in _split_top_level(text, ";")]
    parts = [
        piece.strip()
        for part in _split_top_level(text, ",")
        for piece in re.split(r"\s+(?:och|&)\s+", part)
        if piece.strip()
    ]
    people: list[Attendee] = []
    for part in parts:
        looks_like_organisation = part[:1].islower() or "/" in part or (part.isupper() and " " not in part)
        if people and people[-1].organisation is None and looks_like_organisation:
            people[-1] = people[-1].model_copy(update={"organisation": part})
            continue
        if (
            people
            and len(people[-1].name.split()) >= 2
            and people[-1].organisation is None
            and " " not in part
        ):
            notes.add(
                f'Could not tell names from organisations in "{text}" ("{part}" could be either); '
                "check the attendance list."
            )
        people.append(_parse_person(part, notes))
    return people


def _person_like(row: Row) -> bool:
    """A line that on its own reads as a person: "Anna Berg", "Anna Berg, Bryggan", "Anna (SOF)"."""
    text = row.text.strip().rstrip(",;")
    head = re.split(r"[,(]|\s[-–—]\s", text, maxsplit=1)[0].strip()
    if head != text:
        return _is_name(head, max_tokens=4)
    tokens = text.split()
    return 2 <= len(tokens) <= 4 and _is_name(text, max_tokens=4)


def _names_an_organisation(row: Row) -> bool:
    """ "Anna Berg, Bryggan", "Anna Berg (SOF)": a person, whatever follows; a heading has no such part."""
    text = row.text.strip().rstrip(",;")
    head = re.split(r"[,(]|\s[-–—]\s", text, maxsplit=1)[0].strip()
    return head != text and _is_name(head, max_tokens=4)


def _fits_the_list(row: Row, people: list[Attendee]) -> bool:
    """Whether a line under an attendance list is written like an entry of it.

    Word drops the blank line after the list as often as not, and the heading under it then
    touches the last name. A person is a name, with an organisation after a comma, in brackets
    or as one lower-case word ("Gösta Strand arbetsmarknadsförvaltningen"); a heading is a phrase
    ("Avstämningshalvdag till våren/sommaren"). A single word fits only a list that has single
    words in it: under "Anna Berg" and "Bo Ek", "Fritidsbank" is a heading.
    """
    text = row.text.strip().rstrip(",;")
    if KNOWN_HEADING.match(text):
        return False
    if len(text.split()) == 1:
        return _is_name(text, max_tokens=1) and (
            len(people) < 2 or any(len(person.name.split()) == 1 for person in people)
        )
    if _person_like(row):
        return True
    head, rest = _split_capitalised(text)
    return _is_name(head) and len(head.split()) >= 2 and len(rest.split()) == 1 and rest[:1].islower()


def _is_any_label(text: str) -> bool:
    return any(label.match(text) for label in (PRESENT_LABEL, _ABSENT_LABEL, _MINUTE_TAKER_LABEL))


def _read_people(rows: list[Row], start: int, used: set[int], notes: Notes) -> list[Attendee]:
    label_row = rows[start]
    label = PRESENT_LABEL.match(label_row.text) or _ABSENT_LABEL.match(label_row.text)
    assert label is not None
    used.add(start)
    inline = (label["rest"] or "").strip()
    people = _parse_inline_people(inline, notes) if inline else []

    j = start + 1
    while j < len(rows) and j not in used:
        row = rows[j]
        first = j == start + 1
        if _is_any_label(row.text):
            break
        if row.blank_before and (inline or not first):
            # After a blank line the list goes on only with lines that clearly are people.
            following = rows[j + 1] if j + 1 < len(rows) else None
            if not _person_like(row) or (
                following is not None and following.blank_before == 0 and not _person_like(following)
            ):
                break
        if looks_like_prose(row):
            break
        if not first and not _fits_the_list(row, people):
            notes.add(
                f'"{row.text}" follows the attendance list but is not written like the names in it; '
                "read it as a heading, not as a person. Check the attendance list."
            )
            break
        following = rows[j + 1] if j + 1 < len(rows) else None
        if (
            following is not None
            and not _names_an_organisation(row)
            and following.blank_before == 0
            and not following.continued
            and (looks_like_prose(following) or (following.is_bullet and not _person_like(following)))
            # A short question right under the list is the heading itself, and this the last name.
            and not (following.text.endswith("?") and heading_shape(following))
        ):
            notes.add(
                f'"{row.text}" follows the attendance list without a blank line and is followed by text; '
                "read it as a heading, not as a person. Check the attendance list."
            )
            break
        people.append(_parse_person(row.text, notes))
        used.add(j)
        j += 1

    if not people:
        notes.add(f'Found "{label_row.text}" but no names after it.')
    return people


def take_attendance(rows: list[Row], used: set[int], notes: Notes) -> tuple[list[Attendee], list[Attendee]]:
    attendees: list[Attendee] = []
    absent: list[Attendee] = []
    found_present = False
    for i, row in enumerate(rows):
        if i in used or row.is_bullet:
            continue
        if PRESENT_LABEL.match(row.text):
            if found_present:
                notes.add(
                    f'Found a second attendance list ("{row.text}"); added its names too. Check for doubles.'
                )
            found_present = True
            attendees.extend(_read_people(rows, i, used, notes))
        elif _ABSENT_LABEL.match(row.text):
            absent.extend(_read_people(rows, i, used, notes))
    if not found_present:
        notes.add('Found no attendance list ("Närvarande" or "Deltagare").')
    return attendees, absent


def _signature_name(row: Row) -> str | None:
    text = row.line.strip().lstrip("/").strip().rstrip(",;")
    if not text or looks_like_prose(row):
        return None
    name = re.split(r"[,(]|\s[-–—]\s", text, maxsplit=1)[0].strip().rstrip(".")
    return name if _is_name(name) else None


def _same_person(a: str, b: str) -> bool:
    short, long = sorted((a.casefold().split(), b.casefold().split()), key=len)
    return long[: len(short)] == short


def take_signatures(rows: list[Row], used: set[int], attendees: list[Attendee], notes: Notes) -> str | None:
    candidates: list[tuple[str, str]] = []  # (name, where it was found)
    for i, row in enumerate(rows):
        if i in used or row.is_bullet:
            continue
        taker = _MINUTE_TAKER_LABEL.match(row.text)
        other = _OTHER_SIGNATURE_LABEL.match(row.text) if i >= len(rows) // 2 else None
        match = taker or other
        if match is None:
            continue
        label = row.text[: match.start("rest")].strip(" :-–")
        rest = match["rest"].strip()
        if rest:
            name = _signature_name(replace(row, line=rest, text=rest))
            if name is None:
                continue  # "Sekreterare behövs till hösten." is a sentence, not a signature
            used.add(i)
            if taker:
                candidates.append((name, label))
            continue
        names: list[int] = []
        j = i + 1
        while j < len(rows) and j not in used and rows[j].blank_before <= 3 and _signature_name(rows[j]):
            names.append(j)
            j += 1
            if taker:
                break  # one minute-taker; "Justeras" may list several people
        if not names:
            if taker:
                notes.add(f'Found "{row.text}" but no name after it; set the minute-taker by hand.')
            continue  # kept as ordinary text
        used.update([i, *names])
        if taker:
            name = _signature_name(rows[names[0]])
            assert name is not None
            candidates.append((name, label))

    for person in attendees:
        if person.role and "sekreterare" in person.role:
            candidates.append((person.name, "attendance list"))
    if not candidates:
        return None
    chosen = max((name for name, _ in candidates), key=len)
    if all(_same_person(name, chosen) for name, _ in candidates):
        return chosen
    listed = " and ".join(f'"{name}" ({where})' for name, where in candidates)
    notes.add(f"Found more than one minute-taker: {listed}; left it empty, set it by hand.")
    return None
