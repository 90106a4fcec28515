"""Flash messages: one short message shown on the next page, carried by a cookie holding only its key."""

from __future__ import annotations

from contextvars import ContextVar

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.i18n import N_

COOKIE = "delaktig_flash"
# Whether this request's gateway is served over TLS; set by SecureFlashCookies, read by `flash`.
_secure: ContextVar[bool] = ContextVar("flash_secure", default=False)

# Keys and their message ids. Only keys travel in the cookie, so nothing can be injected.
MESSAGES = {
    "signed_in": N_("Du är inloggad."),
    "signed_out": N_("Du är utloggad."),
    "signed_out_everywhere": N_("Du är utloggad på alla enheter."),
    "session_ended": N_("Du har varit inaktiv en stund. Logga in igen."),
    "language_changed": N_("Språket är ändrat."),
    "meeting_created": N_("Mötet är skapat. Inbjudningar skickas till deltagarna."),
    "user_created": N_("Användaren är skapad."),
    "access_changed": N_("Ändringarna är sparade."),
    "saved": N_("Sparat."),
    "minutes_started": N_("Protokollet är påbörjat. Skriv det här."),
    "minutes_submitted": N_("Protokollet är skickat för granskning."),
    "minutes_returned": N_("Protokollet är tillbaka som utkast."),
    "minutes_approved": N_("Protokollet är godkänt."),
    "minutes_published": N_("Protokollet är publicerat."),
    "correction_started": N_("En rättelse är påbörjad som ett nytt utkast."),
    "series_created": N_("Mötesserien är skapad och mötena är inplanerade."),
    "import_saved": N_("Granskningen är sparad. Protokollet är ett utkast tills ni publicerar det."),
    "organisation_created": N_("Organisationen är skapad."),
    "person_added": N_("Personen är tillagd."),
    "group_created": N_("Gruppen är skapad."),
    "user_signed_out": N_("Personen är utloggad på alla enheter."),
    "sso_failed": N_("Inloggningen via kommunens inloggning gick inte. Försök igen."),
    "webhook_test_queued": N_("Ett testmeddelande är på väg. Se loggen nedan om en stund."),
    "webhook_replayed": N_("Leveranserna skickas igen."),
    "webhook_removed": N_("Webhooken är borttagen."),
    "dead_letter_replayed": N_("Meddelandet är hanterat nu."),
    "dead_letter_not_handled": N_("Det gick inte den här gången heller. Se skälet i listan."),
    "dead_letter_discarded": N_("Meddelandet är kastat."),
    "bounce_cleared": N_("Spärren är borttagen. Adressen får e-post igen."),
}


def flash(response: Response, key: str) -> None:
    if key not in MESSAGES:
        raise ValueError(f"Unknown flash message {key!r}; add it to gateway.flash.MESSAGES.")
    response.set_cookie(
        COOKIE, key, httponly=True, samesite="lax", max_age=60, path="/", secure=_secure.get()
    )


def redirect(target: str, key: str = "saved") -> RedirectResponse:
    """The 303 after a POST that did what was asked, carrying the message that says so."""
    response = RedirectResponse(target, status_code=303)
    flash(response, key)
    return response


def take(request: Request, response: Response) -> str | None:
    key = request.cookies.get(COOKIE)
    if key is None:
        return None
    response.delete_cookie(COOKIE, path="/", secure=_secure.get())
    return MESSAGES.get(key)


class SecureFlashCookies:
    """Makes the flash cookie Secure behind TLS, so the many pages that flash need not pass the settings."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _secure.set(self.secure)
        try:
            await self.app(scope, receive, send)
        finally:
            _secure.reset(token)
