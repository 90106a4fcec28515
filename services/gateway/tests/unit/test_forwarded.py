"""Which address a request comes from: the peer, or what our own proxies say it forwarded."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from gateway.forwarded import ForwardedClient, client_address

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48")]


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("203.0.113.9", "198.51.100.1", []) == "203.0.113.9"


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("203.0.113.9", "198.51.100.1", PROXIES) == "203.0.113.9"


def test_behind_trusted_proxies_the_client_is_the_last_hop_that_is_not_one_of_them() -> None:
    # The client wrote the leftmost entry itself; our proxy appended the address it saw.
    assert client_address("10.0.0.2", "198.51.100.66, 203.0.113.10", PROXIES) == "203.0.113.10"
    assert client_address("10.0.0.2", "203.0.113.11, 10.0.0.7", PROXIES) == "203.0.113.11"
    assert client_address("10.0.0.2", "2001:db8:1::5", PROXIES) == "2001:db8:1::5"


def test_when_every_hop_is_trusted_no_forwarded_address_is_taken() -> None:
    # uvicorn would take the leftmost entry here, which the client chose.
    assert client_address("10.0.0.2", "10.9.9.9, 10.0.0.7", PROXIES) == "10.0.0.2"


def test_an_entry_that_is_not_an_address_is_never_taken() -> None:
    assert client_address("10.0.0.2", "198.51.100.1, not-an-address", PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", "x" * 5000, PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"


def _scope(peer: str, forwarded_for: str | None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for is not None else []
    return {"type": "http", "client": (peer, 5000), "headers": headers, "scheme": "http"}


async def _serve(middleware: ForwardedClient, scope: dict[str, Any]) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(_message: dict[str, Any]) -> None:
        return None

    await middleware(scope, receive, send)


async def test_the_middleware_sets_the_client_and_warns_once_about_an_unlisted_proxy() -> None:
    seen: list[Any] = []

    async def app(scope: dict[str, Any], _receive: Any, _send: Any) -> None:
        seen.append(scope["client"])

    middleware = ForwardedClient(app, trusted=PROXIES)
    with capture_logs() as logs:
        await _serve(middleware, _scope("10.0.0.2", "198.51.100.1"))
        await _serve(middleware, _scope("172.20.0.1", "198.51.100.2"))
        await _serve(middleware, _scope("172.20.0.1", "198.51.100.3"))
        await _serve(middleware, _scope("172.20.0.1", None))
    assert [client[0] for client in seen] == ["198.51.100.1", "172.20.0.1", "172.20.0.1", "172.20.0.1"]
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1, logs
    assert warnings[0]["peer"] == "172.20.0.1"


COMPOSE = Path(__file__).resolve().parents[4] / "docker-compose.yml"


def compose_defaults(text: str) -> tuple[str, str]:
    """The defaults docker-compose.yml gives the gateway's trusted proxies and published address."""
    trusted = re.search(r"GATEWAY_TRUSTED_PROXIES: \$\{GATEWAY_TRUSTED_PROXIES:-([^}]*)\}", text)
    publish = re.search(r'- "\$\{GATEWAY_PUBLISH:-([^}]*)\}:8000"', text)
    assert trusted and publish, "docker-compose.yml no longer sets the gateway's proxies or port"
    return trusted.group(1), publish.group(1)


def test_compose_trusts_no_proxy_and_publishes_on_the_loopback_address_by_default() -> None:
    # Published on every interface, connections from anyone arrive through Docker from the bridge's
    # address: trusting the bridge would then let anyone name any address in X-Forwarded-For.
    trusted, publish = compose_defaults(COMPOSE.read_text(encoding="utf-8"))
    assert trusted == ""
    assert publish.startswith("127.0.0.1:")
