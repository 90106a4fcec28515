"""`stackops smoke`: one journey through the running stack, as a person would make it.

Creates a throw-away administrator in the gateway container, signs in through the gateway's
published port, schedules a meeting with one invitee through the gateway's API, and waits until
the invitation reaches the mail relay (Mailpit, or the project's SMTP sink standing in for it).
Then it cleans up through the same doors a person uses: the meeting is cancelled (so every
service hears of it as of any cancellation) and the throw-away administrator is deactivated and
signed out, so no account that can sign in is left behind. Nothing is deleted under a service.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any, TextIO

import httpx

from stackops.compose import Container, SelectionError

SIGN_IN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')
USER_LINK = r'href="/admin/users/([0-9a-f-]{{36}})">{name}</a>'
GATEWAY_PORT = "8000/tcp"


class SmokeFailed(Exception):
    """A step of the journey did not do what it should; the message says which and what came back."""


def published_url(gateway: Container) -> str:
    """http://HOST:PORT where the gateway container's port 8000 is published."""
    ports = (gateway.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    bindings = ports.get(GATEWAY_PORT) or []
    if not bindings:
        raise SelectionError(
            f"{gateway.name} publishes no port for {GATEWAY_PORT}; is it running? `stackops status` shows."
        )
    host = bindings[0].get("HostIp") or "127.0.0.1"
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{bindings[0]['HostPort']}"


class Browser:
    """An HTTP client that keeps cookies itself: the gateway's are Secure and `__Host-` (it runs
    behind a TLS proxy), which httpx would not send back to a plain-HTTP address."""

    def __init__(
        self, base_url: str, timeout: float = 30.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, path, headers=headers, **kwargs)
        for raw in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def close(self) -> None:
        self.http.close()


def _found(pattern: re.Pattern[str], page: httpx.Response, what: str) -> str:
    match = pattern.search(page.text)
    if match is None:
        raise SmokeFailed(f"{what}: no CSRF token on the page (HTTP {page.status_code}).")
    return match.group(1)


def create_user(gateway: Container, email: str, password: str, name: str = "Röktest") -> None:
    # The password goes in through the environment and stdin, never as an argument (process listings).
    code, output = gateway.exec_run(
        [
            "sh",
            "-c",
            'printf "%s\\n" "$SMOKE_PASSWORD" | python -m gateway create-user --password-stdin '
            '--email "$SMOKE_EMAIL" --name "$SMOKE_NAME" --role administrator',
        ],
        environment={"SMOKE_PASSWORD": password, "SMOKE_EMAIL": email, "SMOKE_NAME": name},
    )
    if code != 0:
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        raise SmokeFailed(f"Could not create the smoke-test user in {gateway.name}:\n{text[-2000:]}")


def mail_arrived(mail: Container, address: str) -> bool:
    """Has the relay an email to `address`? Mailpit answers on its API; the SMTP sink keeps a Maildir."""
    # The address goes in through the environment and is only ever expanded inside double quotes:
    # whatever it holds stays one word, never part of the command.
    command = (
        'wget -qO- "http://127.0.0.1:8025/api/v1/search?query=to:$SMOKE_ADDRESS" 2>/dev/null'
        ' | grep -qF -- "$SMOKE_ADDRESS"'
        ' || grep -rqsF -- "$SMOKE_ADDRESS" /tmp/sink/new /tmp/sink/cur'
    )
    code, _ = mail.exec_run(["sh", "-c", command], environment={"SMOKE_ADDRESS": address})
    return code == 0


def cancel_meeting(browser: Browser, csrf: str, meeting: Mapping[str, Any]) -> None:
    cancelled = browser.request(
        "POST",
        f"/api/meetings/v1/meetings/{meeting['id']}/cancel",
        json={"version": meeting["version"], "reason": "Röktest klart"},
        headers={"X-CSRF-Token": csrf},
    )
    if cancelled.status_code != 200:
        raise SmokeFailed(
            f"Cancelling the smoke meeting answered {cancelled.status_code}: {cancelled.text[:500]}"
        )


def deactivate_user(browser: Browser, name: str) -> None:
    users = browser.request("GET", "/admin/users")
    found = re.search(USER_LINK.format(name=re.escape(name)), users.text)
    if found is None:
        raise SmokeFailed(f"The smoke user {name} is not on /admin/users (HTTP {users.status_code}).")
    path = f"/admin/users/{found.group(1)}"
    token = _found(SIGN_IN_CSRF, browser.request("GET", path), "The smoke user's page")
    # `active` left out: the account is deactivated; its sessions (ours too) end with it.
    changed = browser.request(
        "POST", path, data={"name": name, "roles": "administrator", "csrf_token": token}
    )
    if changed.status_code != 303:
        raise SmokeFailed(f"Deactivating the smoke user answered {changed.status_code}: {changed.text[:500]}")


def clean_up(browser: Browser, csrf: str, meeting: Mapping[str, Any], name: str) -> None:
    """Cancel the smoke meeting and deactivate the smoke user, as staff and an administrator would."""
    cancel_meeting(browser, csrf, meeting)
    deactivate_user(browser, name)


_FAILURES = (SmokeFailed, httpx.HTTPError)


def after_failure(browser: Browser, journey: Mapping[str, Any], email: str, name: str) -> str:
    """Undo what a failed journey made, as far as it goes; what was done and what is left over."""
    if "csrf" not in journey:
        return (
            f"The smoke user {email} was made but never signed in, so it is left active (its password "
            "was never shown): deactivate it on /admin/users."
        )
    done, left = [], []
    meeting = journey.get("meeting")
    if meeting is not None:
        try:
            cancel_meeting(browser, journey["csrf"], meeting)
            done.append(f"meeting {meeting.get('id')} cancelled")
        except _FAILURES as exc:
            left.append(f"meeting {meeting.get('id')} is not cancelled ({exc})")
    try:
        deactivate_user(browser, name)
        done.append(f"user {email} deactivated")
    except _FAILURES as exc:
        left.append(f"user {email} is left active, deactivate it on /admin/users ({exc})")
    return " ".join(
        [f"Cleaned up: {', '.join(done)}." if done else "", f"Left over: {'; '.join(left)}." if left else ""]
    ).strip()


def run_smoke(
    gateway: Container,
    mail: Container,
    out: TextIO,
    *,
    timeout: float = 90.0,
    clock: Callable[[], float] = time.monotonic,
    transport: httpx.BaseTransport | None = None,
) -> Mapping[str, str]:
    tag = secrets.token_hex(4)
    email, password = f"smoke-{tag}@example.se", secrets.token_urlsafe(18)
    invitee = f"smoke-invitee-{tag}@example.se"
    name = f"Röktest {tag}"
    url = published_url(gateway)
    browser = Browser(url, transport=transport)
    # What the journey got as far as: the page's CSRF token once signed in, the meeting once made.
    journey: dict[str, Any] = {}
    try:
        try:
            # The gateway answers before an account is made that a failure would leave behind.
            token = _found(SIGN_IN_CSRF, browser.request("GET", "/sign-in"), "The sign-in page")
        except httpx.HTTPError as exc:
            raise SmokeFailed(
                f"The gateway at {url} did not answer: {exc}. `stackops status` shows why."
            ) from None
        print(f"Creating the user {email} in {gateway.name} ...", file=out, flush=True)
        create_user(gateway, email, password, name)
        try:
            _journey(
                browser,
                journey,
                out,
                email=email,
                password=password,
                token=token,
                tag=tag,
                invitee=invitee,
                mail=mail,
                timeout=timeout,
                clock=clock,
            )
            clean_up(browser, journey["csrf"], journey["meeting"], name)
        except _FAILURES as exc:
            problem = (
                f"The gateway at {url} did not answer: {exc}."
                if isinstance(exc, httpx.HTTPError)
                else str(exc)
            )
            raise SmokeFailed(f"{problem} {after_failure(browser, journey, email, name)}") from None
        meeting = journey["meeting"]
        print(f"Cleaned up: meeting {meeting.get('id')} cancelled, user {email} deactivated.", file=out)
        return {"user": email, "invitee": invitee, "meeting": str(meeting.get("id"))}
    finally:
        browser.close()


def _journey(
    browser: Browser,
    journey: dict[str, Any],
    out: TextIO,
    *,
    email: str,
    password: str,
    token: str,
    tag: str,
    invitee: str,
    mail: Container,
    timeout: float,
    clock: Callable[[], float],
) -> None:
    """Sign in, schedule the meeting, wait for its email; `journey` records how far it came."""
    signed = browser.request(
        "POST", "/sign-in", data={"email": email, "password": password, "csrf_token": token, "next": "/"}
    )
    if signed.status_code != 303:
        raise SmokeFailed(f"Signing in answered {signed.status_code}, not 303: {signed.text[:500]}")
    print("Signed in through the gateway.", file=out, flush=True)
    journey["csrf"] = _found(PAGE_CSRF, browser.request("GET", "/"), "The start page after signing in")
    starts = datetime.now(UTC) + timedelta(days=7)
    body = {
        "title": f"Röktest {tag}",
        "group_name": "Röktest",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "place": "Bryggan",
        "invitees": [{"name": "Röktest", "email": invitee}],
    }
    created = browser.request(
        "POST", "/api/meetings/v1/meetings", json=body, headers={"X-CSRF-Token": journey["csrf"]}
    )
    if created.status_code != 201:
        raise SmokeFailed(f"Creating a meeting answered {created.status_code}: {created.text[:500]}")
    journey["meeting"] = meeting = created.json()
    print(f"Meeting {meeting.get('id')} scheduled; waiting for its email ...", file=out, flush=True)
    deadline = clock() + timeout
    while not mail_arrived(mail, invitee):
        if clock() > deadline:
            raise SmokeFailed(
                f"No email to {invitee} reached {mail.name} within {timeout:.0f} s. "
                "`stackops logs notify` shows why."
            )
        time.sleep(1.0)
    print(f"The invitation reached {mail.name}.", file=out, flush=True)
