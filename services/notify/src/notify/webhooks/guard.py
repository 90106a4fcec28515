"""The SSRF guard: an organisation's webhook URL may not lead into our own network.

A URL is checked when it is registered, and again at every connection: the delivery client's
resolver (`GuardedResolver`) checks the addresses a name resolves to and hands exactly those to the
connector, so a name that resolved to a public address at registration and to 127.0.0.1 now (DNS
rebinding) is refused, and nothing is sent to an address that was not checked. Refused: loopback,
private, link-local, unique-local, CGNAT, multicast, unspecified, reserved and documentation
ranges, site-local, local-use NAT64 (64:ff9b:1::/48), Teredo, and IPv6 forms that carry an IPv4
address (mapped, translated, compatible; the well-known NAT64 prefix and 6to4 are judged by the address
they carry). Local development may allow them (`NOTIFY_WEBHOOKS_ALLOW_PRIVATE`).

A refusal says why, never the address a name resolved to (that would let anyone who can register a URL
map our own network name by name); the address goes to the operators' log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

from backbone.errors import RuleError
from backbone.logs import get_logger

log = get_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Answers a host name with its addresses (as text); raises OSError when the name is unknown.
Resolve = Callable[[str, int], Awaitable[list[str]]]

CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 8215: NAT64 prefixes of an operator's own network, so whatever they carry is ours to reach.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# RFC 2765 (SIIT): IPv4-translated addresses, ::ffff:0:a.b.c.d (not the mapped ::ffff:a.b.c.d).
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
SITE_LOCAL = ipaddress.ip_network("fec0::/10")
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
# Special-purpose ranges (RFC 6890) named here as well: what `ipaddress` counts as global differs
# between Python versions (192.0.0.0/24 among them), and the guard must not.
SPECIAL = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
    )
)


class AddressRefused(RuleError):
    """The URL leads somewhere webhooks may not go (or nowhere); the message says why."""


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: IPAddress) -> str | None:
    """Why webhooks may not go to `address`, in Swedish; None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "en IPv4-adress skriven som IPv6 (::ffff:…)"
        if address in IPV4_TRANSLATED:
            return "en översatt IPv4-adress skriven som IPv6 (::ffff:0:…)"
        if int(address) >> 32 == 0 and int(address) > 1:
            return "en IPv4-kompatibel IPv6-adress (::a.b.c.d)"
        if address in LOCAL_NAT64:
            return "ett lokalt NAT64-nät (64:ff9b:1::/48)"
        if address in SITE_LOCAL:
            return "en platslokal adress (fec0::/10)"
        if address in NAT64:
            return refusal(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None:
            return refusal(address.sixtofour)
        if address.teredo is not None:
            return "en Teredo-adress"
    if address.is_unspecified:
        return "en ospecificerad adress"
    if address.is_loopback:
        return "den här datorn (loopback)"
    if address.is_link_local:
        return "en länklokal adress"
    if address.is_multicast:
        return "en multicast-adress"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "operatörens interna nät (CGNAT)"
    if isinstance(address, ipaddress.IPv6Address) and address in UNIQUE_LOCAL:
        return "ett unikt lokalt nät (fc00::/7)"
    if address.is_private:
        return "ett privat nät"
    if not address.is_global or any(address in net for net in SPECIAL if net.version == address.version):
        return "ett reserverat adressområde"
    return None


def check_addresses(host: str, addresses: list[IPAddress], *, allow_private: bool) -> list[IPAddress]:
    if not addresses:
        raise AddressRefused(f"Adressen {host} hittas inte. Kontrollera stavningen.")
    if allow_private:
        return addresses
    for address in addresses:
        why = refusal(address)
        if why is not None:
            # The address for the operators only: the message is shown to whoever gave the URL.
            log.warning("webhook address refused", host=host, address=str(address), why=why)
            raise AddressRefused(
                f"Webbadressen {host} leder till {why}. Dit skickar vi inga webhooks. "
                "Ange en offentlig adress."
            )
    return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # Forms like 127.1 or 2130706433 that the system's resolver would read as addresses.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


async def check_url(url: str, *, resolve: Resolve, allow_private: bool = False) -> list[IPAddress]:
    """The addresses `url` leads to, all of them allowed; AddressRefused (with why) otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Webbadressen måste börja med https:// (eller http://).")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("Webbadressen får inte innehålla namn eller lösenord. Ta bort dem.")
    host = parts.hostname
    if not host:
        raise AddressRefused("Webbadressen saknar värdnamn, till exempel https://exempel.se/webhook.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("Portnumret i webbadressen går inte att läsa.") from None
    literal = _literal(host)
    if literal is not None:
        return check_addresses(host, [literal], allow_private=allow_private)
    try:
        answers = await resolve(host, port)
    except OSError:
        answers = []
    addresses = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer.split("%", 1)[0]))
        except ValueError:
            continue
    return check_addresses(host, addresses, allow_private=allow_private)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver for deliveries: resolves, checks, and gives the connector only what it checked."""

    def __init__(self, resolve: Resolve, *, allow_private: bool) -> None:
        self._resolve = resolve
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        try:
            answers = await self._resolve(host, port)
        except OSError:
            answers = []
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
        try:
            checked = check_addresses(host, addresses, allow_private=self._allow_private)
        except AddressRefused as exc:
            # An OSError, so aiohttp reports it as a failed connection (ClientConnectorError).
            raise OSError(str(exc)) from exc
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in checked
        ]

    async def close(self) -> None:
        return None


def check_literal_host(url: str, *, allow_private: bool) -> None:
    """Refuse a URL whose host is an address written out: the connector connects to it without asking
    a resolver, so `GuardedResolver` never sees it."""
    host = urlsplit(url).hostname or ""
    literal = _literal(host)
    if literal is not None:
        check_addresses(host, [literal], allow_private=allow_private)
