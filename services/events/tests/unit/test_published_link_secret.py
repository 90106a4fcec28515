"""Outside development, the events service refuses its development link secret, published in the source.

The development-only marker the value carries is switched off here, so what is tested is the
service's own list (`Settings.published_secrets`), which still holds when the value loses its marker."""

from __future__ import annotations

import pytest

from events.settings import DEVELOPMENT_LINK_SECRET, Settings

LINK = "a production link secret of 32 characters or more"


@pytest.fixture(autouse=True)
def _no_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backbone.settings.DEVELOPMENT_MARKER", "\x00 no value holds this \x00")


def _production(identity_keys, link_secret: str) -> Settings:
    return Settings(
        environment="production", identity_public_key=str(identity_keys.public), link_secret=link_secret
    )


def test_production_takes_a_link_secret_of_its_own(identity_keys):
    assert _production(identity_keys, LINK).link_key == LINK


@pytest.mark.parametrize("value", [DEVELOPMENT_LINK_SECRET, f"{DEVELOPMENT_LINK_SECRET}-and-more"])
def test_production_refuses_the_published_development_link_secret(identity_keys, value):
    with pytest.raises(ValueError, match="EVENTS_LINK_SECRET is the development default") as refused:
        _production(identity_keys, value)
    assert DEVELOPMENT_LINK_SECRET not in str(refused.value)
