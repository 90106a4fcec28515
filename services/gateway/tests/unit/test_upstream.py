"""Calls to the services: minted identities kept for a while, and calls made side by side."""

from __future__ import annotations

import asyncio

import pytest
from joserfc.jwk import OKPKey

from backbone.identity import Identity, load_signing_key, load_verifying_key, verify, write_keypair
from backbone.testing import run_async
from gateway import upstream
from gateway.upstream import MintedIdentities, ServiceUnavailable, side_by_side


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[OKPKey, OKPKey]:
    files = write_keypair(tmp_path_factory.mktemp("identity"))
    return load_signing_key(str(files.signing)), load_verifying_key(str(files.public))


STAFF = Identity(subject="u-1", roles=("staff",), name="Ada")


def test_the_same_identity_for_the_same_service_reuses_its_token(keys: tuple[OKPKey, OKPKey]) -> None:
    signing, public = keys
    minted = MintedIdentities()
    first = minted.token(STAFF, key=signing, audience="meetings")
    assert minted.token(STAFF, key=signing, audience="meetings") == first
    assert verify(first, key=public, audience="meetings") == STAFF


def test_a_changed_role_gets_a_token_with_the_new_role_at_once(keys: tuple[OKPKey, OKPKey]) -> None:
    signing, public = keys
    minted = MintedIdentities()
    minted.token(STAFF, key=signing, audience="meetings")
    demoted = Identity(subject="u-1", roles=("org_representative",), organisation_id="bryggan", name="Ada")
    token = minted.token(demoted, key=signing, audience="meetings")
    seen = verify(token, key=public, audience="meetings")
    assert seen.roles == ("org_representative",)
    assert seen.organisation_id == "bryggan"


def test_each_service_gets_a_token_for_itself(keys: tuple[OKPKey, OKPKey]) -> None:
    signing, public = keys
    minted = MintedIdentities()
    minted.token(STAFF, key=signing, audience="meetings")
    token = minted.token(STAFF, key=signing, audience="events")
    assert verify(token, key=public, audience="events") == STAFF


def test_a_token_is_not_handed_out_past_half_its_lifetime(
    keys: tuple[OKPKey, OKPKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    signing, _public = keys
    minted = MintedIdentities(ttl=60)
    now = 1_900_000_000.0
    monkeypatch.setattr(upstream.time, "time", lambda: now)
    first = minted.token(STAFF, key=signing, audience="meetings")
    now += 29
    assert minted.token(STAFF, key=signing, audience="meetings") == first
    now += 2
    assert minted.token(STAFF, key=signing, audience="meetings") != first


def test_the_cache_stays_bounded(keys: tuple[OKPKey, OKPKey]) -> None:
    signing, _public = keys
    minted = MintedIdentities(max_entries=10)
    for n in range(25):
        minted.token(Identity(subject=f"u-{n}", roles=("staff",)), key=signing, audience="meetings")
    assert len(minted._tokens) <= 10


def test_calls_side_by_side_answer_in_order() -> None:
    async def answer(value: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return value

    assert run_async(side_by_side(answer(1, 0.02), answer(2, 0.0), answer(3, 0.01))) == [1, 2, 3]


def test_a_failing_call_is_raised_as_itself_and_the_others_are_cancelled() -> None:
    cancelled: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append("slow")
            raise

    async def failing() -> None:
        raise ServiceUnavailable("meetings")

    with pytest.raises(ServiceUnavailable) as raised:
        run_async(side_by_side(slow(), failing()))
    assert raised.value.service == "meetings"
    assert cancelled == ["slow"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-12-01T10:00:00+00:00", "limit": 5},
        {"q": "bredband & fiber/åäö", "offset": 0},
        {"flag": True, "other": False, "empty": None, "ids": ["a", "b"]},
    ],
)
def test_query_strings_are_written_as_httpx_wrote_them(params: dict[str, object]) -> None:
    import httpx

    assert upstream.with_query("/v1/x", params) == f"/v1/x?{httpx.QueryParams(params)}"  # type: ignore[arg-type]
    assert upstream.with_query("/v1/x", None) == "/v1/x"


def test_calls_to_a_service_carry_the_persons_language(keys: tuple[OKPKey, OKPKey]) -> None:
    """So a service can one day say why it refused in the language the person reads the pages in."""
    import uuid
    from types import SimpleNamespace
    from typing import Any

    from gateway import i18n
    from gateway.sessions import SignedIn

    seen: list[str | None] = []

    class Service:
        async def request(self, *_args: Any, headers: Any, **_kwargs: Any) -> upstream.Answer:
            # Made when the call is sent (a callable), so a call that waited carries a fresh token.
            seen.append((headers() if callable(headers) else headers).get("Accept-Language"))
            return upstream.Answer(200, b"{}", None)

    state = SimpleNamespace(
        settings=SimpleNamespace(signing_key=keys[0]),
        upstream=Service(),
        upstreams={"meetings": "http://meetings"},
    )
    request: Any = SimpleNamespace(app=SimpleNamespace(state=state))
    user = SignedIn(uuid.uuid4(), "ada@example.se", "Ada", ("staff",), None, (), "csrf", b"hash")

    async def page_in(locale: str) -> None:
        i18n.set_locale(locale)  # as LocaleMiddleware does for the request
        await upstream.Services(request, user).get_json("meetings", "/v1/meetings")

    run_async(page_in("en"))
    run_async(page_in("sv"))
    assert seen == ["en", "sv"]
