"""Every template exists in Swedish and English, as a subject, plain text and HTML, renders with
its sample data, and its Swedish text is easy to read (LIX 40 or lower)."""

from __future__ import annotations

import pytest

from backbone.readability import lix, lix_counts
from notify.rendering import LANGUAGES, TEMPLATES, TEMPLATES_DIR, render
from notify.samples import SAMPLES, sample_context
from notify.settings import Settings

ZONE = Settings(environment="test").timezone  # the configured zone; no zone is written here
PARTS = ("subject.txt", "txt", "html")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_has_a_subject_a_plain_text_and_an_html_part(template, language):
    for part in PARTS:
        assert (TEMPLATES_DIR / language / f"{template}.{part}").is_file(), f"{language}/{template}.{part}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_template_file_is_left_out_of_the_list(language):
    names = {p.name.split(".")[0] for p in (TEMPLATES_DIR / language).iterdir() if not p.name.startswith("_")}
    assert names == set(TEMPLATES)


def test_every_template_has_sample_data():
    assert set(SAMPLES) == set(TEMPLATES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_in_both_languages(template, language):
    email = render(template, sample_context(template), timezone=ZONE, language=language)
    assert email.subject and "\n" not in email.subject
    assert email.text.startswith("Hej" if language == "sv" else "Hello")
    assert f'<html lang="{language}">' in email.html
    assert "<title>" in email.html and "</main>" in email.html
    assert "{{" not in email.text + email.html  # nothing left unrendered


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_swedish_text_is_easy_to_read(template):
    email = render(template, sample_context(template), timezone=ZONE, language="sv")
    body = email.subject + ".\n\n" + email.text
    counts = lix_counts(body)
    assert lix(body) <= 40, f"{template}: LIX {counts.score:.0f} ({counts})"


def test_swedish_dates_say_the_day_and_write_the_time_with_a_dot():
    email = render("registration_confirmed", sample_context("registration_confirmed"), timezone=ZONE)
    assert "När: måndag 13 mars 2017 kl. 13.30–15.00" in email.text


def test_english_dates_are_written_the_english_way():
    email = render(
        "registration_confirmed", sample_context("registration_confirmed"), timezone=ZONE, language="en"
    )
    assert "When: Monday 13 March 2017 at 13:30–15:00" in email.text


def test_an_event_that_ends_on_another_day_says_both_dates():
    context = sample_context("event_reminder")
    context["ends_at"] = context["starts_at"].replace(day=14)
    email = render("event_reminder", context, timezone=ZONE)
    assert "När: måndag 13 mars 2017 kl. 13.30 – tisdag 14 mars 2017 kl. 13.30" in email.text


def test_an_unknown_language_is_swedish():
    email = render("offer_made", sample_context("offer_made"), timezone=ZONE, language="de")
    assert email.subject.startswith("Vill du ha en plats?")


def test_the_preferences_link_is_in_the_footer_when_given():
    context = {
        **sample_context("event_reminder"),
        "preferences_url": "https://x.example/installningar?token=t",
    }
    email = render("event_reminder", context, timezone=ZONE)
    assert "Välj vilka mejl du får: https://x.example/installningar?token=t" in email.text
    assert 'href="https://x.example/installningar?token=t"' in email.html


# The other branches of each template, so each text a person can get is scored (the samples take one).
BRANCHES: list[tuple[str, dict[str, object]]] = [
    ("registration_waiting", {}),
    ("event_changed", {"status": "waiting"}),
    ("event_changed", {"status": "offered", "cancel_url": None}),
    ("event_changed", {"changes": ["moved"], "place": None}),
    ("event_changed", {"changes": ["audience"], "audience": "groups"}),
    ("event_cancelled", {"reason": None}),
    ("event_cancelled", {"status": "waiting"}),
    ("event_cancelled", {"status": "offered", "reason": None}),
    ("event_reminder", {"place": None, "cancel_url": None}),
    ("meeting_cancelled", {"reason": None}),
    ("meeting_scheduled", {"group_name": "Styrelsen", "place": None}),
    ("minutes_published", {"correction_note": "Ett beslut stod fel.", "decision_count": 0}),
    ("action_item_assigned", {"due_date": None}),
    ("offer_accepted", {"place": None, "cancel_url": None}),
    ("volunteer_request_filled", {"place": ""}),
    ("volunteer_review_returned", {"suggested_lix": None, "lix_change": None}),
    ("volunteer_review_returned", {"suggested_lix": 60.0, "lix_change": 7.6}),
]


@pytest.mark.parametrize(("template", "branch"), BRANCHES, ids=lambda v: str(v))
def test_every_branch_of_a_swedish_text_is_easy_to_read(template, branch):
    email = render(template, sample_context(template) | branch, timezone=ZONE, language="sv")
    body = email.subject + ".\n\n" + email.text
    counts = lix_counts(body)
    assert lix(body) <= 40, f"{template} {branch}: LIX {counts.score:.0f} ({counts})"
    assert "{{" not in email.text
