"""What the meetings service's codes are called on the pages: message ids by code, translated when shown."""

from __future__ import annotations

from gateway.i18n import N_, _

AGENDA_KINDS = {
    "theme": N_("Tema med inbjudna gäster"),
    "working_group_report": N_("Rapport från en arbetsgrupp"),
    "information": N_("Information"),
    "decision": N_("Beslutspunkt"),
    "other": N_("Övrigt"),
}
ATTENDANCE = {
    "present": N_("Närvarande"),
    "excused": N_("Anmält förhinder"),
    "absent": N_("Frånvarande"),
    "guest": N_("Gäst"),
}
# A roll call marks each expected person; guests are added by name on the same form.
ROLL_CALL = {key: label for key, label in ATTENDANCE.items() if key != "guest"}
ACTION_STATUS = {"open": N_("Öppen"), "done": N_("Klar"), "dropped": N_("Struken")}
MINUTES_STATUS = {
    "draft": N_("Utkast"),
    "ready_for_review": N_("Klart för granskning"),
    "approved": N_("Godkänt"),
    "published": N_("Publicerat"),
    "superseded": N_("Ersatt av en rättelse"),
}


def translated(labels: dict[str, str]) -> list[tuple[str, str]]:
    """(code, label in the person's language) pairs, in order, for a select or radio buttons."""
    return [(key, _(label)) for key, label in labels.items()]
