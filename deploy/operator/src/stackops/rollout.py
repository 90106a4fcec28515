"""`stackops rollout SERVICE`: replace a service's containers one at a time, never all at once.

For each replica a new container is made from the old one's whole configuration (the engine's own
record of it: command, environment, labels, limits, security options, stop signal and timeout,
restart policy, healthcheck ...) with the new image, started beside it on the same networks, and
given `timeout` seconds to become healthy. Until then nothing leads to it: it joins the networks
without the service's name, so the gateway and the other services keep reaching the old containers
only. Healthy: it is given the service's name on every network (reconnected with the address it
already has, so its own connections to PostgreSQL and NATS live on), the old one is stopped and
removed, and the new one takes its container name. Not healthy: the new one is removed and the old
one was never touched, so the service keeps serving on the old image (rolled back), and the
remaining replicas are left alone.

Two containers side by side is only possible for some services, so a rollout refuses, before it
starts anything, a container that publishes a port on the host (the second could not bind it: the
gateway), keeps data in a volume or mounts a host folder (two would share it: PostgreSQL, NATS),
has no healthcheck (nothing says when the new one is ready) or is a one-shot.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TextIO

from stackops.compose import Container, service_of

NEXT_SUFFIX = "-next"
# The old container, stopped, while the other replicas are replaced.
PREVIOUS_SUFFIX = "-previous"


class RolloutFailed(Exception):
    """The new container did not become healthy; the old one still serves."""


class CannotRollOut(Exception):
    """The service's containers cannot run twice side by side; the message says what to do instead."""


def refusal(old: Container) -> str | None:
    """Why `old` cannot be replaced beside itself, or None when it can."""
    config = old.attrs.get("Config") or {}
    host = old.attrs.get("HostConfig") or {}
    name, service = old.name, service_of(old)
    instead = f"Use `docker compose up -d --no-deps {service}` instead (a short pause)."
    if any(bindings for bindings in (host.get("PortBindings") or {}).values()):
        return f"{name} publishes a port on the host; a second container cannot bind it too. {instead}"
    mounts = [m for m in old.attrs.get("Mounts") or [] if m.get("Type") != "tmpfs"]
    if mounts or host.get("Binds"):
        where = ", ".join(str(m.get("Destination")) for m in mounts) or "a host folder"
        return f"{name} keeps data in {where}; two containers must not share it. {instead}"
    policy = ((host.get("RestartPolicy") or {}).get("Name")) or "no"
    if policy == "no":
        return f"{name} is a one-shot (restart: no), not a service to replace: `docker compose run` it."
    check = config.get("Healthcheck") or {}
    if not check.get("Test") or check.get("Test") == ["NONE"]:
        return f"{name} has no healthcheck, so nothing would say when its replacement is ready. {instead}"
    return None


def clone_config(old: Container, image: str) -> dict[str, Any]:
    """The old container's configuration for the engine's create call, with the new image.

    All of it, as the engine keeps it, so that nothing compose set is lost (a copy of chosen fields
    forgot the stop timeout, mounts and ports). Left out: what belongs to the old container alone
    (its hostname, which is its id) and its network endpoints: the new container joins the first
    network with no name but its own, and is given the service's name once it is healthy
    (`_announce`).
    """
    config = copy.deepcopy(dict(old.attrs.get("Config") or {}))
    config["Image"] = image
    for own in ("Hostname", "Domainname"):
        config.pop(own, None)
    host = copy.deepcopy(dict(old.attrs.get("HostConfig") or {}))
    if host.get("NanoCpus"):
        # The engine reports a CPU limit both ways, and refuses to be given it both ways.
        host.pop("CpuPeriod", None)
        host.pop("CpuQuota", None)
    config["HostConfig"] = host
    networks = list(((old.attrs.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    if networks:
        config["NetworkingConfig"] = {"EndpointsConfig": {networks[0]: {}}}
        config["HostConfig"]["NetworkMode"] = networks[0]
    return config


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
    """`healthy`, or what it was when the time ran out, it exited or its healthcheck gave up."""
    deadline = clock() + timeout
    while True:
        container.reload()
        now = health(container)
        if now in ("healthy", "unhealthy", "exited", "crashing") or clock() > deadline:
            return now
        time.sleep(pause)


def _announce(client: Any, new: Any, name: str, service: str, networks: list[str], timeout: float) -> None:
    """The service's name, on every network, leads to `new` too (it is healthy, and may be reached).

    An endpoint's names are fixed when it joins, so it leaves and joins again, asking for the address
    it had: its connections to PostgreSQL and NATS then carry on (the engine's DNS answers for the
    name at once). An engine that cannot give an address back (Docker, on a network without a
    configured subnet) gives a new one, and the connections made from the old one would hang: the
    replacement is then restarted, and must be healthy again before the old container is stopped.
    While it restarts it does not listen, so a caller's connection is refused and it takes another
    address of the name.
    """
    new.reload()
    endpoints = (new.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    moved = False
    for network in networks:
        joined = client.networks.get(network)
        address = str((endpoints.get(network) or {}).get("IPAddress") or "")
        joined.disconnect(new)
        try:
            joined.connect(new, aliases=[service], ipv4_address=address or None)
        except Exception:  # noqa: BLE001 - the engine would not give the address back; any will do
            joined.connect(new, aliases=[service])
            moved = True
    if moved:
        new.restart()
        outcome = wait_healthy(new, timeout)
        if outcome != "healthy":
            raise RolloutFailed(
                f"The replacement of {name} was {outcome} after a restart on its new address, so it was "
                f"removed and {name} keeps serving on its old image (rolled back)."
            )


def _quietly(action: Callable[[], Any]) -> None:
    """A clean-up step after a failure: the failure is what to report, not this step's own."""
    try:
        action()
    except Exception:  # noqa: BLE001 - the engine may be gone; the first failure is the one shown
        pass


def _replace(client: Any, old: Container, image: str, timeout: float, out: TextIO) -> Any:
    """A healthy replacement of `old` under its name, with `old` stopped and renamed aside.

    On any failure, at any step (Ctrl-C too), the replacement is removed and `old` runs under its
    own name again, as before."""
    name = old.name
    networks = list(((old.attrs.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    stop_timeout = int((old.attrs.get("Config") or {}).get("StopTimeout") or 30)
    print(f"{name}: starting a replacement on {image} ...", file=out, flush=True)
    created = client.api.create_container_from_config(clone_config(old, image), name=name + NEXT_SUFFIX)
    new = client.containers.get(created["Id"])
    stopped = renamed = False
    try:
        # Without the service's name until it is healthy: nothing is sent to it before it is ready.
        for network in networks[1:]:
            client.networks.get(network).connect(new)
        new.start()
        outcome = wait_healthy(new, timeout)
        if outcome != "healthy":
            tail = new.logs(tail=30).decode("utf-8", "replace")
            raise RolloutFailed(
                f"The replacement of {name} was {outcome} after at most {timeout:.0f} s, so it was removed "
                f"and {name} keeps serving on its old image (rolled back). Its last lines:\n{tail}"
            )
        _announce(client, new, name, service_of(old), networks, timeout)
        print(f"{name}: replacement healthy and reachable; stopping the old container.", file=out, flush=True)
        stopped = True
        old.stop(timeout=stop_timeout)
        # Kept, stopped, until every replica is replaced: a later failure starts it again.
        old.rename(name + PREVIOUS_SUFFIX)
        renamed = True
        new.rename(name)
    except BaseException:
        _quietly(partial(new.remove, force=True))
        if renamed:
            _quietly(partial(old.rename, name))
        if stopped:
            _quietly(old.start)
        raise
    print(f"{name}: replaced.", file=out, flush=True)
    return new


def _put_back(replaced: list[tuple[str, Container, Any]], out: TextIO) -> None:
    """The replicas already replaced go back to their old containers, so no two versions serve."""
    for name, old, new in reversed(replaced):
        _quietly(partial(new.remove, force=True))
        _quietly(partial(old.rename, name))
        _quietly(old.start)
        print(f"{name}: back on its old container.", file=out, flush=True)


def rollout(
    client: Any, containers: list[Container], out: TextIO, *, image: str | None, timeout: float
) -> None:
    refusals = [reason for reason in map(refusal, containers) if reason]
    if refusals:
        raise CannotRollOut(refusals[0])
    # Each replica's name as compose gave it: the SDK's `.name` does not follow a rename.
    replaced: list[tuple[str, Container, Any]] = []
    try:
        for old in containers:
            name = old.name
            new_image = image or str((old.attrs.get("Config") or {}).get("Image"))
            replaced.append((name, old, _replace(client, old, new_image, timeout, out)))
    except RolloutFailed as exc:
        names = [name for name, _, _ in replaced]
        _put_back(replaced, out)
        verb = "is" if len(names) == 1 else "are"
        back = f" {', '.join(names)} {verb} back on its old container too." if names else ""
        raise RolloutFailed(f"{exc}{back}") from None
    except BaseException:
        _put_back(replaced, out)
        raise
    for name, old, _new in replaced:
        try:
            old.remove()
        except Exception as exc:  # noqa: BLE001 - the rollout is done; say what is left over
            print(
                f"{name}: the old container {name}{PREVIOUS_SUFFIX} is stopped, not removed ({exc}).",
                file=out,
            )
