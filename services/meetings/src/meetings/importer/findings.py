"""Reading the sections for decisions, action items and the dates they mention."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from meetings.importer.dates import DATE_FIELD, DateHit, date_hits
from meetings.importer.decisions import DECISION_LIST_LABEL, read_decision
from meetings.importer.notes import Notes
from meetings.importer.promises import (
    ACTION_LABEL,
    ACTION_LIST_LABEL,
    RESPONSIBLE,
    RESPONSIBLE_LIST,
    add_action,
    owner_in,
    read_promise,
    warn_no_owner,
)
from meetings.importer.result import ActionItem, Decision, MentionedDate
from meetings.importer.sections import Draft, Item
from meetings.importer.sentences import split_sentences

_NEXT_MEETING = re.compile(r"\bnästa\s+(?:möte|träff|sammankomst)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Context:
    meeting_date: dt.date | None
    base_year: int | None


@dataclass(slots=True)
class Findings:
    decisions: list[Decision] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    dates: list[MentionedDate] = field(default_factory=list)
    next_meeting: dt.date | None = None
    next_meeting_found: bool = False
    unresolved_dates: int = 0


def _introduced(items: list[Item], index: int) -> list[int]:
    """The items that an item introduces: the list under a line ending in ":", or the item after "Beslut:"."""
    item = items[index]
    if not item.text.endswith(":"):
        return []
    children: list[int] = []
    for position in range(index + 1, len(items)):
        following = items[position]
        if following.kind != "bullet" or (item.kind == "bullet" and following.level <= item.level):
            break
        children.append(position)
    is_label = DECISION_LIST_LABEL.match(item.text) or ACTION_LIST_LABEL.match(item.text)
    if not children and is_label and index + 1 < len(items):
        children.append(index + 1)
    return children


def analyse(drafts: list[Draft], context: Context, notes: Notes) -> Findings:
    found = Findings()
    for draft in drafts:
        section = draft.heading
        items = draft.items
        if section:
            _collect_dates(
                section, section, context, found, notes, next_meeting=bool(_NEXT_MEETING.search(section))
            )
        decisions_section = bool(section and DECISION_LIST_LABEL.match(section))
        actions_section = bool(section and ACTION_LIST_LABEL.match(section))
        handled: set[int] = set()  # items already read as part of a list introduced above them
        about_next_meeting = bool(section and _NEXT_MEETING.match(section))
        for index, item in enumerate(items):
            for sentence in split_sentences(item.text):
                if section is None and DATE_FIELD.match(sentence):
                    continue  # the meeting's own "Datum:" line, already read as the meeting date
                next_meeting = about_next_meeting or bool(_NEXT_MEETING.search(sentence))
                _collect_dates(sentence, section, context, found, notes, next_meeting=next_meeting)
            if index in handled:
                continue
            if decisions_section:
                found.decisions.append(Decision(text=item.text, section=section))
            elif actions_section:
                add_action(item.text, section, found.actions, notes)
            else:
                handled.update(_read_item(items, index, section, found, notes))
    return found


def _read_item(
    items: list[Item], index: int, section: str | None, found: Findings, notes: Notes
) -> list[int]:
    """Record the decisions and actions in one paragraph or bullet; returns the items it used up."""
    item = items[index]
    introduced = _introduced(items, index)
    children = [items[position] for position in introduced]
    intro = item.text.rstrip(":").strip()

    if children and DECISION_LIST_LABEL.match(item.text):
        found.decisions.extend(Decision(text=child.text, section=section) for child in children)
        return introduced
    if children and ACTION_LIST_LABEL.match(item.text):
        for child in children:
            add_action(child.text, section, found.actions, notes)
        return introduced
    if children and RESPONSIBLE_LIST.match(item.text):
        # "Ansvariga för respektive presentation (preliminärt):" over "• Sip (Åke och Lina)".
        for child in children:
            owner, _, text = owner_in(child.text)
            unnamed = re.search(r"\((?P<who>[^()]*)\)\s*$", child.text)
            if owner is None and unnamed:
                text = child.text[: unnamed.start()].strip()
            found.actions.append(ActionItem(text=f"{intro}: {text}", owner=owner, section=section))
            if owner is None:
                warn_no_owner(f"{intro}: {child.text}", section, None, notes)
        return introduced

    sentences = split_sentences(item.text)
    for position, sentence in enumerate(sentences):
        last = position == len(sentences) - 1
        with_list = sentence + (
            " " + "; ".join(child.text for child in children) if last and children else ""
        )
        read_decision(sentence, with_list, section, found.decisions, notes)

    # An action written with a label or a named owner spans the whole item, not one sentence.
    action_label = ACTION_LABEL.match(item.text)
    if action_label:
        add_action(action_label["rest"], section, found.actions, notes)
    elif RESPONSIBLE.search(item.text):
        add_action(item.text, section, found.actions, notes)
    else:
        for sentence in sentences:
            promise = read_promise(sentence)
            if promise is not None:
                owner, hint = promise
                found.actions.append(ActionItem(text=sentence, owner=owner, section=section))
                if owner is None:
                    warn_no_owner(sentence, section, hint, notes)
    return []


def _collect_dates(
    sentence: str,
    section: str | None,
    context: Context,
    found: Findings,
    notes: Notes,
    *,
    next_meeting: bool,
) -> None:
    for hit in date_hits(sentence):
        days: tuple[int | None, ...] = hit.days or (None,)
        for day in days:
            date = _resolve(hit, day, context, found, notes)
            found.dates.append(
                MentionedDate(phrase=hit.phrase, sentence=sentence, date=date, section=section)
            )
            if next_meeting and day is not None and not found.next_meeting_found:
                found.next_meeting, found.next_meeting_found = date, True


def _resolve(
    hit: DateHit, day: int | None, context: Context, found: Findings, notes: Notes
) -> dt.date | None:
    if day is None or hit.month is None:
        return None
    if hit.year is not None:
        year = hit.year
    elif context.base_year is None:
        found.unresolved_dates += 1
        return None
    else:
        year = context.base_year - hit.years_back
    shifted = False
    if hit.year is None and not hit.years_back and context.meeting_date is not None:
        # Minutes from December speak of "15 januari" next year: take the nearest such day.
        try:
            distance = (dt.date(year, hit.month, day) - context.meeting_date).days
        except ValueError:
            distance = 0
        if distance > 183:
            year, shifted = year - 1, True
        elif distance < -183:
            year, shifted = year + 1, True
    try:
        date = dt.date(year, hit.month, day)
    except ValueError:
        notes.add(f'"{hit.phrase}" is not a real date; left it empty.')
        return None
    if shifted:
        notes.add(
            f'Read "{hit.phrase}" as {date.isoformat()}, the nearest such day to the meeting; check the year.'
        )
    if hit.weekday is not None and len(hit.days) == 1 and date.weekday() != hit.weekday:
        notes.add(f'"{hit.phrase}" names the wrong weekday for {date.isoformat()}; check the date.')
    return date
