"""Contracts across services: every consumed event is published by someone, with the fields it reads."""

import json
from pathlib import Path

import pytest

from backbone.catalogue import catalogue_document
from backbone.consumer import Subscription
from backbone.contracts import load_catalogue

ROOT = Path(__file__).resolve().parents[2]


def all_subscriptions() -> list[tuple[str, Subscription]]:
    from meetings import consumers as meetings_consumers
    from notify.consumers import subscriptions as notify_subscriptions
    from notify.settings import Settings as NotifySettings

    return [("meetings", s) for s in meetings_consumers.SUBSCRIPTIONS] + [
        ("notify", s) for s in notify_subscriptions(NotifySettings())
    ]


@pytest.mark.parametrize(("consumer", "sub"), all_subscriptions(), ids=lambda v: getattr(v, "subject", v))
def test_every_consumed_event_is_in_the_catalogue_with_the_fields_the_consumer_needs(consumer, sub):
    catalogue = load_catalogue()
    assert sub.subject in catalogue, f"{consumer} consumes {sub.subject}, which nobody declares"
    publisher = catalogue[sub.subject].schema
    published = set(publisher.get("properties", {}))
    required_by_publisher = set(publisher.get("required", []))
    for name, field in sub.model.model_fields.items():
        assert name in published, f"{consumer} reads {sub.subject}.{name}, which the publisher does not send"
        if field.is_required():
            assert name in required_by_publisher, (
                f"{consumer} needs {sub.subject}.{name}, which the publisher may leave out"
            )


def test_only_the_owner_publishes_under_its_prefix():
    for subject, et in load_catalogue().items():
        module = et.payload.__module__.split(".")[0]
        assert module == subject.split(".")[0], f"{subject} is declared in {module}, not by its owner"


def test_the_published_catalogue_document_is_current():
    current = json.loads((ROOT / "docs" / "events.json").read_text(encoding="utf-8"))
    assert current == json.loads(json.dumps(catalogue_document())), (
        "docs/events.json is out of date: run `make catalogue` and commit it"
    )
