"""The import review form: what the importer read, shown as lines and read back unchanged."""

from __future__ import annotations

from gateway.pages.imports import items_from_lines, people_from_lines, review_form


def test_the_import_review_form_round_trips_people_and_action_items() -> None:
    form = review_form(
        {
            "title": "Gemensam utvecklingsgrupp",
            "date": None,
            "attendees": [
                {"name": "Bo Pettersson", "organisation": "Ria/G7"},
                {"name": "Catrin", "organisation": None},
            ],
            "action_items": [{"text": "Kolla upp detta", "owner": "Martina"}],
            "decisions": [{"text": "Vi beslutar att"}],
        }
    )
    assert people_from_lines(form["attendees"]) == [
        {"name": "Bo Pettersson", "organisation": "Ria/G7"},
        {"name": "Catrin", "organisation": None},
    ]
    assert items_from_lines(form["action_items"]) == [{"text": "Kolla upp detta", "owner": "Martina"}]
    assert form["decisions"] == "Vi beslutar att"
