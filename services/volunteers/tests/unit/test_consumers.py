"""An ask for helpers from the bus is held to the same bounds as one through the API (finding 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from volunteers.consumers import HelpersRequested

STARTS = datetime(2027, 3, 1, 13, tzinfo=UTC)
ASK = {
    "request_id": "ask-1",
    "pool_key": "digital-instruktorer",
    "seats": 2,
    "starts_at": STARTS.isoformat(),
    "ends_at": (STARTS + timedelta(hours=2)).isoformat(),
    "place": "Kronan",
    "needs": "Hjälp med bank-id",
    "requested_by": "events",
}


def test_a_sound_ask_is_read() -> None:
    assert HelpersRequested.model_validate(ASK).seats == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"seats": 0},
        {"seats": 201},
        {"place": "x" * 201},
        {"needs": "x" * 5_001},
        {"pool_key": "X" * 300},
        {"request_id": "x" * 201},
        {"requested_by": "x" * 201},
    ],
)
def test_an_ask_out_of_bounds_is_unreadable(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HelpersRequested.model_validate(ASK | bad)
