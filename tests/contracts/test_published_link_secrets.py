"""Outside development, events and volunteers refuse their development link secrets, published in the source.

The development-only marker the values carry is switched off here, so what is tested is each
service's own list (`Settings.published_secrets`), which still holds when a value loses its marker."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

LINK = "a production link secret of 32 characters or more"
SERVICES = ["events", "volunteers"]


@pytest.fixture(autouse=True)
def _no_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backbone.settings.DEVELOPMENT_MARKER", "\x00 no value holds this \x00")


def _settings_of(service: str) -> ModuleType:
    return importlib.import_module(f"{service}.settings")


def _production(settings: ModuleType, identity_keys, link_secret: str):
    return settings.Settings(
        environment="production", identity_public_key=str(identity_keys.public), link_secret=link_secret
    )


@pytest.mark.parametrize("service", SERVICES)
def test_production_takes_a_link_secret_of_its_own(service, identity_keys):
    assert _production(_settings_of(service), identity_keys, LINK).link_key == LINK


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("suffix", ["", "-and-more"])
def test_production_refuses_the_published_development_link_secret(service, suffix, identity_keys):
    settings = _settings_of(service)
    published = settings.DEVELOPMENT_LINK_SECRET
    refusal = f"{service.upper()}_LINK_SECRET is the development default"
    with pytest.raises(ValueError, match=refusal) as refused:
        _production(settings, identity_keys, published + suffix)
    assert published not in str(refused.value)
