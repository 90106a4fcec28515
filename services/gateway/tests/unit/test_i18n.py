"""Every message the gateway shows has an English translation, with the same placeholders."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from babel.messages.pofile import read_po

from gateway import i18n

CATALOGUE_SCRIPT = Path(__file__).resolve().parents[2] / "catalogue.py"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue_module():  # the maintenance script that extracts message ids
    spec = importlib.util.spec_from_file_location("gateway_catalogue", CATALOGUE_SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_in_code_and_templates_has_an_english_translation() -> None:
    with i18n.po_path("en").open("rb") as f:
        translated = {m.id: m.string for m in read_po(f) if m.id and m.string}
    missing = [m for m in _catalogue_module().extracted_ids() if m not in translated]
    assert not missing, "Run `python services/gateway/catalogue.py` and translate: " + "; ".join(missing)


def test_translations_keep_the_placeholders() -> None:
    with i18n.po_path("en").open("rb") as f:
        for message in read_po(f):
            if message.id:
                assert set(PLACEHOLDER.findall(str(message.id))) == set(
                    PLACEHOLDER.findall(str(message.string))
                ), message.id


def test_swedish_is_the_default_and_english_is_a_switch() -> None:
    assert i18n.choose(None) == "sv"
    assert i18n.choose("xx") == "sv"
    i18n.set_locale("en")
    try:
        assert i18n.gettext("Logga in") == "Sign in"
    finally:
        i18n.set_locale("sv")
    assert i18n.gettext("Logga in") == "Logga in"
