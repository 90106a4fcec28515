"""Notify's readiness beyond the backbone's: every stored webhook secret opens with a configured key.

A secret sealed under a key that `NOTIFY_WEBHOOKS_SECRET_KEYS` no longer lists fails every delivery
of its endpoint, so a replica without that key (a key dropped too soon, a deploy with an old key
file) answers `/readyz` 503 with which key and how many endpoints: a rolling deploy stops before the
replica takes work.
"""

from __future__ import annotations

from collections.abc import Iterable

from backbone.consumer import Subscription
from backbone.logs import get_logger
from backbone.runtime import Readiness, Runtime
from notify.deliveries import q
from notify.settings import Settings

log = get_logger(__name__)


class NotifyRuntime(Runtime):
    def __init__(
        self, settings: Settings, *, subscriptions: list[Subscription], ignored: Iterable[str]
    ) -> None:
        super().__init__(settings, subscriptions=subscriptions, ignored=ignored)
        self._notify_settings = settings

    async def readiness_report(self) -> Readiness:
        report = await super().readiness_report()
        if not report.checks.get("database"):
            return report  # said already; nothing to read the secrets from
        reasons = list(report.reasons)
        try:
            missing = await self._keys_not_configured()
        except Exception:  # a readiness probe answers, whatever went wrong
            log.warning("could not read the keys of the stored webhook secrets", exc_info=True)
            reasons.append("The service could not read which keys its webhook secrets are sealed under.")
            return Readiness(checks={**report.checks, "webhook_secrets": False}, reasons=reasons)
        if missing:
            listed = ", ".join(f"{key!r} ({n} endpoint{'s' if n != 1 else ''})" for key, n in missing)
            reasons.append(
                f"Webhook secrets are sealed under keys that NOTIFY_WEBHOOKS_SECRET_KEYS does not list: "
                f"{listed}. Their deliveries fail. Add those keys again after the current one until "
                "every secret is resealed (within NOTIFY_WEBHOOKS_RESEAL_SECONDS)."
            )
        return Readiness(checks={**report.checks, "webhook_secrets": not missing}, reasons=reasons)

    async def _keys_not_configured(self) -> list[tuple[str, int]]:
        configured = {key_id for key_id, _ in self._notify_settings.webhook_secret_box.keys}
        async with self.pool.acquire(timeout=2.0) as conn:
            rows = await q.webhook_secret_keys_in_use.fetch(conn)
        return [(r["key_id"], int(r["endpoints"])) for r in rows if r["key_id"] not in configured]
