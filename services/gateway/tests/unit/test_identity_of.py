"""What the gateway tells a service about the signed-in person: besides who they are and may do,
their work address and the language they read the pages in, for messages sent to them later."""

from __future__ import annotations

import uuid

from gateway import i18n
from gateway.sessions import SignedIn
from gateway.upstream import identity_of


def test_the_identity_carries_the_work_address_and_the_language_of_the_page():
    user = SignedIn(
        user_id=uuid.uuid4(),
        email="sara@kommun.example.se",
        name="Sara Personal",
        roles=("staff",),
        organisation_id=None,
        pool_ids=(),
        csrf_token="x",
        token_hash=b"x",
    )
    i18n.set_locale("en")
    try:
        identity = identity_of(user)
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)
    assert (identity.email, identity.language, identity.name) == (
        "sara@kommun.example.se",
        "en",
        "Sara Personal",
    )
