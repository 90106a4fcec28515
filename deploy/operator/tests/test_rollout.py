"""stackops rollout without an engine: what is left running when a replacement fails, at any step."""

from __future__ import annotations

import io
from typing import Any

import pytest

from stackops.rollout import RolloutFailed, rollout, wait_healthy

SERVICE = "meetings"


class FakeContainer:
    """A container as the engine keeps it: a name, a state, and what was done to it."""

    def __init__(self, engine: FakeEngine, name: str, *, image: str, health: str = "healthy") -> None:
        # `name` is what the SDK read when it last inspected the container, `actual` the engine's:
        # like docker's Container.name, it does not follow a rename until reload().
        self.engine, self.name, self.actual = engine, name, name
        self.id = f"id-{name}-{len(engine.everything)}"
        self.running = True
        self.health = health
        self.attrs: dict[str, Any] = {
            "Config": {
                "Image": image,
                "Labels": {
                    "com.docker.compose.project": "delaktig",
                    "com.docker.compose.service": SERVICE,
                },
                "Healthcheck": {"Test": ["CMD", "python", "/app/deploy/healthcheck.py"]},
                "StopTimeout": 30,
            },
            "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
            "NetworkSettings": {"Networks": {}},
            "Mounts": [],
        }
        # Network -> the names it answers to there (compose gives each replica the service's name).
        self.aliases: dict[str, list[str]] = {network: [SERVICE] for network in NETWORKS}
        self.address = f"10.89.0.{len(engine.everything) + 2}"
        self.labels = self.attrs["Config"]["Labels"]
        self.removed = self.starting = False
        self.restarts = 0
        engine.everything.append(self)
        self.refresh()

    @property
    def status(self) -> str:
        return "running" if self.running else "exited"

    def reload(self) -> None:
        self.engine.step("reload", self)
        self.refresh()

    def refresh(self) -> None:
        self.name = self.actual
        state: dict[str, Any] = {"Status": self.status}
        if self.running:
            state["Health"] = {"Status": self.health}
            # What the engine reports, the first time, of a container that has only just started.
            if self.starting:
                state["Health"], self.starting = {"Status": "starting"}, False
        self.attrs["State"] = state
        self.attrs["NetworkSettings"]["Networks"] = {
            network: {"Aliases": list(names), "IPAddress": self.address}
            for network, names in self.aliases.items()
        }

    def start(self) -> None:
        self.engine.step("start", self)
        self.running = self.starting = True
        self.restarts += 1

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self, timeout: int = 10) -> None:
        self.engine.step("stop", self)
        self.running = False

    def remove(self, force: bool = False) -> None:
        self.engine.step("remove", self)
        assert force or not self.running, "the engine refuses to remove a running container"
        self.removed, self.running = True, False

    def rename(self, name: str) -> None:
        self.engine.step("rename", self)
        taken = [c for c in self.engine.alive() if c.actual == name and c is not self]
        assert not taken, f"the name {name} is taken"
        self.actual = name

    def logs(self, **kwargs: Any) -> bytes:
        return b"ModuleNotFoundError: No module named meetings\n"


NETWORKS = ["delaktig_default", "delaktig_backend"]


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pause between two looks at a starting container."""
    monkeypatch.setattr("stackops.rollout.time.sleep", lambda seconds: None)


class FakeNetwork:
    def __init__(self, engine: FakeEngine, name: str) -> None:
        self.engine, self.name = engine, name

    def connect(
        self, container: FakeContainer, aliases: list[str] | None = None, ipv4_address: str | None = None
    ) -> None:
        self.engine.step("connect", container)
        assert self.name not in container.aliases, "the engine refuses a second endpoint on one network"
        if ipv4_address and not self.engine.gives_addresses_back:
            raise RuntimeError("user specified IP address is supported only on networks with a subnet")
        if not ipv4_address:
            container.address = f"10.89.1.{len(self.engine.everything) + len(container.aliases)}"
        container.aliases[self.name] = list(aliases or [])
        self.engine.heard()

    def disconnect(self, container: FakeContainer, **kwargs: Any) -> None:
        self.engine.step("disconnect", container)
        del container.aliases[self.name]


class FakeEngine:
    """The SDK client's parts a rollout uses; `fail` makes one step of one container raise."""

    def __init__(self) -> None:
        self.everything: list[FakeContainer] = []
        self.fail: tuple[str, str, BaseException] | None = None
        self.new_health = "healthy"
        self.api = self
        self.containers = self
        self.networks = self
        # Every container the service's name led to while it was not (yet) healthy, and when.
        self.misled: list[str] = []
        self.gives_addresses_back = True

    def step(self, what: str, container: FakeContainer) -> None:
        if self.fail and self.fail[:2] == (what, container.actual):
            raise self.fail[2]
        self.heard()

    def heard(self) -> None:
        """What the service's name leads to now, on each network: only healthy, running containers."""
        for c in self.alive():
            answers = [n for n, names in c.aliases.items() if SERVICE in names]
            if c.running and answers and (c.starting or c.health != "healthy"):
                self.misled.append(f"{c.actual} ({'starting' if c.starting else c.health}) on {answers}")

    def alive(self) -> list[FakeContainer]:
        return [c for c in self.everything if not c.removed]

    def create_container_from_config(self, config: dict[str, Any], name: str) -> dict[str, str]:
        return self.create(config, name, self.new_health)

    def create(self, config: dict[str, Any], name: str, health: str) -> dict[str, str]:
        assert not [c for c in self.alive() if c.actual == name], f"the name {name} is taken"
        new = FakeContainer(self, name, image=config["Image"], health=health)
        new.running = False
        endpoints = (config.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
        new.aliases = {config["HostConfig"]["NetworkMode"]: []}
        for network, endpoint in endpoints.items():
            new.aliases[network] = list(endpoint.get("Aliases") or [])
        return {"Id": new.id}

    def get(self, ident: str) -> Any:
        if ident in NETWORKS:
            return FakeNetwork(self, ident)
        (found,) = [c for c in self.everything if c.id == ident]
        return found

    def serving(self) -> dict[str, str]:
        """Name -> image of every running container."""
        return {c.actual: c.attrs["Config"]["Image"] for c in self.alive() if c.running}


def replicas(engine: FakeEngine, count: int = 2) -> list[FakeContainer]:
    return [FakeContainer(engine, f"delaktig-meetings-{n}", image="old") for n in range(1, count + 1)]


def run(engine: FakeEngine, olds: list[FakeContainer], timeout: float = 5) -> str:
    out = io.StringIO()
    rollout(engine, olds, out, image="new", timeout=timeout)  # type: ignore[arg-type]
    return out.getvalue()


OLD_SERVING = {"delaktig-meetings-1": "old", "delaktig-meetings-2": "old"}


def test_each_replica_is_replaced_and_the_old_ones_are_removed_at_the_end() -> None:
    engine = FakeEngine()
    olds = replicas(engine)
    run(engine, olds)
    assert engine.serving() == {"delaktig-meetings-1": "new", "delaktig-meetings-2": "new"}
    assert all(old.removed for old in olds)
    assert len(engine.alive()) == 2, "nothing left over beside them"


def test_the_services_name_leads_to_a_replacement_only_once_it_is_healthy_on_every_network() -> None:
    engine = FakeEngine()
    olds = replicas(engine)
    run(engine, olds)
    assert engine.misled == [], "the gateway could have been sent to a container not ready to answer"
    for new in engine.alive():
        assert new.aliases == {network: [SERVICE] for network in NETWORKS}, new.actual
        assert new.address not in {old.address for old in olds}


def test_a_replacement_given_a_new_address_is_restarted_and_must_be_healthy_again() -> None:
    engine = FakeEngine()
    engine.gives_addresses_back = False
    olds = replicas(engine)
    run(engine, olds)
    assert engine.serving() == {"delaktig-meetings-1": "new", "delaktig-meetings-2": "new"}
    assert [new.restarts for new in engine.alive()] == [2, 2], "started, then restarted on its new address"
    # While it restarts the name leads to it, but it does not listen yet: a caller is refused and
    # takes another address. Never to one that was found unhealthy.
    assert engine.misled and all("(starting)" in seen for seen in engine.misled), engine.misled


def test_a_replacement_unhealthy_after_its_restart_on_a_new_address_is_rolled_back() -> None:
    engine = FakeEngine()
    engine.gives_addresses_back = False
    olds = replicas(engine, 1)
    original = FakeContainer.restart

    def restart_broken(container: FakeContainer) -> None:
        original(container)
        container.health = "unhealthy"

    FakeContainer.restart = restart_broken  # type: ignore[method-assign]
    try:
        with pytest.raises(RolloutFailed) as failed:
            run(engine, olds)
    finally:
        FakeContainer.restart = original  # type: ignore[method-assign]
    assert "after a restart on its new address" in str(failed.value)
    assert engine.serving() == {"delaktig-meetings-1": "old"}
    assert len(engine.alive()) == 1


def test_an_unhealthy_replacement_is_never_what_the_services_name_leads_to() -> None:
    engine = FakeEngine()
    olds = replicas(engine, 1)
    engine.new_health = "unhealthy"
    with pytest.raises(RolloutFailed):
        run(engine, olds)
    assert engine.misled == []
    assert engine.serving() == {"delaktig-meetings-1": "old"}


@pytest.mark.parametrize("step", ["start", "reload"])
def test_a_replacement_that_fails_to_start_or_is_interrupted_is_removed_and_the_old_one_serves(
    step: str,
) -> None:
    engine = FakeEngine()
    olds = replicas(engine, 1)
    failure: BaseException = KeyboardInterrupt() if step == "reload" else RuntimeError("no such network")
    engine.fail = (step, "delaktig-meetings-1-next", failure)
    with pytest.raises(type(failure)):
        run(engine, olds)
    assert engine.serving() == {"delaktig-meetings-1": "old"}
    assert len(engine.alive()) == 1, "no replacement left running beside it"


def test_when_the_second_replica_fails_the_first_goes_back_to_its_old_container() -> None:
    engine = FakeEngine()
    olds = replicas(engine)
    engine.fail = ("reload", "delaktig-meetings-2-next", RuntimeError("the engine went away"))
    with pytest.raises(RuntimeError):
        run(engine, olds)
    assert engine.serving() == OLD_SERVING, "never two versions"
    assert {c.id for c in engine.alive()} == {old.id for old in olds}


def test_an_unhealthy_second_replica_rolls_the_whole_service_back_and_says_so() -> None:
    engine = FakeEngine()
    olds = replicas(engine)

    def create(config: dict[str, Any], name: str) -> dict[str, str]:
        return engine.create(config, name, "healthy" if "-1" in name else "unhealthy")

    engine.create_container_from_config = create  # type: ignore[method-assign]
    with pytest.raises(RolloutFailed) as failed:
        run(engine, olds)
    assert engine.serving() == OLD_SERVING
    assert "delaktig-meetings-2 keeps serving on its old image (rolled back)" in str(failed.value)
    assert "delaktig-meetings-1 is back on its old container too" in str(failed.value)
    assert "No module named meetings" in str(failed.value), "the replacement's last lines"


def test_a_failure_while_the_names_are_swapped_leaves_the_old_one_serving() -> None:
    engine = FakeEngine()
    olds = replicas(engine, 1)
    engine.fail = ("rename", "delaktig-meetings-1", RuntimeError("rename refused"))
    with pytest.raises(RuntimeError):
        run(engine, olds)
    assert engine.serving() == {"delaktig-meetings-1": "old"}
    assert len(engine.alive()) == 1


def test_an_unhealthy_replacement_is_not_waited_for_until_the_timeout() -> None:
    engine = FakeEngine()
    (container,) = replicas(engine, 1)
    container.health = "unhealthy"
    ticks = iter(range(1000))
    assert wait_healthy(container, 500, clock=lambda: float(next(ticks)), pause=0) == "unhealthy"
    assert next(ticks) < 5
