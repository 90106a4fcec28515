"""The signed links in every email: to one's preferences, and to unsubscribe from one category."""

from datetime import UTC, datetime, timedelta

import pytest

from notify.links import InvalidLink, Link, Signer, preferences_url, unsubscribe_url
from notify.settings import Settings

SECRET = "a test secret that is long enough for links"


def test_a_preferences_link_names_the_address_it_was_sent_to_in_lower_case():
    signer = Signer(SECRET)
    token = signer.sign(Link(address="Leif@Example.SE", action="preferences"))
    assert signer.read(token, expected="preferences") == Link(address="leif@example.se", action="preferences")


def test_an_unsubscribe_link_names_its_category_and_is_no_preferences_link():
    signer = Signer(SECRET)
    token = signer.sign(Link(address="a@example.se", action="unsubscribe", category="minutes"))
    assert signer.read(token, expected="unsubscribe").category == "minutes"
    with pytest.raises(InvalidLink):
        signer.read(token, expected="preferences")


def test_a_link_signed_with_another_secret_or_cut_short_is_refused_in_plain_words():
    token = Signer("another secret, just as long as the first").sign(Link("a@example.se", "preferences"))
    with pytest.raises(InvalidLink, match="Länken är trasig"):
        Signer(SECRET).read(token, expected="preferences")
    good = Signer(SECRET).sign(Link("a@example.se", "preferences"))
    with pytest.raises(InvalidLink):
        Signer(SECRET).read(good[:-3], expected="preferences")


def test_a_link_lasts_a_year_and_then_says_it_is_too_old():
    signer = Signer(SECRET)
    sent = datetime(2026, 1, 5, tzinfo=UTC)
    token = signer.sign(Link("a@example.se", "preferences"), now=sent)
    assert signer.read(token, expected="preferences", now=sent + timedelta(days=364))
    with pytest.raises(InvalidLink, match="för gammal"):
        signer.read(token, expected="preferences", now=sent + timedelta(days=366))


def test_the_links_lead_to_the_gateways_public_pages():
    settings = Settings(environment="test", public_url="https://delaktig.example.se/")
    assert preferences_url(settings, "a@example.se").startswith(
        "https://delaktig.example.se/installningar/e-post?token="
    )
    signer = Signer(settings.link_key)
    link = unsubscribe_url(signer, settings.public_url, "a@example.se", "minutes")
    assert link.startswith("https://delaktig.example.se/installningar/e-post/avregistrera?token=")


def test_production_refuses_to_start_without_a_link_secret_or_with_a_short_one(identity_keys):
    key = str(identity_keys.public)
    with pytest.raises(ValueError, match="NOTIFY_LINK_SECRET is not set"):
        Settings(environment="production", identity_public_key=key)
    with pytest.raises(ValueError, match="NOTIFY_LINK_SECRET is too short"):
        Settings(environment="production", identity_public_key=key, link_secret="short")
    # Production needs the webhook sealing keys too (notify.webhooks.sealing).
    keys = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    made = Settings(
        environment="production", identity_public_key=key, link_secret=SECRET, webhooks_secret_keys=keys,
        bounce_token="t" * 32,
    )
    assert made.link_key == SECRET
