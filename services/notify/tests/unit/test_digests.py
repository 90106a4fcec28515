"""When a digest is due, and how it groups what it carries."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from notify.digests import grouped, latest_slot, render_digest

ZONE = ZoneInfo("Europe/Stockholm")  # a test fixture: the wall clock of the slots below


def test_a_daily_digest_is_due_at_the_chosen_hour_on_the_local_clock():
    before = datetime(2027, 3, 10, 6, 59, tzinfo=UTC)  # 07.59 in Stockholm (winter, +01)
    after = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)  # 08.00
    assert latest_slot(before, frequency="daily", hour=8, weekday=1, zone=ZONE) == datetime(
        2027, 3, 9, 7, 0, tzinfo=UTC
    )
    assert latest_slot(after, frequency="daily", hour=8, weekday=1, zone=ZONE) == after


def test_a_daily_digest_keeps_its_hour_across_the_change_to_summer_time():
    sunday_noon = datetime(2027, 3, 28, 10, 0, tzinfo=UTC)  # summer time began at 02.00 that night
    assert latest_slot(sunday_noon, frequency="daily", hour=8, weekday=1, zone=ZONE) == datetime(
        2027, 3, 28, 6, 0, tzinfo=UTC
    )


def test_a_weekly_digest_is_due_on_the_chosen_weekday():
    wednesday = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    slot = latest_slot(wednesday, frequency="weekly", hour=8, weekday=1, zone=ZONE)
    assert slot == datetime(2027, 3, 8, 7, 0, tzinfo=UTC)  # Monday 08.00
    monday_early = datetime(2027, 3, 8, 6, 0, tzinfo=UTC)  # 07.00, before the hour
    assert latest_slot(monday_early, frequency="weekly", hour=8, weekday=1, zone=ZONE) == datetime(
        2027, 3, 1, 7, 0, tzinfo=UTC
    )


def _item(category: str, subject: str) -> dict:
    return {"category": category, "subject": subject, "body_text": f"Om {subject}.\n\nMer text."}


def test_items_are_grouped_by_kind_in_the_order_of_the_preferences_page():
    groups = grouped([_item("reminders", "R1"), _item("minutes", "P1"), _item("reminders", "R2")])
    assert [(g.label, [i["subject"] for i in g.items]) for g in groups] == [
        ("Protokoll från möten", ["P1"]),
        ("Påminnelser om evenemang", ["R1", "R2"]),
    ]


def test_a_digest_has_a_text_and_an_html_part_with_every_item_and_the_preferences_link():
    rendered = render_digest(
        [_item("minutes", "Protokoll <styrelsen>"), _item("reminders", "Fest i morgon")],
        frequency="daily",
        language="sv",
        preferences_link="https://x.example/installningar/e-post?token=t",
    )
    assert rendered.subject == "Dina meddelanden från Delaktig i dag"
    for part in (rendered.text, rendered.html):
        assert "Protokoll från möten" in part and "Fest i morgon" in part
        assert "https://x.example/installningar/e-post?token=t" in part
    assert "Protokoll &lt;styrelsen&gt;" in rendered.html


def test_links_in_a_digest_are_links_in_its_html():
    rendered = render_digest(
        [
            {
                "category": "minutes",
                "subject": "Protokoll",
                "body_text": "Läs protokollet: https://delaktig.example.se/moten/1 <b>",
                "language": "sv",
            }
        ],
        frequency="daily",
        language="sv",
        preferences_link="https://delaktig.example.se/installningar/e-post?token=x",
    )
    assert '<a href="https://delaktig.example.se/moten/1"' in rendered.html
    assert "<b>" not in rendered.html
