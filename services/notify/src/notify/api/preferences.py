"""The person's own preferences, reached by the signed link in every email (no account), and the
one-click unsubscribe of RFC 8058. The link says whose they are; the identity is the gateway's
visitor. The token travels in the body, never in the service's URL, so it is not in access logs."""

from __future__ import annotations

from fastapi import APIRouter

from notify import preferences
from notify.api.deps import ERRORS, ConnDep, SignerDep, Visitor
from notify.api.schemas import (
    CategoryChoice,
    LinkToken,
    PreferencesPublic,
    PreferencesUpdate,
    Unsubscribed,
)

router = APIRouter(prefix="/v1/public", tags=["preferences"], responses=ERRORS)


def _public(prefs: preferences.Preferences) -> PreferencesPublic:
    return PreferencesPublic(
        address=prefs.address,
        digest_hour=prefs.digest_hour,
        digest_weekday=prefs.digest_weekday,
        version=prefs.version,
        categories=[
            CategoryChoice(category=c, label=label, choice=prefs.choices[c], bulk=c in preferences.BULK)
            for c, label in preferences.CATEGORIES.items()
        ],
    )


@router.post("/preferences/look-up", response_model=PreferencesPublic)
async def look_up_preferences(
    conn: ConnDep, _who: Visitor, signer: SignerDep, body: LinkToken
) -> PreferencesPublic:
    """The preferences of the person the link was sent to; changes nothing."""
    link = signer.read(body.token, expected="preferences")
    return _public(await preferences.preferences_of(conn, address=link.address))


@router.put("/preferences", response_model=PreferencesPublic)
async def save_preferences(
    conn: ConnDep, _who: Visitor, signer: SignerDep, body: PreferencesUpdate
) -> PreferencesPublic:
    link = signer.read(body.token, expected="preferences")
    saved = await preferences.save(
        conn,
        address=link.address,
        choices=body.choices,
        digest_hour=body.digest_hour,
        digest_weekday=body.digest_weekday,
        version=body.version,
    )
    return _public(saved)


@router.post("/unsubscribe", response_model=Unsubscribed)
async def unsubscribe(conn: ConnDep, _who: Visitor, signer: SignerDep, body: LinkToken) -> Unsubscribed:
    """No more emails of the link's category to its address; sent twice, the same answer."""
    link = signer.read(body.token, expected="unsubscribe")
    assert link.category is not None  # Signer.read refuses an unsubscribe link without one
    await preferences.unsubscribe(conn, address=link.address, category=link.category)
    return Unsubscribed(category=link.category, label=preferences.CATEGORIES[link.category])
