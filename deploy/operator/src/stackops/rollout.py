"""`stackops rollout SERVICE`: replace a service's containers one at a time, never all at once.

For each replica a new container is made from the old one's settings (command, environment,
labels, limits, network name) with the new image, started beside it, and given `timeout` seconds to
become healthy. Healthy: the old one is stopped and removed, and the new one takes its name.
Not healthy: the new one is removed and the old one was never touched, so the service keeps serving
on the old image (rolled back), and the remaining replicas are left alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from stackops.compose import Container, service_of

NEXT_SUFFIX = "-next"


class RolloutFailed(Exception):
    """The new container did not become healthy; the old one still serves."""


def _clone_arguments(old: Container, image: str) -> dict[str, Any]:
    config = old.attrs.get("Config") or {}
    host = old.attrs.get("HostConfig") or {}
    arguments: dict[str, Any] = {
        "image": image,
        "command": config.get("Cmd"),
        "entrypoint": config.get("Entrypoint"),
        "environment": config.get("Env") or [],
        "labels": dict(config.get("Labels") or {}),
        "user": config.get("User") or None,
        "working_dir": config.get("WorkingDir") or None,
        "read_only": bool(host.get("ReadonlyRootfs")),
        "tmpfs": host.get("Tmpfs") or None,
        "security_opt": host.get("SecurityOpt") or None,
        "restart_policy": host.get("RestartPolicy") or None,
        "mem_limit": host.get("Memory") or None,
        "nano_cpus": host.get("NanoCpus") or None,
        "detach": True,
    }
    if config.get("Healthcheck"):
        arguments["healthcheck"] = config["Healthcheck"]
    return {k: v for k, v in arguments.items() if v is not None}


def health(container: Container) -> str:
    state = container.attrs.get("State") or {}
    if state.get("Status") in ("exited", "dead"):
        return "exited"
    # Its restart policy brings a crashed container back, so "it crashed" shows only here.
    if state.get("Restarting") or int(container.attrs.get("RestartCount") or 0) > 0:
        return "crashing"
    return str((state.get("Health") or {}).get("Status") or "none")


def wait_healthy(
    container: Any, timeout: float, *, clock: Callable[[], float] = time.monotonic, pause: float = 1.0
) -> str:
    """`healthy`, or what it was when the time ran out or it exited."""
    deadline = clock() + timeout
    while True:
        container.reload()
        now = health(container)
        if now in ("healthy", "exited", "crashing") or clock() > deadline:
            return now
        time.sleep(pause)


def rollout(
    client: Any, containers: list[Container], out: TextIO, *, image: str | None, timeout: float
) -> None:
    for old in containers:
        new_image = image or str((old.attrs.get("Config") or {}).get("Image"))
        networks = list(((old.attrs.get("NetworkSettings") or {}).get("Networks") or {}).keys())
        arguments = _clone_arguments(old, new_image)
        name = old.name
        print(f"{name}: starting a replacement on {new_image} ...", file=out, flush=True)
        new = client.containers.create(
            name=name + NEXT_SUFFIX, network=networks[0] if networks else None, **arguments
        )
        # The service's name must resolve to the new container too, as compose's alias does.
        for network in networks:
            net = client.networks.get(network)
            if network == networks[0]:
                net.disconnect(new)
            net.connect(new, aliases=[service_of(old)])
        new.start()
        outcome = wait_healthy(new, timeout)
        if outcome != "healthy":
            tail = new.logs(tail=30).decode("utf-8", "replace")
            new.remove(force=True)
            raise RolloutFailed(
                f"The replacement of {name} was {outcome} after {timeout:.0f} s, so it was removed and "
                f"{name} keeps serving on its old image (rolled back). Its last lines:\n{tail}"
            )
        print(f"{name}: replacement healthy; stopping the old container.", file=out, flush=True)
        old.stop(timeout=30)  # type: ignore[attr-defined]
        old.remove()  # type: ignore[attr-defined]
        new.rename(name)
        print(f"{name}: replaced.", file=out, flush=True)
