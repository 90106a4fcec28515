"""What the volunteers forms make of what people type: keys from names, lists from commas."""

from __future__ import annotations

from gateway.pages.volunteers_forms import key_of, listed


def test_a_key_is_made_from_a_swedish_name() -> None:
    assert key_of("Läs- och skrivstöd") == "las-och-skrivstod"
    assert key_of("  Utdrag ur belastningsregistret!  ") == "utdrag-ur-belastningsregistret"
    assert key_of("Ö") == "o"  # too short for a key: the service says so, the page does not guess
    assert len(key_of("lång " * 40)) <= 63 and not key_of("lång " * 40).endswith("-")


def test_lists_are_read_from_commas_semicolons_or_lines() -> None:
    assert listed("sv, ar;so\nfa-AF, ") == ["sv", "ar", "so", "fa-AF"]
    assert listed("  ") == []
