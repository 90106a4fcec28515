"""What docker-compose.yml means without an engine: `docker-compose config` of a production .env."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("deploy_tests_envfile", Path(__file__).parent / "envfile.py")
assert _spec is not None and _spec.loader is not None
envfile = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = envfile
_spec.loader.exec_module(envfile)

PRODUCTION_ONLY = ("COMPOSE_PROFILES", "NOTIFY_SMTP_ALLOW_PLAIN")
COMPOSE = shutil.which("docker-compose")

# `make test-deploy` installs docker-compose first; a clean machine's `make test` has none yet.
pytestmark = pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed")


def _parsed(text: str) -> Any:
    """The YAML `config` prints, read by docker-compose's own Python (it has PyYAML; our venv not)."""
    assert COMPOSE is not None
    interpreter = Path(COMPOSE).read_text(errors="replace").splitlines()[0].removeprefix("#!").split()
    result = subprocess.run(
        [*interpreter, "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def _config(tmp_path: Path, *args: str, dev: bool) -> str:
    env = envfile.values(images={}, publish="127.0.0.1:8000", project="delaktigconfig")
    if not dev:
        env = {k: v for k, v in env.items() if k not in PRODUCTION_ONLY}
    path = envfile.write(tmp_path / "prod.env", env)
    result = subprocess.run(
        ["docker-compose", "--env-file", str(path), "-f", "docker-compose.yml", "config", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _plain(config: str) -> list[str]:
    return re.findall(r"NOTIFY_SMTP_ALLOW_PLAIN: ['\"]?(\w+)", config)


def test_production_has_no_mail_catcher_and_no_plain_smtp(tmp_path):
    # docker-compose 1.29 lists a profile's services in `config` whichever profiles are active:
    # that the dev profile is left out without COMPOSE_PROFILES is tested on the engine
    # (test_stack.py); here, that mailpit is in that profile only.
    config = _config(tmp_path, dev=False)
    assert _parsed(config)["services"]["mailpit"]["profiles"] == ["dev"]
    assert _plain(config) == ["false"] * 2, "notify and its one-shot"


def test_the_dev_profile_brings_the_mail_catcher_and_allows_plain_smtp_to_it(tmp_path):
    assert _plain(_config(tmp_path, dev=True)) == ["true"] * 2
    example = (ROOT / "deploy" / "env.example").read_text()
    assert re.findall(r"^(COMPOSE_PROFILES=dev|NOTIFY_SMTP_ALLOW_PLAIN=true)$", example, re.M) == [
        "COMPOSE_PROFILES=dev",
        "NOTIFY_SMTP_ALLOW_PLAIN=true",
    ], "a copy of env.example works the first time, with Mailpit"


def test_the_service_image_is_built_here_never_pulled(tmp_path):
    config = _config(tmp_path, dev=False)
    built = re.findall(r"^    image: (\S+)\n((?:      .*\n|    (?!image).*\n)*)", config, re.M)
    ours = [(image, body) for image, body in built if "delaktig/service" in image]
    # Five services, their five migrate one-shots, volunteers' and events' second provisioning
    # steps, the demo.
    assert len(ours) == 13, config
    for image, _body in ours:
        assert image.startswith("localhost/"), image
    assert config.count("pull_policy: build") == 13, config


def test_the_demo_one_shot_waits_for_the_services_and_loads_only_when_asked(tmp_path):
    services = _parsed(_config(tmp_path, dev=False))["services"]
    demo = services["demo"]
    assert demo["command"] == ["devstack.compose_demo"]
    assert demo["restart"] == "no"
    assert {name: c["condition"] for name, c in demo["depends_on"].items()} == {
        "meetings": "service_healthy",
        "events": "service_healthy",
        "volunteers": "service_healthy",
    }
    # Only in the demo profile: without it there is no demo container, and so no container but the
    # gateway with the identity signing key (that the profile is left out is tested on the engine,
    # test_stack_cluster.py: docker-compose 1.29's `config` lists every profile's services).
    assert demo["profiles"] == ["demo"]
    holders = {
        name
        for name, service in services.items()
        if "BEGIN PRIVATE KEY" in json.dumps(service.get("environment") or {})
        and "demo" not in (service.get("profiles") or [])
    }
    assert holders == {"gateway", "gateway-migrate"}, holders
    assert demo["environment"]["DEMO_IDENTITY_SIGNING_KEY"].startswith("-----BEGIN PRIVATE KEY-----")
    # The demo's meetings invite made-up people: it loads only while notify sends to Mailpit.
    assert demo["environment"]["DEMO_SMTP_HOST"] == "mailpit"
    example = (ROOT / "deploy" / "env.example").read_text()
    assert re.findall(r"^# COMPOSE_PROFILES=dev,demo$", example, re.M), "documented, and off in a copy of it"


def test_nats_monitoring_listens_on_loopback_only():
    text = (ROOT / "deploy" / "nats.conf").read_text()
    assert re.findall(r"^http:\s*(\S+)", text, re.M) == ["127.0.0.1:8222"]


def test_streams_are_provisioned_by_the_migrate_one_shots_as_ops_and_only_checked_by_services(tmp_path):
    services = _parsed(_config(tmp_path, dev=False))["services"]
    for name in ("meetings", "events", "volunteers", "notify", "gateway"):
        one_shot, service = services[f"{name}-migrate"], services[name]
        assert one_shot["command"] == [name, "migrate", "--provision"]
        assert one_shot["environment"][f"{name.upper()}_NATS_URL"].startswith("nats://ops:")
        assert service["environment"][f"{name.upper()}_NATS_URL"].startswith(f"nats://{name}:")
        assert service["environment"][f"{name.upper()}_MANAGE_STREAMS"] == "false"
        reads = {
            "notify": {"meetings-migrate", "events-migrate", "volunteers-migrate"},
            "volunteers": {"events-migrate"},
        }.get(name, set())
        assert set(one_shot["depends_on"]) == {"postgres", "nats"} | reads, "the streams it reads first"
    # Volunteers' durable on NOTIFY once notify made that stream (notify reads VOLUNTEERS too).
    last = services["volunteers-provision"]
    assert last["command"] == ["volunteers", "provision"]
    assert last["environment"]["VOLUNTEERS_NATS_URL"].startswith("nats://ops:")
    assert set(last["depends_on"]) == {"postgres", "nats", "volunteers-migrate", "notify-migrate"}
    assert set(services["volunteers"]["depends_on"]) == {"postgres", "nats", "volunteers-provision"}
    # Events' durable on VOLUNTEERS once volunteers made that stream (volunteers reads EVENTS too).
    assert services["events-migrate"]["environment"]["EVENTS_ANSWERS_RIGHTS_REQUESTS"] == "false"
    second = services["events-provision"]
    assert second["command"] == ["events", "provision"]
    assert second["environment"]["EVENTS_NATS_URL"].startswith("nats://ops:")
    assert "EVENTS_ANSWERS_RIGHTS_REQUESTS" not in second["environment"]
    assert set(second["depends_on"]) == {"postgres", "nats", "events-migrate", "volunteers-migrate"}
    assert set(services["events"]["depends_on"]) == {"postgres", "nats", "events-provision"}


def test_each_services_stream_is_capped_so_that_all_of_them_leave_room_in_the_nats_store(tmp_path):
    services = _parsed(_config(tmp_path, dev=False))["services"]
    store = re.search(r"max_file_store:\s*(\d+)GB", (ROOT / "deploy" / "nats.conf").read_text())
    assert store is not None
    capped = 0
    for name in ("meetings", "events", "volunteers", "notify", "gateway"):
        limit = int(services[f"{name}-migrate"]["environment"][f"{name.upper()}_STREAM_MAX_BYTES"])
        assert limit > 0, f"{name}'s stream has no size limit"
        capped += limit
    # One service flooding its own stream stops only its own publishing; the dead letters keep room.
    assert capped <= 0.75 * int(store.group(1)) * 1000**3


def test_the_cluster_routes_need_a_password(tmp_path):
    env = envfile.values(images={}, publish="127.0.0.1:8000", project="delaktigconfig")
    path = envfile.write(tmp_path / "cluster.env", env)
    result = subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(path),
            "-f",
            "docker-compose.yml",
            "-f",
            "docker-compose.cluster.yml",
            "config",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")},
    )
    assert result.returncode == 0, result.stderr
    services = _parsed(result.stdout)["services"]
    password = env["NATS_ROUTE_PASSWORD"]
    for node in ("nats", "nats-2", "nats-3"):
        assert services[node]["command"] == ["-c", "/etc/nats/nats-cluster.conf"]
        routes = [v for k, v in services[node]["environment"].items() if k.startswith("NATS_ROUTE_")]
        assert f"nats://route:{password}@nats-3:6222" in routes, routes
    conf = (ROOT / "deploy" / "nats-cluster.conf").read_text()
    assert re.search(r"authorization \{\s*user: route\s*password: \$NATS_ROUTE_PASSWORD", conf)


def test_the_service_containers_and_one_shots_hold_no_linux_capability_and_few_processes(tmp_path):
    services = _parsed(_config(tmp_path, dev=False))["services"]
    ours = {name: s for name, s in services.items() if "delaktig/service" in s["image"]}
    assert len(ours) == 13
    for name, service in ours.items():
        # uid 10001, ports above 1024, no chown or setuid: nothing a capability would be needed for.
        assert service.get("cap_drop") == ["ALL"], name
        assert "cap_add" not in service, name
        assert 0 < int(service.get("pids_limit", 0)) <= 1024, name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        assert service["read_only"] is True, name


def test_postgres_nats_and_mailpit_are_hardened_too_and_pulled_only_when_not_present(tmp_path):
    services = _parsed(_config(tmp_path, dev=False))["services"]
    for name in ("postgres", "nats", "mailpit"):
        service = services[name]
        assert service.get("cap_drop") == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        assert service["read_only"] is True and "/tmp" in service["tmpfs"], name
        assert 0 < int(service.get("pids_limit", 0)) <= 1024, name
        assert service["pull_policy"] == "if_not_present", name
    # Only PostgreSQL's entrypoint needs some: it hands its data folder to the postgres user.
    assert sorted(services["postgres"]["cap_add"]) == ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"]
    assert "cap_add" not in services["nats"] and "cap_add" not in services["mailpit"]


def test_the_cluster_nodes_are_hardened_as_nats_is(tmp_path):
    env = envfile.values(images={}, publish="127.0.0.1:8000", project="delaktigconfig")
    path = envfile.write(tmp_path / "cluster.env", env)
    result = subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(path),
            "-f",
            "docker-compose.yml",
            "-f",
            "docker-compose.cluster.yml",
            "config",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")},
    )
    assert result.returncode == 0, result.stderr
    services = _parsed(result.stdout)["services"]
    for node in ("nats", "nats-2", "nats-3"):
        assert services[node].get("cap_drop") == ["ALL"], node
        assert services[node]["read_only"] is True, node
        assert services[node]["security_opt"] == ["no-new-privileges:true"], node
