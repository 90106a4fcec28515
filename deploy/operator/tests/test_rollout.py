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
            "NetworkSettings": {"Networks": {"delaktig_default": {}}},
            "Mounts": [],
        }
        self.labels = self.attrs["Config"]["Labels"]
        self.removed = False
        engine.everything.append(self)

    @property
    def status(self) -> str:
        return "running" if self.running else "exited"

    def reload(self) -> None:
        self.engine.step("reload", self)
        self.name = self.actual
        state: dict[str, Any] = {"Status": self.status}
        if self.running:
            state["Health"] = {"Status": self.health}
        self.attrs["State"] = state

    def start(self) -> None:
        self.engine.step("start", self)
        self.running = True

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


class FakeEngine:
    """The SDK client's parts a rollout uses; `fail` makes one step of one container raise."""

    def __init__(self) -> None:
        self.everything: list[FakeContainer] = []
        self.fail: tuple[str, str, BaseException] | None = None
        self.new_health = "healthy"
        self.api = self
        self.containers = self
        self.networks = self

    def step(self, what: str, container: FakeContainer) -> None:
        if self.fail and self.fail[:2] == (what, container.actual):
            raise self.fail[2]

    def alive(self) -> list[FakeContainer]:
        return [c for c in self.everything if not c.removed]

    def create_container_from_config(self, config: dict[str, Any], name: str) -> dict[str, str]:
        assert not [c for c in self.alive() if c.actual == name], f"the name {name} is taken"
        new = FakeContainer(self, name, image=config["Image"], health=self.new_health)
        new.running = False
        return {"Id": new.id}

    def get(self, ident: str) -> FakeContainer:
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
        health = "healthy" if "-1" in name else "unhealthy"
        new = FakeContainer(engine, name, image=config["Image"], health=health)
        new.running = False
        return {"Id": new.id}

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
