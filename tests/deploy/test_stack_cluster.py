"""The cluster override: three NATS nodes, streams with three replicas, two replicas of each service."""

from __future__ import annotations

import json
import secrets
import textwrap
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import docker


def containers(stack, service: str) -> list:
    return docker.from_env().containers.list(
        filters={
            "label": [f"com.docker.compose.project={stack.project}", f"com.docker.compose.service={service}"]
        }
    )


def test_three_nats_nodes_and_two_replicas_of_each_service_run_healthy(cluster):
    status = cluster.wait_until_fine()
    expected = {"nats": 1, "nats-2": 1, "nats-3": 1, "meetings": 2, "events": 2, "volunteers": 2, "notify": 2}
    for service, count in expected.items():
        assert len(containers(cluster, service)) == count, status


def test_every_stream_has_three_replicas(cluster):
    code = textwrap.dedent(
        """
        import asyncio, os, nats
        async def main():
            # Replies come only to meetings' own inbox (deploy/nats.conf). Resolving `nats` alone
            # can take longer than the client's 2 s by default on a busy machine.
            nc = await nats.connect(
                os.environ["MEETINGS_NATS_URL"], inbox_prefix="_INBOX.meetings", connect_timeout=15
            )
            info = await nc.jetstream().stream_info("MEETINGS")
            print(info.config.num_replicas, len(info.cluster.replicas or []) + 1)
            await nc.close()
        asyncio.run(main())
        """
    )
    # Standard output only: nats-py reports a node it could not reach in time on standard error, and
    # then connects to the next one.
    exit_code, (out, errors) = containers(cluster, "meetings")[0].exec_run(["python", "-c", code], demux=True)
    said = (out or b"").decode()
    assert (exit_code, said.split()) == (0, ["3", "3"]), said + (errors or b"").decode()


def test_without_the_demo_profile_no_demo_data_is_loaded_and_only_the_gateway_holds_its_key(cluster):
    assert cluster.containers("demo", all=True) == [], "no demo container without the profile"
    (postgres,) = cluster.containers("postgres")
    argv = ["psql", "-U", "postgres", "-d", "events", "-At", "-c", "SELECT count(*) FROM events"]
    code, output = postgres.exec_run(argv, user="postgres")
    assert (code, output.decode().strip()) == (0, "0")
    key = cluster.env["GATEWAY_IDENTITY_SIGNING_KEY"].strip('"').splitlines()[1]
    everything = docker.from_env().containers.list(
        all=True, filters={"label": f"com.docker.compose.project={cluster.project}"}
    )
    holders = {
        c.labels["com.docker.compose.service"]
        for c in everything
        if any(key in value for value in c.attrs["Config"]["Env"] or [])
    }
    assert holders == {"gateway", "gateway-migrate"}, holders


class Staff:
    """An administrator signed in through the gateway's published port, as `stackops smoke` signs in."""

    def __init__(self, stack) -> None:
        from stackops.smoke import PAGE_CSRF, SIGN_IN_CSRF, Browser, _found, create_user, published_url

        (gateway,) = containers(stack, "gateway")
        email, password = f"cluster-{secrets.token_hex(4)}@example.se", secrets.token_urlsafe(18)
        create_user(gateway, email, password, name="Klustertest")
        self.browser = Browser(published_url(gateway))
        token = _found(SIGN_IN_CSRF, self.browser.request("GET", "/sign-in"), "sign-in page")
        form = {"email": email, "password": password, "csrf_token": token, "next": "/"}
        assert self.browser.request("POST", "/sign-in", data=form).status_code == 303
        self.csrf = _found(PAGE_CSRF, self.browser.request("GET", "/"), "start page")

    def schedule(self, invitees: list[str]) -> None:
        """One meeting per address, each with that one invitee: one event, and one email, each."""
        starts = datetime.now(UTC) + timedelta(days=7)
        for n, address in enumerate(invitees):
            body = {
                "title": f"Klustertest {n}",
                "group_name": "Klustertest",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
                "place": "Bryggan",
                "invitees": [{"name": "Klustertest", "email": address}],
            }
            headers = {"X-CSRF-Token": self.csrf}
            created = self.browser.request("POST", "/api/meetings/v1/meetings", json=body, headers=headers)
            assert created.status_code == 201, created.text[:500]


def received(stack, addresses: list[str]) -> list[dict]:
    """What the mail relay was handed for `addresses`, copies included: the stand-in's attempts log."""
    (mail,) = containers(stack, "mailpit")
    code, output = mail.exec_run(["cat", "/tmp/sink-attempts.jsonl"])
    assert code == 0, output.decode()
    wanted = set(addresses)
    entries = [json.loads(line) for line in output.decode().splitlines() if line.strip()]
    return [e for e in entries if e["stage"] == "DATA" and e["reply"] == "250" and wanted & set(e["to"])]


def delivered_once(stack, addresses: list[str], timeout: float = 240) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(got := received(stack, addresses)) < len(addresses):
        assert time.monotonic() < deadline, f"{len(got)} of {len(addresses)} emails arrived"
        time.sleep(2)
    time.sleep(3)  # a copy sent late would show now; the attempts log keeps every one
    got = received(stack, addresses)
    assert sorted(a for e in got for a in e["to"]) == sorted(addresses), "each address one email"
    copies = [m for m, k in Counter(e["message_id"] for e in got).items() if k > 1]
    assert not copies, f"sent twice: {copies}"
    return got


def queued_by_replica(stack, since: datetime) -> dict[str, list[str]]:
    """The invitation events each notify replica handled since `since`, from its log lines."""
    handled = {}
    for container in containers(stack, "notify"):
        lines = container.logs(since=since).decode("utf-8", "replace").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        handled[container.name] = [
            e["event_id"]
            for e in entries
            if e.get("event") == "emails queued" and e.get("template") == "meeting_scheduled"
        ]
    return handled


def test_the_two_notify_replicas_share_the_events_and_each_is_handled_once(cluster):
    since = datetime.now(UTC) - timedelta(seconds=5)
    addresses = [f"share-{secrets.token_hex(3)}-{n}@example.se" for n in range(20)]
    Staff(cluster).schedule(addresses)
    delivered_once(cluster, addresses)
    handled = queued_by_replica(cluster, since)
    events = [event for replica in handled.values() for event in replica]
    assert len(events) == len(set(events)) == len(addresses), handled
    assert all(handled.values()), f"both replicas did some of the work: {handled}"


def stream_leader(stack, stream: str) -> str:
    code = textwrap.dedent(
        f"""
        import asyncio, os, nats
        async def main():
            nc = await nats.connect(
                os.environ["MEETINGS_NATS_URL"], inbox_prefix="_INBOX.meetings", connect_timeout=15
            )
            print((await nc.jetstream().stream_info("{stream}")).cluster.leader)
            await nc.close()
        asyncio.run(main())
        """
    )
    exit_code, output = containers(stack, "meetings")[0].exec_run(["python", "-c", code])
    assert exit_code == 0, output.decode()
    return output.decode().strip()


def test_the_system_works_with_the_leader_of_the_meetings_stream_stopped(cluster):
    assert cluster.stackops("smoke", "--timeout", "120").returncode == 0
    # Server names are nats-1 (the service `nats`), nats-2 and nats-3: the leader's own node.
    leader = stream_leader(cluster, "MEETINGS")
    (node,) = containers(cluster, "nats" if leader == "nats-1" else leader)
    node.stop(timeout=10)
    try:
        result = cluster.stackops("smoke", "--timeout", "180")
        assert result.returncode == 0, result.stdout + result.stderr
        assert stream_leader(cluster, "MEETINGS") != leader, "another node leads the stream"
        addresses = [f"failover-{secrets.token_hex(3)}-{n}@example.se" for n in range(6)]
        Staff(cluster).schedule(addresses)
        delivered_once(cluster, addresses)
    finally:
        node.start()
    cluster.wait_until_fine(timeout=240)


ROUTE_WITHOUT_PASSWORD = """
import socket
with socket.create_connection(("nats-2", 6222), timeout=10) as s:
    s.recv(4096)  # the route's INFO
    s.sendall(b'CONNECT {"verbose": false, "name": "intruder"}\\r\\nPING\\r\\n')
    s.settimeout(10)
    print(s.recv(4096).decode())
"""


def test_a_container_without_the_route_password_cannot_join_the_cluster(cluster):
    exit_code, output = containers(cluster, "meetings")[0].exec_run(["python", "-c", ROUTE_WITHOUT_PASSWORD])
    assert exit_code == 0, output.decode()
    assert "Authorization Violation" in output.decode(), output.decode()
