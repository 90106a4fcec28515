"""LIX, the Swedish readability measure (läsbarhetsindex, Björnsson 1968), for texts people get from us.

    LIX = words / sentences + 100 * long words / words

A long word has more than six letters. Below about 30 a text is very easy, 40 is an ordinary
newspaper, above 50 hard and above 60 very hard. The notify templates and the plain-language
reviews both use it, so it lives here once.

How the text is counted, and why:
- A word is a run of characters between spaces with its surrounding punctuation taken off
  ("e-post" and "t.ex." are one word each). Its length counts letters only (every alphabet, so å,
  ä and ö count), which makes a number a word that is never long: readers take "0701234567" in at
  a glance, and the measure is about long words, not long numbers.
- A web or e-mail address is one word and never long: the writer cannot make it shorter, and
  counting it would punish the text for telling people where to go.
- A sentence ends at ".", "!", "?" or ":" followed by a space or the end (Björnsson counts the
  colon), at a blank line (headings and list items rarely end in a full stop), and at the end of
  the text. A dot inside a word ("13.30", "stockholm.se") ends nothing.
- Common Swedish abbreviations ("t.ex.", "bl.a.", "kl.") do not end a sentence; the few that often
  close one ("osv.", "m.m.", "etc.") do when the next word starts with a capital.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LONG_WORD_LETTERS = 6
"""A word is long when it has more letters than this."""

# Lower-case, without the final dot. Dotted forms are also caught by _DOTTED below.
_ABBREVIATIONS = frozenset(
    {
        "bl.a", "bla", "ca", "d.v.s", "dvs", "etc", "ev", "exkl", "f.d", "fr.o.m", "inkl", "jfr",
        "kl", "m.fl", "m.m", "mfl", "mm", "nr", "o.d", "o.s.v", "obs", "osv", "p.g.a", "pga", "resp",
        "s.k", "sek", "st", "t.ex", "t.o.m", "tel", "tex", "tfn", "tim", "tr", "vard", "äv",
    }
)  # fmt: skip
_CAN_CLOSE = frozenset({"etc", "m.fl", "m.m", "mfl", "mm", "o.d", "o.s.v", "osv"})
# Short dotted forms with a one-letter part ("f.ö", "u.a"); "ab.se" has none and is a domain.
_DOTTED = re.compile(r"^(?=(?:.*\.)?[^\W\d_](?:\.|$))(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}$")
_ADDRESS = re.compile(r"^(?:https?://|www\.)\S+$|^[^@\s]+@[^@\s]+\.[^@\s]+$", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_ENDS = frozenset(".!?:")


@dataclass(frozen=True)
class LixCounts:
    """The numbers behind a LIX score, for showing people why a text scores as it does."""

    words: int
    sentences: int
    long_words: int

    @property
    def score(self) -> float:
        if self.words == 0:
            return 0.0
        return self.words / self.sentences + 100 * self.long_words / self.words


def lix(text: str) -> float:
    """The LIX score of `text`; 0.0 for a text without words."""
    return lix_counts(text).score


def lix_counts(text: str) -> LixCounts:
    """Count words, sentences and long words of `text` the way LIX does (see the module's rules)."""
    words = sentences = long_words = 0
    for paragraph in _PARAGRAPH_BREAK.split(text):
        tokens = paragraph.split()
        in_sentence = 0
        for position, token in enumerate(tokens):
            core, tail = _split_token(token)
            if core:
                words += 1
                in_sentence += 1
                if not _ADDRESS.match(core) and sum(ch.isalpha() for ch in core) > LONG_WORD_LETTERS:
                    long_words += 1
            if in_sentence and _ends_sentence(core, tail, tokens[position + 1 :]):
                sentences += 1
                in_sentence = 0
        if in_sentence:
            sentences += 1
    return LixCounts(words=words, sentences=sentences, long_words=long_words)


def _split_token(token: str) -> tuple[str, str]:
    """The word inside a token, and the punctuation after it ("t.ex." gives ("t.ex", "."))."""
    start, end = 0, len(token)
    while start < end and not token[start].isalnum():
        start += 1
    while end > start and not token[end - 1].isalnum() and token[end - 1] != "/":
        end -= 1
    if start == end:
        return "", token
    return token[start:end], token[end:]


def _ends_sentence(core: str, tail: str, rest: list[str]) -> bool:
    marks = {ch for ch in tail if ch in _ENDS}
    if not marks:
        return False
    if marks != {"."} or not core:
        return True
    name = core.lower()
    if name not in _ABBREVIATIONS and not _DOTTED.match(core):
        return True
    # An abbreviation's dot: the last word of the paragraph closes, and so does one of the usual
    # list-closers before a capital ("te osv. Välkommen").
    if not rest:
        return True
    following, _ = _split_token(rest[0])
    return name in _CAN_CLOSE and following[:1].isupper()
