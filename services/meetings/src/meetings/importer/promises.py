"""Action items: promises in the text ("Martina tar kontakt med ...") and who made them."""

from __future__ import annotations

import re

from meetings.importer.notes import Notes
from meetings.importer.people import UPPER
from meetings.importer.result import ActionItem

ACTION_LIST_LABEL = re.compile(
    r"^(?:åtgärder|åtgärdslista|att\s+göra|uppdrag|att\s+göra-lista)\s*:?$", re.IGNORECASE
)
ACTION_LABEL = re.compile(r"^(?:åtgärd|att\s+göra|uppdrag|action)\s*:\s*(?P<rest>\S.*)$", re.IGNORECASE)
RESPONSIBLE_LIST = re.compile(r"^ansvarig(?:a)?\b.*:$", re.IGNORECASE)
RESPONSIBLE = re.compile(
    r"[(,;–-]?\s*\bansvarig(?:a)?\s*:\s*(?P<owner>[^.;()]+?)\s*\)?\s*(?=[.;]|$)", re.IGNORECASE
)

_FINITE_PROMISES = (
    r"lovar\s+att", r"lovade\s+att", r"har\s+lovat\s+att", r"åtar\s+sig", r"åtog\s+sig",
    r"har\s+åtagit\s+sig", r"tar\s+på\s+sig\s+att", r"tog\s+på\s+sig\s+att", r"ansvarar\s+för",
    r"har\s+(?:huvud)?ansvar(?:et)?\s+för",
    r"får\s+i\s+uppdrag", r"fick\s+i\s+uppdrag", r"har\s+fått\s+i\s+uppdrag", r"ges\s+i\s+uppdrag",
    r"gavs\s+i\s+uppdrag", r"tar\s+kontakt\s+med", r"kontaktar", r"tar\s+reda\s+på", r"kollar\s+upp",
    r"kollar\s+med", r"undersöker", r"utreder", r"återkommer", r"skickar", r"mejlar", r"bjuder\s+in",
    r"kallar\s+till", r"bokar", r"ordnar", r"tar\s+fram", r"sammanställer", r"förmedlar", r"tar\s+med\s+sig",
    r"ser\s+till\s+att", r"tar\s+tag\s+i", r"förbereder",
)  # fmt: skip
_INFINITIVE_PROMISES = (
    r"kontakta", r"ta\s+kontakt\s+med", r"ta\s+reda\s+på", r"kolla\s+upp", r"kolla\s+med", r"undersöka",
    r"utreda", r"återkomma", r"skicka", r"mejla", r"bjuda\s+in", r"kalla\s+till", r"boka", r"ordna",
    r"ta\s+fram", r"sammanställa", r"förmedla", r"ta\s+med\s+sig", r"se\s+till\s+att", r"ta\s+tag\s+i",
    r"förbereda", r"ansvara\s+för",
)  # fmt: skip
_PROMISE = re.compile(
    rf"\b(?:(?:ska|skall|kommer\s+att)\s+(?:{'|'.join(_INFINITIVE_PROMISES)})|{'|'.join(_FINITE_PROMISES)})(?!\w)",
    re.IGNORECASE,
)
_NAME_PHRASE = rf"[{UPPER}][\w'’\-]*\.?(?:\s+[{UPPER}][\w'’\-]*\.?){{0,2}}"
# A word between names stands alone, with spaces on both sides: were the spaces optional,
# "AochAoch…" could be cut at every "och" or not, 2**n ways, and a failing match tries them all.
_AND = r"(?:\s*,\s*|\s+(?:och|samt)\s+|\s*&\s*)"
_NAME_LIST = re.compile(rf"{_NAME_PHRASE}(?:{_AND}{_NAME_PHRASE})*")
_INVERTED_PROMISE = re.compile(
    r"(?<=\S)\s+(?P<verb>tar|lovar|lovade|ansvarar|kollar|återkommer|ser|ska|skall|kommer|åtar|åtog|har)\s+"
    rf"(?P<who>{_NAME_PHRASE}(?:(?:\s*,\s*|\s+och\s+|\s*&\s*){_NAME_PHRASE}){{0,5}})\s+(?P<rest>\S.*)$"
)
# Six names with their separators fit; a longer phrase names nobody, and is not matched at all.
_LONGEST_OWNER = 120
_GROUP_OWNER = re.compile(
    r"(?:(?:varje|respektive|resp\.|alla|båda|samtliga|hela)(?:\s+[^\W\d_][\w\-]*){0,2}|"
    r"[^\W\d_]*(?:gruppen|förvaltningen|nämnden|styrelsen|enheten|teamet|ledningen|samordnaren|sekreteraren|"
    r"ordföranden|föreningen|avdelningen))",
    re.IGNORECASE,
)
_PRONOUNS = {
    "vi", "jag", "du", "ni", "han", "hon", "hen", "de", "dom", "man", "den", "det", "detta", "någon", "ingen",
}  # fmt: skip
_NOT_OWNERS = {
    "frågan", "frågorna", "ärendet", "ärendena", "punkten", "saken", "temat", "ämnet", "diskussionen",
    "beslutet", "förslaget", "mötet", "dokumentet", "rapporten", "inbjudan", "programmet", "protokollet",
    "resultatet", "texten", "materialet", "kallelsen", "dagordningen", "detta", "sedan", "därefter", "då",
}  # fmt: skip
_CONJUNCTIONS = re.compile(r"\s+(?:och|men|så|samt|att|om|när|då|eftersom|medan|sedan)\s+", re.IGNORECASE)


def _as_owner(phrase: str, *, strict: bool = True) -> str | None:
    """The phrase as an owner if it names people or a group; `strict` where a sentence starts with it."""
    phrase = phrase.strip(" ,;:–-")
    if not phrase or len(phrase) > _LONGEST_OWNER or len(phrase.split()) > 6:
        return None
    if _NAME_LIST.fullmatch(phrase):
        parts = [part for part in re.split(r"\s*(?:,|\boch\b|&|\bsamt\b)\s*", phrase) if part]
        if any(part.casefold() in _PRONOUNS for part in parts):
            return None
        # At the start of a sentence every word has a capital: "Frågan återkommer" names nobody.
        if strict and len(parts) == 1 and phrase.casefold() in _NOT_OWNERS:
            return None
        return phrase
    if _GROUP_OWNER.fullmatch(phrase):
        return phrase
    return None


def _pronoun_subject(phrase: str) -> str | None:
    words = phrase.strip(" ,;:–-").split()
    return " ".join(words) if words and len(words) <= 3 and words[0].casefold() in _PRONOUNS else None


def _last_clause(text: str) -> str:
    return re.split(r"[,;:()–]|\s-\s", text)[-1].strip()


def _subject_owner(before: str) -> tuple[str | None, str | None]:
    """The owner named just before the verb, or (None, the word used instead when it is telling)."""
    clause = _last_clause(before)
    if not clause:
        return None, None
    owner = _as_owner(clause)
    if owner:
        return owner, None
    tail = _CONJUNCTIONS.split(f" {clause} ")[-1].strip()
    if tail and tail != clause:
        owner = _as_owner(tail)
        if owner:
            return owner, None
        clause = tail
    return None, _pronoun_subject(clause) or (clause if len(clause.split()) == 1 else None)


def read_promise(sentence: str) -> tuple[str | None, str | None] | None:
    """(owner, hint) when the sentence promises something, else None."""
    if sentence.rstrip().endswith("?"):
        return None
    inverted = _INVERTED_PROMISE.search(sentence)
    if inverted and _PROMISE.match(f"{inverted['verb']} {inverted['rest']}"):
        # "Till nästa möte tar Martina kontakt med ...": an adverbial first, then verb, then owner.
        before = _last_clause(sentence[: inverted.start()])
        first_word = before.split()[0].casefold() if before else ""
        if before and first_word not in _PRONOUNS and _as_owner(before) is None:
            owner = _as_owner(inverted["who"], strict=False)
            if owner:
                return owner, None
    for match in _PROMISE.finditer(sentence):
        before = sentence[: match.start()]
        if re.search(r"\bsom\s*$", before, re.IGNORECASE):
            continue  # "den som ansvarar för ..." describes someone, it promises nothing
        return _subject_owner(before)
    return None


def owner_in(text: str) -> tuple[str | None, str | None, str]:
    """Owner of an action written as a list item or after "Åtgärd:"; returns owner, hint and the text."""
    responsible = RESPONSIBLE.search(text)
    if responsible:
        cleaned = (text[: responsible.start()] + text[responsible.end() :]).strip(" ,;–-")
        cleaned = re.sub(r"\s+([.,;])", r"\1", cleaned)
        return responsible["owner"].strip(), None, cleaned or text
    bracketed = re.search(r"\((?P<who>[^()]*)\)\s*\.?$", text)
    if bracketed and _as_owner(bracketed["who"], strict=False):
        return bracketed["who"].strip(), None, text[: bracketed.start()].strip()
    dashed = re.search(r"\s[-–—]\s*(?P<who>[^-–—]+?)\s*\.?$", text)
    if dashed and _as_owner(dashed["who"], strict=False):
        return dashed["who"].strip(), None, text[: dashed.start()].strip()
    leading = re.match(r"^(?P<who>[^:]{1,40}):\s+(?P<rest>\S.*)$", text)
    if leading and _as_owner(leading["who"]):
        return leading["who"].strip(), None, leading["rest"]
    found = read_promise(text)
    if found:
        return found[0], found[1], text
    return None, None, text


def add_action(text: str, section: str | None, actions: list[ActionItem], notes: Notes) -> None:
    owner, hint, cleaned = owner_in(text)
    actions.append(ActionItem(text=cleaned, owner=owner, section=section))
    if owner is None:
        warn_no_owner(text, section, hint, notes)


def warn_no_owner(text: str, section: str | None, hint: str | None, notes: Notes) -> None:
    where = f' (section "{section}")' if section else ""
    said = f'; it only says "{hint}"' if hint else ""
    notes.add(f'No owner found for the action "{text}"{where}{said}. Set the owner by hand.')
