"""Browser tests: the real stack (PostgreSQL, NATS, mail sink, services, gateway) and Debian's Chromium.

Never downloads a browser: a missing /usr/bin/chromium fails the tests (CI installs the package).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

import meetings
from backbone.embedded import free_port
from backbone.testing import server_folder
from devstack.stack import Ports, ServiceSpec, Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "a long test password 2026"
# The project's own copy of the group's minutes (a clone has nothing beside it).
SEED_MINUTES = Path(meetings.__file__).parent / "demo" / "minutes"


# How much of each process's log a failed session prints before the stack's folder is removed.
LOG_TAIL_LINES = 60


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    names = ("meetings", "events", "volunteers", "notify", "gateway")
    services = tuple(ServiceSpec(name, free_port()) for name in names)
    with server_folder("browser-stack") as var:
        running = Stack(var=var, ports=Ports.free(), services=services, durable_postgres=False)
        try:
            running.start_all()
            yield running
        finally:
            running.stop_all()
            if request.session.testsfailed:
                _show_logs(request.config, var / "log")


def _show_logs(config: pytest.Config, folder: Path) -> None:
    """The end of every process's log, so that a failure in CI can be understood after the fact."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    for log in sorted(folder.glob("*.log")):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
        reporter.write_sep("-", f"browser stack: {log.name} (last {len(lines)} lines)")
        for line in lines:
            reporter.write_line(line)


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    name: str


@pytest.fixture(scope="session")
def make_account(stack: Stack) -> Callable[..., Account]:
    """Creates an account through the gateway's own command, as an operator would."""
    gateway = next(spec for spec in stack.services if spec.name == "gateway")

    def make(*roles: str, organisation: str | None = None, name: str = "Testperson") -> Account:
        email = f"{roles[0]}-{uuid.uuid4().hex[:8]}@example.se"
        argv = [
            sys.executable,
            "-m",
            "gateway",
            "create-user",
            "--email",
            email,
            "--name",
            name,
            "--password-stdin",
        ]
        for role in roles:
            argv += ["--role", role]
        if organisation:
            argv += ["--organisation", organisation]
        env = stack.env_for(gateway)
        subprocess.run(argv, env=env, input=f"{PASSWORD}\n", text=True, check=True, capture_output=True)
        return Account(email, PASSWORD, name)

    return make


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module: Playwright's sync API runs an event loop in this thread while
    it is open, and the async tests collected after the browser tests need the thread free."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install Debian's package: apt-get install chromium."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=stack.url("gateway"), viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


class AccessiblePage:
    """A page that runs axe-core (WCAG 2.1 A and AA rules) on every page it lands on."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.checked: list[str] = []
        self._axe = Axe()

    def check(self) -> None:
        results = self._axe.run(self.page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
        violations: list[dict[str, Any]] = results.response["violations"]
        self.checked.append(self.page.url)
        assert not violations, (
            f"axe found WCAG 2.1 AA violations on {self.page.url}:\n" + results.generate_report()
        )

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self.check()

    def sign_in(self, account: Account) -> None:
        self.goto("/sign-in")
        self.page.get_by_label("E-postadress").fill(account.email)
        self.page.get_by_label("Lösenord").fill(account.password)
        self.page.get_by_role("button", name="Logga in").click()
        self.page.wait_for_url(lambda url: "/sign-in" not in url)
        self.check()


@pytest.fixture
def ui(context: BrowserContext) -> AccessiblePage:
    return AccessiblePage(context.new_page())


@pytest.fixture
def browser_page_for(browser: Browser, stack: Stack) -> Iterator[Callable[[Account], AccessiblePage]]:
    """A second person in their own browser context, already signed in."""
    contexts: list[BrowserContext] = []

    def open_for(account: Account) -> AccessiblePage:
        ctx = browser.new_context(base_url=stack.url("gateway"))
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        person = AccessiblePage(ctx.new_page())
        person.sign_in(account)
        return person

    yield open_for
    for ctx in contexts:
        ctx.close()
