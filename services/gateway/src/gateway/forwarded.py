"""Which address a request comes from: the peer, or the address our own proxies say they forwarded.

Our own choice rather than uvicorn's ProxyHeadersMiddleware, which, when every hop is trusted, takes
the leftmost X-Forwarded-For entry: the one the client wrote itself. Here the client is the last hop
that is not one of our proxies, and when there is none (or an entry is not an address) the peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from backbone.logs import get_logger

log = get_logger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Longer than any address; a longer entry is not one and is not worth parsing.
_MAX_ENTRY_CHARS = 45


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if len(text) > _MAX_ENTRY_CHARS:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str | None:
    """The client's address: from X-Forwarded-For only when the peer is one of `trusted`."""
    peer_address = _address(peer) if peer else None
    if not forwarded_for or peer_address is None or not _trusted(peer_address, trusted):
        return peer
    # Each proxy appends the address it saw, so the entries are read from the right.
    for entry in reversed(forwarded_for.split(",")):
        hop = _address(entry)
        if hop is None:
            # Not written by a proxy of ours: nothing to the left of it can be believed either.
            return peer
        if not _trusted(hop, trusted):
            return str(hop)
    # Every hop is one of our proxies: whatever the client wrote at the left is not taken.
    return peer


class ForwardedClient:
    """Sets the request's client (and scheme, from X-Forwarded-Proto) as `client_address` says.

    Warns once when a peer that is not listed sends X-Forwarded-For: most likely a proxy of our own
    that is missing from GATEWAY_TRUSTED_PROXIES, so that everyone behind it shares its address.
    """

    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = list(trusted)
        self.warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            forwarded = [value for name, value in scope["headers"] if name == b"x-forwarded-for"]
            if forwarded:
                self._use_forwarded(scope, b",".join(forwarded).decode("latin-1"))
        await self.app(scope, receive, send)

    def _use_forwarded(self, scope: Scope, forwarded_for: str) -> None:
        client = scope.get("client")
        peer = client[0] if client else None
        peer_address = _address(peer) if peer else None
        if peer_address is None or not _trusted(peer_address, self.trusted):
            if not self.warned:
                self.warned = True
                log.warning(
                    "X-Forwarded-For came from a peer that is not a trusted proxy, so it is ignored and "
                    "everyone behind that peer shares its address (sign-in throttling, audit log). If it "
                    "is your own proxy, add it to GATEWAY_TRUSTED_PROXIES; this is said only once.",
                    peer=peer,
                )
            return
        address = client_address(peer, forwarded_for, self.trusted)
        if address and address != peer:
            scope["client"] = (address, 0)
        proto = dict(scope["headers"]).get(b"x-forwarded-proto", b"").decode("latin-1").strip()
        if proto in ("http", "https"):
            scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
