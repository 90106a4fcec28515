"""The SSRF guard: addresses an organisation's URL may not lead to, checked with a stub resolver."""

import ipaddress

import pytest
from structlog.testing import capture_logs

from notify.webhooks.guard import AddressRefused, check_url, refusal

REFUSED = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local: the cloud metadata service
    "100.64.0.1",  # CGNAT (shared address space)
    "100.127.255.254",
    "224.0.0.1",  # multicast
    "0.0.0.0",  # unspecified
    "255.255.255.255",  # broadcast
    "192.0.0.8",  # IETF protocol assignments
    "198.18.0.1",  # benchmarking
    "::1",  # loopback
    "::",  # unspecified
    "fe80::1",  # link-local
    "fc00::1",  # unique-local
    "fd12:3456::1",
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:8.8.8.8",  # mapped, even to a public address: a way round address checks
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2001:db8::1",  # documentation
    "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215) of 10.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64, whatever it carries: a translator of our own network
    "::ffff:0:a00:1",  # IPv4-translated (::ffff:0:0/96) of 10.0.0.1
    "::ffff:0:808:808",  # IPv4-translated, even of a public address (like mapped)
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
    "fec0:1234::5",
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:ac10:1::",  # 6to4 of 172.16.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo
    "2001:0:a00:1::",  # Teredo (server 10.0.0.1)
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::c0a8:101",  # NAT64 of 192.168.1.1
]
ALLOWED = ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_every_private_or_special_address_is_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def stub(answers: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"unknown host {host}")
        return answers[host]

    return resolve


async def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    with pytest.raises(AddressRefused, match="privat nät"):
        await check_url("https://intranet.example/hook", resolve=stub({"intranet.example": ["10.0.0.5"]}))


@pytest.mark.parametrize("answer", ["172.18.0.7", "fd00:dead::7", "::ffff:172.18.0.7"])
async def test_a_refusal_does_not_name_the_address_but_the_operators_log_does(answer: str) -> None:
    """A representative may not map our network by trying names: the message says why, not where."""
    with capture_logs() as logs, pytest.raises(AddressRefused) as refused:
        await check_url("https://db.example/hook", resolve=stub({"db.example": [answer]}))
    message = str(refused.value)
    assert answer not in message and "172.18" not in message and "dead" not in message
    assert "db.example" in message
    [entry] = [e for e in logs if e.get("address") == str(ipaddress.ip_address(answer))]
    assert entry["host"] == "db.example" and entry["log_level"] == "warning"


async def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    resolve = stub({"mixed.example": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(AddressRefused):
        await check_url("https://mixed.example/hook", resolve=resolve)


async def test_an_address_written_in_the_url_is_checked_without_asking_the_resolver() -> None:
    with pytest.raises(AddressRefused):
        await check_url("http://[::ffff:169.254.169.254]/latest", resolve=stub({}))
    with pytest.raises(AddressRefused):
        await check_url("http://127.1/", resolve=stub({}))


async def test_a_public_name_passes_and_gives_the_addresses_checked() -> None:
    resolve = stub({"hooks.example": ["93.184.216.34"]})
    assert await check_url("https://hooks.example/in", resolve=resolve) == [
        ipaddress.ip_address("93.184.216.34")
    ]


async def test_configuration_may_allow_private_addresses_for_local_development() -> None:
    resolve = stub({"localhost": ["127.0.0.1"]})
    addresses = await check_url("http://localhost:9000/in", resolve=resolve, allow_private=True)
    assert addresses == [ipaddress.ip_address("127.0.0.1")]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/",
        "hooks.example/in",
        "https://user:pw@hooks.example/",
        "https:///x",
        "file:///etc",
    ],
)
async def test_urls_that_are_not_plain_web_addresses_are_refused(url: str) -> None:
    with pytest.raises(AddressRefused):
        await check_url(url, resolve=stub({"hooks.example": ["93.184.216.34"]}))


async def test_a_name_that_does_not_resolve_is_refused_with_a_reason() -> None:
    with pytest.raises(AddressRefused, match="hittas inte"):
        await check_url("https://nowhere.example/", resolve=stub({}))
