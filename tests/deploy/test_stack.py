"""The compose stack on a real container engine: it comes up, works end to end, and keeps services apart."""

from __future__ import annotations

import re
import subprocess
import textwrap

import docker
import pytest


def exec_python(stack, service: str, code: str) -> tuple[int, str]:
    """Run `code` with the service image's Python inside the service's running container."""
    client = docker.from_env()
    (container,) = client.containers.list(
        filters={
            "label": [f"com.docker.compose.project={stack.project}", f"com.docker.compose.service={service}"]
        }
    )
    code_, output = container.exec_run(["python", "-c", textwrap.dedent(code)])
    return code_, output.decode("utf-8", "replace")


def test_compose_file_validates(stack):
    assert stack.compose("config", "-q").returncode == 0


def test_every_container_runs_and_is_healthy(stack):
    result = stack.stackops("status")
    assert result.returncode == 0, result.stdout + result.stderr
    for service in ("postgres", "nats", "mailpit", "meetings", "events", "volunteers", "notify", "gateway"):
        assert service in result.stdout
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    # Each container's health, restarts and uptime.
    assert lines[0] == "SERVICE REPLICA CONTAINER STATE HEALTH RESTARTS UPTIME", result.stdout
    assert any(re.fullmatch(r"meetings 1 \S+ running healthy \d+ \d+[smhd]\w*", row) for row in lines), lines
    # What flows: provisioned streams, notify's durable on MEETINGS, every outbox, the dead letters.
    for line in ("MEETINGS", "EVENTS", "VOLUNTEERS", "NOTIFY", "GATEWAY", "DEADLETTER"):
        assert any(row.startswith(f"{line} ") and row.endswith(" -") for row in lines), result.stdout
    durables = ("MEETINGS notify", "EVENTS notify", "VOLUNTEERS notify")
    durables += ("EVENTS volunteers", "NOTIFY volunteers")
    for durable in durables:
        assert any(row.startswith(f"{durable} ") for row in lines), result.stdout
    for database in ("meetings", "events", "volunteers", "notify", "gateway"):
        assert any(re.fullmatch(rf"{database} \d+ \d+", row) for row in lines), result.stdout
    assert "No dead letters." in result.stdout


def test_every_service_in_compose_runs_healthy(stack):
    listed = set(stack.compose("config", "--services").stdout.split())
    client = docker.from_env()
    running = client.containers.list(filters={"label": f"com.docker.compose.project={stack.project}"})
    health = {
        c.labels["com.docker.compose.service"]: (c.attrs["State"].get("Health") or {}).get("Status")
        for c in running
    }
    one_shots = {name for name in listed if name.endswith(("-migrate", "-provision")) or name == "demo"}
    assert set(health) == listed - one_shots, (listed, health)
    unhealthy = {name: status for name, status in health.items() if name != "mailpit" and status != "healthy"}
    assert not unhealthy, unhealthy


DEMO_EVENT = "CurioCity Mashup"
PROXY = {"X-Forwarded-Proto": "https"}


def psql(stack, database: str, query: str) -> str:
    (postgres,) = stack.containers("postgres")
    argv = ["psql", "-U", "postgres", "-d", database, "-At", "-c", query]
    code, output = postgres.exec_run(argv, user="postgres")
    assert code == 0, output.decode()
    return output.decode().strip()


def demo_counts(stack) -> dict[str, str]:
    return {
        "meetings": psql(stack, "meetings", "SELECT count(*) FROM meetings"),
        "minutes": psql(stack, "meetings", "SELECT count(*) FROM imports"),
        "events": psql(stack, "events", "SELECT count(*) FROM events"),
        "pools": psql(stack, "volunteers", "SELECT count(*) FROM pools"),
        "volunteers": psql(stack, "volunteers", "SELECT count(*) FROM volunteers"),
    }


def test_the_demo_data_asked_for_is_loaded_once_and_a_demo_event_page_answers_through_the_gateway(stack):
    import httpx

    first = stack.one_shot_done("demo")
    output = first.logs().decode("utf-8", "replace")
    assert "events published" in output and "old minutes imported" in output, output
    assert "volunteer pools" in output, output
    counts = demo_counts(stack)
    assert all(int(n) > 0 for n in counts.values()), counts

    listing = httpx.get(stack.gateway_url + "/evenemang", headers=PROXY, timeout=30)
    assert listing.status_code == 200, listing.text[:2000]
    found = re.search(rf'href="(/evenemang/[0-9a-f-]{{36}})">{DEMO_EVENT}</a>', listing.text)
    assert found, listing.text[:3000]
    page = httpx.get(stack.gateway_url + found.group(1), headers=PROXY, timeout=30)
    assert page.status_code == 200 and DEMO_EVENT in page.text, page.text[:2000]

    # A second `up` runs the one-shot again, and it adds nothing.
    stack.compose("up", "-d", "--no-build")
    again = stack.one_shot_done("demo", after=first.attrs["State"]["FinishedAt"])
    output = again.logs().decode("utf-8", "replace")
    assert output.count("events published") == 1, output
    assert demo_counts(stack) == counts
    stack.wait_until_fine()


@pytest.mark.parametrize("path", ["/evenemang", "/volontar/erbjudande/ja?token=not-a-token"])
def test_the_gateways_events_and_volunteers_pages_answer_through_the_stack(stack, path):
    import httpx

    response = httpx.get(stack.gateway_url + path, headers={"X-Forwarded-Proto": "https"}, timeout=30)
    # A 502 or 503 would be the gateway not reaching the service behind the page.
    assert response.status_code < 500, (response.status_code, response.text[:2000])
    assert "<html" in response.text.lower()


def test_only_the_gateway_is_published(stack):
    client = docker.from_env()
    published = {
        c.labels["com.docker.compose.service"]
        for c in client.containers.list(filters={"label": f"com.docker.compose.project={stack.project}"})
        if any((c.attrs.get("NetworkSettings") or {}).get("Ports", {}).values())
        and any(b for b in c.attrs["NetworkSettings"]["Ports"].values() if b)
    }
    assert published == {"gateway"}


def test_smoke_schedules_a_meeting_through_the_gateway_and_its_email_arrives(stack):
    result = stack.stackops("smoke", "--timeout", "120")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The invitation reached" in result.stdout
    assert "Cleaned up: meeting" in result.stdout and "deactivated" in result.stdout, result.stdout


def test_a_backup_of_every_service_database_restores(stack, tmp_path):
    made = stack.stackops("backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stdout + made.stderr
    names = sorted(p.name for p in (tmp_path / "backup").iterdir())
    assert names == [
        "events.dump",
        "gateway.dump",
        "globals.sql",
        "manifest.json",
        "meetings.dump",
        "notify.dump",
        "volunteers.dump",
    ]
    assert b"CREATE ROLE meetings" in (tmp_path / "backup" / "globals.sql").read_bytes()
    # The system goes on writing after the backup: the drill compares the restored copies with what
    # the backup held (its manifest), not with the live databases, so this does not fail it.
    psql(stack, "meetings", "CREATE TABLE written_after_backup AS SELECT 1 AS n")
    try:
        drill = stack.stackops("restore", str(tmp_path / "backup"), "--drill")
    finally:
        psql(stack, "meetings", "DROP TABLE written_after_backup")
    assert drill.returncode == 0, drill.stdout + drill.stderr
    for database in ("meetings", "events", "volunteers", "notify", "gateway"):
        assert f"{database}: restores" in drill.stdout
    # No session that held a dump's snapshot is left behind.
    assert (
        psql(
            stack,
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'stackops-backup-%'",
        )
        == "0"
    )


def test_a_restore_from_a_folder_without_dumps_says_so(stack, tmp_path):
    result = stack.stackops("restore", str(tmp_path), "--drill")
    assert result.returncode == 1
    assert "has no dump of meetings, events, volunteers, notify, gateway" in result.stderr


def test_the_service_images_run_as_an_unprivileged_user(stack):
    code, output = exec_python(stack, "meetings", "import os; print(os.getuid())")
    assert (code, output.strip()) == (0, "10001")


CONNECT = """
import asyncio, os, asyncpg
async def main():
    own = os.environ["MEETINGS_DATABASE_URL"]
    conn = await asyncpg.connect(own)
    print("own:", await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") > 0)
    await conn.close()
    other = own.rsplit("/", 1)[0] + "/{database}"
    try:
        await asyncpg.connect(other)
        print("other: connected")
    except asyncpg.PostgresError as exc:
        print("other:", type(exc).__name__, exc)
asyncio.run(main())
"""


@pytest.mark.parametrize("database", ["notify", "gateway", "postgres", "template1"])
def test_a_services_role_cannot_connect_to_another_services_database(stack, database):
    code, output = exec_python(stack, "meetings", CONNECT.format(database=database))
    assert code == 0, output
    assert "own: True" in output, output
    assert "other: InsufficientPrivilegeError" in output, output
    assert "permission denied for database" in output, output


def test_a_services_role_is_no_superuser(stack):
    code, output = exec_python(
        stack,
        "meetings",
        """
        import asyncio, os, asyncpg
        async def main():
            conn = await asyncpg.connect(os.environ["MEETINGS_DATABASE_URL"])
            print(await conn.fetchval(
                "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
            ))
        asyncio.run(main())
        """,
    )
    assert (code, output.strip()) == (0, "False"), output


PUBLISH = """
import asyncio, os, nats
async def main():
    errors = []
    async def on_error(exc):
        errors.append(str(exc))
    nc = await nats.connect(
        os.environ["{service}_NATS_URL".upper()], error_cb=on_error, max_reconnect_attempts=1,
        inbox_prefix="_INBOX.{service}",
    )
    await {call}
    await nc.flush(timeout=5)
    await asyncio.sleep(0.5)  # the server's -ERR arrives after the flush's PONG at the latest
    print("errors:", errors)
    await nc.close()
asyncio.run(main())
"""


def nats_as(stack, service: str, subject: str, action: str = "publish") -> str:
    """What the server says when `service`'s user publishes to (or subscribes to) `subject`."""
    call = f'nc.publish("{subject}", b"{{}}")' if action == "publish" else f'nc.subscribe("{subject}")'
    code, output = exec_python(stack, service, PUBLISH.format(service=service, call=call))
    assert code == 0, output
    return output


def test_a_services_nats_user_cannot_publish_under_another_services_prefix(stack):
    output = nats_as(stack, "meetings", "notify.email.sent.v1")
    assert 'permissions violation for publish to "notify.email.sent.v1"' in output, output


@pytest.mark.parametrize(
    ("service", "subject"),
    [
        ("meetings", "$JS.API.STREAM.DELETE.NOTIFY"),
        # Its own stream and the dead letters too: the migrate one-shot provisions them as ops.
        ("meetings", "$JS.API.STREAM.CREATE.MEETINGS"),
        ("meetings", "$JS.API.STREAM.UPDATE.MEETINGS"),
        ("meetings", "$JS.API.STREAM.DELETE.MEETINGS"),
        ("meetings", "$JS.API.STREAM.UPDATE.DEADLETTER"),
        ("meetings", "$JS.API.STREAM.PURGE.DEADLETTER"),
        ("notify", "$JS.API.CONSUMER.CREATE.MEETINGS.notify"),
        ("notify", "$JS.API.CONSUMER.DURABLE.CREATE.MEETINGS.notify"),
        ("notify", "$JS.API.CONSUMER.CREATE.MEETINGS"),
        ("notify", "$JS.API.CONSUMER.DELETE.MEETINGS.notify"),
    ],
)
def test_a_services_nats_user_cannot_make_or_change_streams_or_consumers(stack, service, subject):
    output = nats_as(stack, service, subject)
    # nats-py gives the server's -ERR in small letters.
    assert f'permissions violation for publish to "{subject.lower()}"' in output, output


def test_a_service_cannot_read_another_services_replies(stack):
    output = nats_as(stack, "meetings", "_INBOX.notify.>", action="subscribe")
    assert 'permissions violation for subscription to "_inbox.notify.>"' in output, output


def test_a_rollout_that_does_not_become_healthy_is_rolled_back(stack, images):
    # The mail stand-in cannot run meetings: its replacement exits, and the old container stays.
    result = stack.stackops("rollout", "meetings", "--image", images["MAIL_IMAGE"], "--timeout", "60")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "keeps serving on its old image (rolled back)" in result.stdout
    assert "No module named meetings" in result.stdout, "the replacement's last lines are shown"
    assert "meetings" in stack.wait_until_fine()


@pytest.mark.parametrize(
    ("service", "because"),
    [
        ("gateway", "publishes a port on the host"),
        ("postgres", "keeps data in"),
        ("nats", "keeps data in"),
        ("mailpit", "has no healthcheck"),
    ],
)
def test_a_rollout_refuses_what_cannot_run_twice_side_by_side(stack, service, because):
    result = stack.stackops("rollout", service, "--timeout", "5")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{service} cannot be rolled out" in result.stderr and because in result.stderr, result.stderr
    assert "docker compose up -d --no-deps" in result.stderr


def test_a_rollout_replaces_each_container_once_it_is_healthy(stack):
    before = docker.from_env().containers.list(
        filters={
            "label": [f"com.docker.compose.project={stack.project}", "com.docker.compose.service=meetings"]
        }
    )
    result = stack.stackops("rollout", "meetings", "--timeout", "120")
    assert result.returncode == 0, result.stdout + result.stderr
    after = docker.from_env().containers.list(
        filters={
            "label": [f"com.docker.compose.project={stack.project}", "com.docker.compose.service=meetings"]
        }
    )
    assert [c.name for c in after] == [c.name for c in before]
    assert {c.id for c in after}.isdisjoint({c.id for c in before}), "new containers, same names"
    for old, new in zip(before, after, strict=True):
        for key in (
            "ReadonlyRootfs",
            "Tmpfs",
            "SecurityOpt",
            "CapDrop",
            "PidsLimit",
            "Memory",
            "NanoCpus",
            "RestartPolicy",
        ):
            assert new.attrs["HostConfig"].get(key) == old.attrs["HostConfig"].get(key), key
        # The engine keeps the environment in an order of its own.
        assert sorted(new.attrs["Config"]["Env"]) == sorted(old.attrs["Config"]["Env"])
        for key in ("Cmd", "Labels", "Healthcheck", "StopTimeout", "User"):
            assert new.attrs["Config"].get(key) == old.attrs["Config"].get(key), key
        networks = new.attrs["NetworkSettings"]["Networks"]
        assert set(networks) == set(old.attrs["NetworkSettings"]["Networks"])
        for network, endpoint in networks.items():
            assert "meetings" in (endpoint.get("Aliases") or []), f"reached as meetings on {network}"
    smoke = stack.stackops("smoke", "--timeout", "120")
    assert smoke.returncode == 0, "the gateway reaches the new meetings container: " + smoke.stdout


def test_a_killed_service_comes_back_with_restart(stack):
    killed = stack.stackops("kill", "notify")
    assert killed.returncode == 0, killed.stderr
    assert stack.stackops("status").returncode == 3
    assert stack.stackops("restart", "notify").returncode == 0
    status = stack.wait_until_fine()
    assert "notify" in status and "unhealthy" not in status


def test_logs_since_leaves_out_older_lines(stack):
    recent = stack.stackops("logs", "notify", "--since", "1s", "--tail", "1000")
    everything = stack.stackops("logs", "notify", "--tail", "1000")
    assert recent.returncode == everything.returncode == 0
    assert len(recent.stdout) < len(everything.stdout)


def test_logs_shows_what_a_service_wrote(stack):
    result = stack.stackops("logs", "meetings", "--tail", "50")
    assert result.returncode == 0, result.stderr
    assert '"service": "meetings"' in result.stdout


def test_a_missing_service_is_named_with_the_ones_there_are(stack):
    result = stack.stackops("logs", "nosuchservice")
    assert result.returncode == 1
    assert "has no service 'nosuchservice'" in result.stderr and "gateway" in result.stderr


def test_teardown_command_is_valid(stack):
    # `down` itself runs in the fixture's teardown; here only that compose knows the project.
    result = stack.compose("ps", "-q")
    assert result.stdout.strip(), "compose lists the project's containers"
    assert subprocess.run(["true"]).returncode == 0
