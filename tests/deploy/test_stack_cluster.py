"""The cluster override: three NATS nodes, streams with three replicas, two replicas of each service."""

from __future__ import annotations

import textwrap

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
            # Replies come only to meetings' own inbox (deploy/nats.conf).
            nc = await nats.connect(os.environ["MEETINGS_NATS_URL"], inbox_prefix="_INBOX.meetings")
            info = await nc.jetstream().stream_info("MEETINGS")
            print(info.config.num_replicas, len(info.cluster.replicas or []) + 1)
            await nc.close()
        asyncio.run(main())
        """
    )
    exit_code, output = containers(cluster, "meetings")[0].exec_run(["python", "-c", code])
    assert (exit_code, output.decode().split()) == (0, ["3", "3"]), output.decode()


def test_the_system_works_with_one_nats_node_stopped(cluster):
    assert cluster.stackops("smoke", "--timeout", "120").returncode == 0
    (node,) = containers(cluster, "nats-2")
    node.stop(timeout=10)
    try:
        result = cluster.stackops("smoke", "--timeout", "180")
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        node.start()


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
