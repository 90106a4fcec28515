"""Swedish by default, English by a switch: message ids are the Swedish text, `locales/en` translates them.

The English catalogue is compiled from its .po file when the gateway starts, so there is no
compiled file to forget to update.
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LOCALE = "sv"
LOCALES = ("sv", "en")
# The names of the languages, each in its own language, as the switch shows them.
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English"}
COOKIE = "delaktig_lang"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return _gettext.NullTranslations()
    with po_path(locale).open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def choose(cookie_value: str | None) -> str:
    return cookie_value if cookie_value in LOCALES else DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current.set(locale)


def current_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - the usual name for "mark for translation, translate later"
    """Marks a message id for extraction where it is defined; translate it with `_` where it is shown."""
    return message
