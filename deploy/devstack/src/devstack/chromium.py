"""Make sure Debian's Chromium is there for the browser tests: `python -m devstack.chromium`.

`make test` runs this before the suite. As root it installs the package (refreshing the package
lists first when apt does not know it yet); as anyone else it stops at once with one line that says
what to run, because a half-run suite with thirteen browser errors helps nobody.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
PACKAGE = "chromium"


@dataclass(frozen=True)
class Plan:
    """What to do: the commands to run as root, or the one line to stop with."""

    commands: tuple[tuple[str, ...], ...] = ()
    stop_with: str | None = None


def plan(*, installed: bool, is_root: bool, has_apt: bool, package_known: bool) -> Plan:
    """Decide how to get Chromium; pure, so every branch is tested without touching the machine."""
    if installed:
        return Plan()
    if not has_apt:
        return Plan(stop_with=f"Chromium is missing at {CHROMIUM} and this machine has no apt-get: "
                    "install Debian's chromium package, then run `make test` again.")
    if not is_root:
        return Plan(stop_with=f"Chromium is missing at {CHROMIUM}: run `sudo apt-get install -y {PACKAGE}` "
                    "(or `make test` as root), then run `make test` again.")
    install = ("apt-get", "install", "-y", "-qq", "--no-install-recommends", PACKAGE)
    if package_known:
        return Plan(commands=(install,))
    return Plan(commands=(("apt-get", "update", "-qq"), install))


def _package_known() -> bool:
    """apt knows the package when the lists name a candidate version for it."""
    shown = subprocess.run(["apt-cache", "policy", PACKAGE], capture_output=True, text=True, check=False)
    return "Candidate:" in shown.stdout and "Candidate: (none)" not in shown.stdout


def main() -> int:
    has_apt = shutil.which("apt-get") is not None
    installed = CHROMIUM.exists()
    decided = plan(
        installed=installed,
        is_root=os.geteuid() == 0,
        has_apt=has_apt,
        package_known=has_apt and not installed and _package_known(),
    )
    if decided.stop_with:
        print(decided.stop_with, file=sys.stderr)
        return 1
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in decided.commands:
        print("Installing Chromium for the browser tests:", " ".join(command), file=sys.stderr)
        if subprocess.run(command, env=env, check=False).returncode != 0:
            print(f"`{' '.join(command)}` failed: install {PACKAGE} by hand, then run `make test` again.",
                  file=sys.stderr)
            return 1
    if not CHROMIUM.exists():
        print(f"{PACKAGE} was installed but {CHROMIUM} is still missing.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
