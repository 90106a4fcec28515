"""Decisions: which sentences record one, and which only sound like one."""

from __future__ import annotations

import re

from meetings.importer.notes import Notes
from meetings.importer.result import Decision

_DECISION_LABEL = re.compile(r"^(?:beslut|beslutades|beslutat)\s*:\s*(?P<rest>\S.*)$", re.IGNORECASE)
_DECISION_VERB = re.compile(
    r"\b(?:beslutar|beslutade|beslöt|beslutades|beslutats|beslutas|bestämde|bestämdes|bestämmer|bestämt|"
    r"bestämts|enades|enas|eniga?\s+om|kom\s+överens|kommer\s+överens|är\s+överens|var\s+överens|"
    r"fattade\s+(?:ett\s+)?beslut|fattades\s+(?:ett\s+)?beslut|beslut\s+fattades|beslutet\s+(?:blev|är))\b",
    re.IGNORECASE,
)
# "Inget beslut", "inte överens": a negation before a decision word in the same clause. Written as
# two searches, because one expression with a lazy gap between them rescans the rest of the
# sentence after every "inte".
_NEGATION = re.compile(r"\b(?:inget|inga|inte|ej)\b", re.IGNORECASE)
_DECISION_WORD = re.compile(r"\b(?:beslut\w*|bestäm\w*|överens|enade?s?)\b", re.IGNORECASE)
_NOT_YET_DECIDED = re.compile(
    r"\b(?:ska|skall|kommer\s+att|måste|behöver|bör|kan|vill)\s+(?:\w+\s+)?"
    r"(?:besluta|beslutas|bestämma|bestämmas|fatta\s+beslut|enas|komma\s+överens)\b",
    re.IGNORECASE,
)


def _not_decided(sentence: str) -> bool:
    for clause in sentence.split("."):
        negation = _NEGATION.search(clause)
        if negation and _DECISION_WORD.search(clause, negation.end()):
            return True
    return _NOT_YET_DECIDED.search(sentence) is not None


_SOFT_DECISION = re.compile(
    r"\b(?:kom|kommer|kommit)(?:\s+\w+){0,2}\s+fram\s+till\b|\b(?:landade|landar|landat)(?:\s+\w+){0,3}\s+i\b",
    re.IGNORECASE,
)
DECISION_LIST_LABEL = re.compile(r"^(?:beslut|beslutspunkter|beslutades)\s*:?$", re.IGNORECASE)


def read_decision(
    sentence: str, with_list: str, section: str | None, decisions: list[Decision], notes: Notes
) -> None:
    if sentence.endswith("?"):
        return
    label = _DECISION_LABEL.match(sentence)
    if label:
        decisions.append(Decision(text=label["rest"] + with_list[len(sentence) :], section=section))
    elif _DECISION_VERB.search(sentence) and not _not_decided(sentence):
        decisions.append(Decision(text=with_list, section=section))
    elif _SOFT_DECISION.search(sentence):
        where = f' (section "{section}")' if section else ""
        notes.add(
            f'"{with_list}"{where} sounds like a conclusion but does not say it was decided; '
            "not recorded as a decision."
        )
