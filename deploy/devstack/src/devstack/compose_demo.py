"""The demo one-shot of docker-compose.yml: the devstack's demo data, loaded into the container stack.

`python -m devstack.compose_demo` runs after every service is healthy. With DELAKTIG_DEMO=1 in the
env file it loads what `make run` loads (devstack.demo: organisations, people, groups, meetings with
imported minutes, events, volunteer pools) through the services' APIs, as the system, signed with
the gateway's identity key; what is there already is looked up and left alone, so a second
`docker compose up` adds nothing. Without DELAKTIG_DEMO it says so and exits at once.

The demo's meetings invite made-up people at example.se addresses, so it loads only while notify
sends its email to the `dev` profile's Mailpit (DEMO_SMTP_HOST, notify's NOTIFY_SMTP_HOST): with a
real relay, a DELAKTIG_DEMO=1 left in a production env file loads nothing and says why.
"""

from __future__ import annotations

import sys

import httpx
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backbone.identity import MAX_LIFETIME_SECONDS, Identity, UnusableKey, load_signing_key, mint
from devstack import demo

DEMO_IDENTITY = Identity(subject="demo-data", roles=("system",), name="Demodata")
# The mail catcher of docker-compose.yml's `dev` profile: nothing sent to it leaves the machine.
MAIL_CATCHER = "mailpit"


class DemoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore", populate_by_name=True)

    # The operator's switch, in the env file beside the secrets (deploy/env.example).
    wanted: bool = Field(default=False, validation_alias="DELAKTIG_DEMO")
    # The gateway's private key (PEM, or the path of a PEM file): the services take only identities
    # it signed.
    identity_signing_key: str = ""
    meetings_url: str = "http://meetings:8101"
    events_url: str = "http://events:8102"
    volunteers_url: str = "http://volunteers:8103"
    # Where notify sends email (docker-compose.yml gives it notify's NOTIFY_SMTP_HOST).
    smtp_host: str = MAIL_CATCHER

    @field_validator("wanted", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return False if isinstance(value, str) and not value.strip() else value


class ComposeStack:
    """The services of the compose network, as devstack.demo calls them."""

    def __init__(self, settings: DemoSettings) -> None:
        self._urls = {
            "meetings": settings.meetings_url,
            "events": settings.events_url,
            "volunteers": settings.volunteers_url,
        }
        self._key = load_signing_key(settings.identity_signing_key)

    def url(self, service: str) -> str:
        return self._urls[service]

    def system_headers(self, service: str) -> dict[str, str]:
        # devstack.demo takes new headers between its steps, not before every call; on a busy
        # machine a step can take longer than a minute, so the longest life a service accepts.
        token = mint(DEMO_IDENTITY, key=self._key, audience=service, ttl=MAX_LIFETIME_SECONDS)
        return {"Authorization": f"Bearer {token}"}


def main() -> int:
    try:
        settings = DemoSettings()
    except ValidationError as exc:
        print(f"Demo data: DELAKTIG_DEMO must be 1 (load it) or 0 (do not): {exc}", file=sys.stderr)
        return 2
    if not settings.wanted:
        print("Demo data: not asked for (DELAKTIG_DEMO is not set); nothing loaded.", flush=True)
        return 0
    if settings.smtp_host != MAIL_CATCHER:
        print(
            f"Demo data: nothing loaded: notify sends email through {settings.smtp_host}, a real relay, "
            "and the demo's meetings would send invitations to made-up people. Demo data is only for a "
            f"stack whose email goes to Mailpit (NOTIFY_SMTP_HOST unset, the `dev` profile).",
            file=sys.stderr,
        )
        return 2
    if not settings.identity_signing_key:
        print(
            "Demo data: DEMO_IDENTITY_SIGNING_KEY is empty; docker-compose.yml gives it the gateway's "
            "GATEWAY_IDENTITY_SIGNING_KEY from the env file.",
            file=sys.stderr,
        )
        return 2
    try:
        stack = ComposeStack(settings)
    except UnusableKey as exc:
        print(f"Demo data: the gateway's identity key cannot be used: {exc}.", file=sys.stderr)
        return 2
    try:
        lines = demo.seed(stack) + demo.seed_events(stack) + demo.seed_volunteers(stack)
    except (httpx.HTTPError, RuntimeError) as exc:
        print(f"Demo data: could not be loaded: {_said(exc)}. What was loaded so far stays.", file=sys.stderr)
        return 1
    for line in lines or ["Demo data: already loaded; nothing added."]:
        print(line, flush=True)
    return 0


def _said(exc: Exception) -> str:
    """The failure, with the address asked when the service did not answer at all."""
    if isinstance(exc, httpx.RequestError):
        try:
            return f"{exc.request.method} {exc.request.url} did not answer ({exc})"
        except RuntimeError:  # no request attached
            pass
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
