"""Reading what people write in forms, and the ending every form shares: send, then saved or shown again."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any, NamedTuple

from fastapi import Response
from fastapi.responses import RedirectResponse

from backbone.logs import get_logger
from gateway import flash
from gateway.i18n import N_, _
from gateway.upstream import Outcome, Services, send

_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
log = get_logger(__name__)
DATE_HINT = N_("Skriv datumet som år-månad-dag, till exempel 2026-03-07.")
TIME_HINT = N_("Skriv tiden som timmar:minuter, till exempel 13:30.")


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_invitees(text: str) -> tuple[list[dict[str, str]], list[int]]:
    """One invitee per line, "Name, e-mail" or "Name <e-mail>"; returns them and the bad line numbers."""
    invitees: list[dict[str, str]] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = _EMAIL.search(line)
        name = (line[: found.start()] + line[found.end() :]).strip(" ,;<>") if found else ""
        if found is None or not name:
            bad.append(number)
            continue
        invitees.append({"name": name, "email": found.group(0)})
    return invitees, bad


def unreadable_invitees(bad: list[int]) -> str:
    """What to tell the person about the invitee lines `parse_invitees` could not read."""
    return _(
        "Rad %(lines)s går inte att läsa. "
        "Skriv namn och e-postadress, till exempel Anna Berg, anna@exempel.se."
    ) % {"lines": ", ".join(str(n) for n in bad)}


class ShownAt(NamedTuple):
    """Where a field the service refused is shown on the form, and what to tell the person there."""

    field: str  # the form's error key
    hint: str  # a message id, followed on the page by the service's own reason


async def send_form(
    services: Services,
    method: str,
    path: str,
    body: Any,
    *,
    errors: dict[str, str],
    saved: str | Callable[[Any], str],
    again: Callable[[dict[str, str]], Awaitable[Response]],
    refused_at: str,
    fields: Mapping[str, ShownAt] | None = None,
    flash_key: str | None = "saved",
    then: Callable[[Any], Awaitable[None]] | None = None,
    service: str = "meetings",
) -> Response:
    """The end of a form: when the page found nothing to correct, send `body` to the service; on success
    run `then`, flash and redirect to `saved` (a path, or made from the answer), else show the form
    `again` with the errors. The service owns its rules: its reason is shown beside the field it names
    (`fields`, by the service's field name), or at `refused_at`."""
    errors = dict(errors)
    if not errors:
        outcome = await send(services, method, path, body, service=service)
        if outcome.ok:
            if then is not None:
                try:
                    await then(outcome.data)
                except Exception as exc:
                    # The service has committed the change: an error page would say it failed, and
                    # sending the form again would save it twice. The person goes on; the log keeps it.
                    log.error(
                        "a saved change's next step failed",
                        method=method,
                        path=path,
                        error=str(exc),
                        error_type=type(exc).__name__,
                        exc_info=True,
                    )
            redirect = RedirectResponse(saved(outcome.data) if callable(saved) else saved, status_code=303)
            if flash_key is not None:
                flash.flash(redirect, flash_key)
            return redirect
        errors = field_errors(outcome, refused_at, fields or {})
    return await again(errors)


def field_errors(outcome: Outcome, refused_at: str, fields: Mapping[str, ShownAt]) -> dict[str, str]:
    """A refused change's reasons by the form's field: each reason the service gave about a field
    beside that field (`fields`, by the service's field name), else its message at `refused_at`."""
    errors: dict[str, str] = {}
    for name, reason in outcome.invalid_fields.items():
        shown = fields.get(name)
        if shown is not None:
            errors[shown.field] = f"{_(shown.hint)} " + _("Skälet: %(reason)s") % {"reason": reason}
    if not errors:
        errors[refused_at] = outcome.message
    return errors
