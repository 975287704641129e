"""The SSRF guard: every refused range, as a literal and behind a name; odd numeric forms; local mode; and
through PUT /channel as deployed (a 400 naming webhookUrl for each forbidden range)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator

import pytest

from messaging.delivery.url_guard import (
    AddrInfo,
    Resolver,
    UnresolvableWebhookUrl,
    UnsafeWebhookUrl,
    address_problem,
    check_webhook_url,
    system_resolver,
)
from tests.fake_dns import FakeResolver, forbid_real_dns, no_resolver, resolver_of
from tests.harness import Answer, api_event, invoke, load_handler

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"
HOST = "hooks.example.com"
TOO_LONG = f"https://{HOST}/" + "a" * (2049 - len(f"https://{HOST}/"))  # one over the 2048 limit


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    forbid_real_dns(monkeypatch)
    yield


def refused(url: str, *, allow_local: bool = False, resolver: Resolver = no_resolver) -> str:
    with pytest.raises(UnsafeWebhookUrl) as caught:
        check_webhook_url(url, allow_local=allow_local, resolve=resolver)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


# (address, words the reason must hold): one or more per refused range, edges included.
REFUSED_V4 = [
    ("0.0.0.0", "0.0.0.0/8"),
    ("0.255.255.255", "0.0.0.0/8"),
    ("10.0.0.1", "private (10.0.0.0/8)"),
    ("10.255.255.255", "10.0.0.0/8"),
    ("172.16.0.1", "172.16.0.0/12"),
    ("172.31.255.254", "172.16.0.0/12"),
    ("192.168.0.1", "192.168.0.0/16"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "metadata"),
    ("169.254.0.1", "link-local"),
    ("169.254.169.253", "link-local"),  # the VPC's DNS
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.100.100.200", "carrier-grade NAT"),  # another cloud's metadata address
    ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("233.252.0.1", "multicast"),  # ipaddress calls this one global
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.0.8", "IETF"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.1", "documentation"),
    ("203.0.113.1", "documentation"),
    ("192.88.99.1", "6to4 relay"),
]
REFUSED_V6 = [
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fd00:ec2::254", "AWS instance metadata"),
    ("fc00::1", "unique local"),
    ("fdff:ffff::1", "unique local"),
    ("fe80::1", "link-local"),
    ("febf::1", "link-local"),
    ("fec0::1", "site-local"),  # ipaddress calls this one global
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),  # global-scope multicast: ipaddress calls it global
    ("::ffff:10.0.0.1", "IPv4-mapped (::ffff:0:0/96), embedding 10.0.0.1"),
    ("::ffff:127.0.0.1", "embedding 127.0.0.1"),
    ("::ffff:169.254.169.254", "embedding 169.254.169.254"),
    ("::ffff:8.8.8.8", "IPv4-mapped"),  # use the IPv4 address itself
    ("::10.0.0.1", "IPv4-compatible"),
    ("::8.8.8.8", "IPv4-compatible"),
    ("2002:7f00:1::1", "6to4 (2002::/16), embedding 127.0.0.1"),
    ("2002:a9fe:a9fe::1", "embedding 169.254.169.254"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1, loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254, the cloud instance metadata address"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("100::1", "discard-only"),
    ("2001:db8::1", "documentation"),
    # No rule names it (benchmarking, 2001:2::/48, inside the IETF block 2001::/23): ipaddress says it is not
    # global, and that alone refuses it, in its own words
    ("2001:2::1", "not globally reachable"),
]
ALLOWED = [PUBLIC_V4, "8.8.8.8", "1.1.1.1", "11.0.0.1", "172.15.255.255", "172.32.0.1", "100.128.0.1"]
ALLOWED += ["192.169.0.1", "223.255.255.254", PUBLIC_V6, "2001:4860:4860::8888", "64:ff9b::808:808"]


@pytest.mark.parametrize(("address", "words"), REFUSED_V4 + REFUSED_V6)
def test_every_refused_range_is_named(address: str, words: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None
    assert words in problem


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "words"), REFUSED_V4 + REFUSED_V6)
def test_an_ip_literal_in_a_refused_range_is_refused(address: str, words: str) -> None:
    literal = f"[{address}]" if ":" in address else address
    reason = refused(f"https://{literal}/hooks")
    assert words in reason
    assert "not a public address" in reason


@pytest.mark.parametrize(("address", "words"), REFUSED_V4 + REFUSED_V6)
def test_a_name_resolving_into_a_refused_range_is_refused(address: str, words: str) -> None:
    reason = refused(f"https://{HOST}/hooks", resolver=resolver_of(HOST, address))
    assert f"{HOST} resolves to {ipaddress.ip_address(address)}" in reason
    assert words in reason


@pytest.mark.parametrize("private", ["10.0.0.1", "169.254.169.254", "::1", "fd00:ec2::254"])
def test_one_private_answer_among_public_ones_refuses_the_url(private: str) -> None:
    for answers in ([PUBLIC_V4, private], [private, PUBLIC_V4], [PUBLIC_V4, PUBLIC_V6, private]):
        reason = refused(f"https://{HOST}/", resolver=resolver_of(HOST, *answers))
        assert str(ipaddress.ip_address(private)) in reason


def test_a_public_https_url_is_allowed_and_normalized() -> None:
    resolver = resolver_of(HOST, PUBLIC_V4, PUBLIC_V6, PUBLIC_V4)
    target = check_webhook_url("HTTPS://Hooks.Example.COM:443/tenant/a/", allow_local=False, resolve=resolver)
    assert target.base_url == "https://hooks.example.com/tenant/a"
    assert (target.scheme, target.host, target.port, target.path) == ("https", HOST, 443, "/tenant/a")
    assert target.addresses == (ipaddress.ip_address(PUBLIC_V4), ipaddress.ip_address(PUBLIC_V6))
    assert resolver.calls == [HOST]
    assert target.url("/v3/x") == "https://hooks.example.com/tenant/a/v3/x"
    assert target.request_target("/v3/x") == "/tenant/a/v3/x"


def test_another_port_and_no_path_are_kept() -> None:
    target = check_webhook_url(
        f"https://{HOST}:8443", allow_local=False, resolve=resolver_of(HOST, PUBLIC_V4)
    )
    assert (target.base_url, target.port, target.path) == (f"https://{HOST}:8443", 8443, "")


def test_public_ip_literals_are_allowed_without_asking_the_resolver() -> None:
    assert check_webhook_url("https://8.8.8.8/", allow_local=False, resolve=no_resolver).addresses == (
        ipaddress.ip_address("8.8.8.8"),
    )
    target = check_webhook_url(
        "https://[2001:4860:4860:0:0:0:0:8888]:8443/", allow_local=False, resolve=no_resolver
    )
    assert target.base_url == "https://[2001:4860:4860::8888]:8443"
    assert target.host == "2001:4860:4860::8888"


def test_nat64_of_a_public_address_is_allowed() -> None:
    target = check_webhook_url(
        f"https://{HOST}/", allow_local=False, resolve=resolver_of(HOST, "64:ff9b::808:808")
    )
    assert target.addresses == (ipaddress.ip_address("64:ff9b::808:808"),)


# Hosts that C resolvers (inet_aton) read as 127.0.0.1 or another address: never looked up, never allowed.
ODD_NUMERIC = [
    "2130706433",  # decimal
    "017700000001",  # octal
    "0x7f000001",  # hex
    "0177.0.0.1",  # octal part
    "0x7f.1",  # hex, short
    "0x7f.0.0.1",
    "127.1",  # short
    "127.0.1",
    "127.0.0.1.",  # trailing dot
    "2130706433.",  # one number and the trailing dot
    "1.2.3.04",  # leading zero
    "0",
    "0x",
    "8.8.8.8.",
    "08.8.8.8",
    "example.123",  # any name ending in a number is read as an address
]


@pytest.mark.parametrize("host", ODD_NUMERIC)
@pytest.mark.parametrize("allow_local", [False, True])
def test_odd_numeric_hosts_are_refused_without_resolving(host: str, allow_local: bool) -> None:
    # A resolver that would answer a public address shows that the name is refused before any lookup.
    resolver = resolver_of(host, PUBLIC_V4)
    for scheme in ("https", "http"):
        reason = refused(f"{scheme}://{host}:4000/", allow_local=allow_local, resolver=resolver)
        assert "number" in reason or "http is refused" in reason
    assert resolver.calls == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://{HOST}/", "http is refused"),
        (f"http://{PUBLIC_V4}/", "http is refused"),
        (f"ftp://{HOST}/", "https://"),
        (f"javascript://{HOST}/", "https://"),
        (f"//{HOST}/", "no scheme"),
        (HOST, "no host"),
        ("", "empty"),
        (f"https://user:pw@{HOST}/", "userinfo"),
        (f"https://user@{HOST}/", "userinfo"),
        (f"https://@{HOST}/", "userinfo"),
        (f"https://{PUBLIC_V4}@169.254.169.254/", "userinfo"),
        ("https:///hooks", "no host"),
        ("https://:443/hooks", "no host"),
        ("https:hooks", "no host"),
        (f"https://{HOST}/hooks?tenant=1", "query"),
        (f"https://{HOST}/?", "query"),
        (f"https://{HOST}/#frag", "fragment"),
        (f"https://{HOST}#", "fragment"),
        (f"https://{HOST}:0/", "port"),
        (f"https://{HOST}:65536/", "port"),
        (f"https://{HOST}:http/", "port"),
        (f"https://{HOST}:+443/", "port"),
        ("https://exa mple.com/", "spaces"),
        (f"https://{HOST}/a\tb", "control"),
        (f"https://{HOST}\n.evil/", "control"),
        ("https://exämple.com/", "xn--"),
        (f"https://{HOST}\\@10.0.0.1/", "backslash"),
        ("https://[fe80::1%25eth0]/", "%"),
        ("https://exa%6dple.com/", "%"),
        ("https://[127.0.0.1]/", "cannot be read"),
        ("https://[::1/", "cannot be read"),
        ("https://-bad.example.com/", "not a valid host name"),
        ("https://a..b.example.com/", "not a valid host name"),
        ("https://example.com./", "not a valid host name"),
        ("https://" + "a" * 64 + ".com/", "not a valid host name"),
        (TOO_LONG, "longer than"),
        ("https://localhost/", "loopback"),
        ("https://api.localhost/", "loopback"),
    ],
)
def test_malformed_or_forbidden_urls_are_refused_with_the_rule(url: str, words: str) -> None:
    assert words in refused(url, resolver=resolver_of(HOST, PUBLIC_V4))


# The reason is the problem+json detail a business reads after PUT /channel: each rule's in full.
BASE_URL_ONLY = "it is a base URL, to which /v3/conversations/{id}/activities is appended"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "the webhook URL is empty"),
        (TOO_LONG, "the webhook URL is longer than 2048 characters"),
        (
            "https://exämple.com/",
            "the webhook URL holds spaces, control or non-ASCII characters "
            "(write an international domain name in its xn-- form, percent-encode the path)",
        ),
        (
            f"https://{HOST}\\@10.0.0.1/",
            "the webhook URL holds a backslash (read as a slash by some parsers)",
        ),
        (f"https://{HOST}/?", f"the webhook URL has a query: {BASE_URL_ONLY}"),
        (f"https://{HOST}/#", f"the webhook URL has a fragment: {BASE_URL_ONLY}"),
        ("https://[::1/", "the webhook URL cannot be read (Invalid IPv6 URL)"),
        (f"https://user@{HOST}/", "the webhook URL holds userinfo (user:password@): not allowed"),
        ("https:///hooks", "the webhook URL has no host"),
        (
            "https://exa%6dple.com/",
            "exa%6dple.com holds a '%': no percent-encoding in the host, no IPv6 zone ids",
        ),
        ("https://[v1.abc]/", "[v1.abc] is not an IPv6 address"),
        (
            "https://2130706433./",
            "2130706433. ends in a number, so resolvers read it as an IPv4 address in a non-canonical form "
            "(decimal, octal, hex or short): write an IPv4 address as a.b.c.d",
        ),
        ("https://a..b.com/", "a..b.com is not a valid host name (labels of letters, digits and -)"),
        (f"https://{HOST}:0/", "the webhook URL's port is not a number from 1 to 65535"),
        (f"https://{HOST}:65536/", "the webhook URL's port is not a number from 1 to 65535"),
        (f"ftp://{HOST}/", "the URL must start with https:// (not ftp)"),
        (f"//{HOST}/", "the URL must start with https:// (not no scheme)"),
        (
            f"http://{HOST}/",
            "http is refused: a webhook URL must use https (local runs may use http://127.0.0.1:<port>)",
        ),
        (
            "https://api.localhost/",
            "api.localhost names the loopback interface (RFC 6761): not a public host",
        ),
        ("https://10.0.0.1/", "10.0.0.1 is not a public address: private (10.0.0.0/8)"),
    ],
)
def test_each_refusal_reads_in_full_as_the_business_sees_it(url: str, reason: str) -> None:
    assert refused(url) == reason


def test_a_name_resolving_to_a_forbidden_address_reads_in_full() -> None:
    # Given a public-looking name that resolves to the loopback address
    resolver = resolver_of(HOST, "127.0.0.1")
    # When it is checked, Then the refusal names the host, its address and the range
    reason = refused(f"https://{HOST}/", resolver=resolver)
    assert reason == f"{HOST} resolves to 127.0.0.1, which is not public: loopback (127.0.0.0/8)"


def test_a_url_and_a_host_name_at_their_length_limits_are_allowed() -> None:
    # Given a host name of exactly 253 characters (labels of 63) and a URL of exactly 2048
    host = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(host) == 253
    prefix = f"https://{host}/"
    url = prefix + "p" * (2048 - len(prefix))
    # When both are checked, Then both pass
    target = check_webhook_url(url, allow_local=False, resolve=resolver_of(host, PUBLIC_V4))
    assert (target.host, len(target.base_url)) == (host, 2048)


def test_only_trailing_slashes_leave_the_path() -> None:
    target = check_webhook_url(
        f"https://{HOST}/Tenant/INBOX//", allow_local=False, resolve=resolver_of(HOST, PUBLIC_V4)
    )
    assert target.base_url == f"https://{HOST}/Tenant/INBOX"


def test_a_name_that_does_not_resolve_is_refused_as_unresolvable() -> None:
    with pytest.raises(UnresolvableWebhookUrl, match="does not resolve"):
        check_webhook_url("https://nowhere.example.com/", allow_local=False, resolve=FakeResolver({}))
    with pytest.raises(UnresolvableWebhookUrl, match="no address"):
        check_webhook_url(f"https://{HOST}/", allow_local=False, resolve=FakeResolver({HOST: [[]]}))


def test_scoped_and_non_ip_answers_are_refused() -> None:
    def scoped(host: str, port: int, family: int = 0, kind: int = 0) -> list[AddrInfo]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1", port, 0, 2))]

    def unix(host: str, port: int, family: int = 0, kind: int = 0) -> list[AddrInfo]:
        return [(socket.AF_UNIX, socket.SOCK_STREAM, 0, "", ("/run/x",))]

    assert "scoped" in refused(f"https://{HOST}/", resolver=scoped)
    assert "non-IP" in refused(f"https://{HOST}/", resolver=unix)


@pytest.mark.parametrize(
    ("url", "base_url", "address"),
    [
        ("http://127.0.0.1:4000", "http://127.0.0.1:4000", "127.0.0.1"),
        ("http://127.0.0.1:4000/hooks/", "http://127.0.0.1:4000/hooks", "127.0.0.1"),
        ("https://127.0.0.1:4443/", "https://127.0.0.1:4443", "127.0.0.1"),
        ("http://[::1]:4000", "http://[::1]:4000", "::1"),
        ("http://[0:0:0:0:0:0:0:1]:4000", "http://[::1]:4000", "::1"),
        ("http://LOCALHOST:4000", "http://localhost:4000", "127.0.0.1"),
        ("http://127.0.0.1", "http://127.0.0.1", "127.0.0.1"),
    ],
)
def test_local_mode_allows_the_loopback_receiver(url: str, base_url: str, address: str) -> None:
    target = check_webhook_url(url, allow_local=True, resolve=resolver_of("localhost", "127.0.0.1"))
    assert target.base_url == base_url
    assert target.addresses == (ipaddress.ip_address(address),)


def test_local_mode_localhost_uses_every_loopback_answer_and_nothing_else() -> None:
    target = check_webhook_url(
        "http://localhost:4000", allow_local=True, resolve=resolver_of("localhost", "::1", "127.0.0.1")
    )
    assert target.addresses == (ipaddress.ip_address("::1"), ipaddress.ip_address("127.0.0.1"))
    for answer in ("10.0.0.1", PUBLIC_V4, "169.254.169.254"):
        reason = refused(
            "http://localhost:4000", allow_local=True, resolver=resolver_of("localhost", "127.0.0.1", answer)
        )
        assert "not a loopback address" in reason


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.2:4000", "http is refused"),  # exactly 127.0.0.1
        ("http://10.0.0.1:4000", "http is refused"),
        (f"http://{HOST}:4000", "http is refused"),
        ("https://127.0.0.2:4000", "loopback"),  # https to other hosts: the deployed rules
        ("https://10.0.0.1/", "private"),
        ("https://169.254.169.254/", "metadata"),
        ("http://[::ffff:127.0.0.1]:4000", "http is refused"),
        ("https://[::ffff:127.0.0.1]:4000", "IPv4-mapped"),
        ("http://api.localhost:4000", "http is refused"),
    ],
)
def test_local_mode_allows_nothing_else(url: str, words: str) -> None:
    assert words in refused(url, allow_local=True, resolver=resolver_of(HOST, "10.0.0.1"))


def test_local_mode_still_allows_public_https() -> None:
    target = check_webhook_url(f"https://{HOST}/", allow_local=True, resolve=resolver_of(HOST, PUBLIC_V4))
    assert target.addresses == (ipaddress.ip_address(PUBLIC_V4),)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:4000", "https://127.0.0.1:4000", "http://localhost:4000", "http://[::1]:4000"]
)
def test_deployed_mode_refuses_the_local_receiver(url: str) -> None:
    reason = refused(url, resolver=resolver_of("localhost", "127.0.0.1"))
    assert "http is refused" in reason or "loopback" in reason


def test_the_default_resolver_is_the_system_one_looked_up_at_each_call() -> None:
    # forbid_real_dns replaced socket.getaddrinfo after import: the default still reaches the replacement.
    with pytest.raises(AssertionError, match="asked the real resolver"):
        check_webhook_url(f"https://{HOST}/", allow_local=False)


# Through PUT /channel, as deployed (LOCAL_WEBHOOKS_ALLOWED unset) -------------------------------------------

CHANNEL = "/api/v1.0/consumer/channel"
# One address at each edge of every range a deployed stack must refuse, and the words its reason holds.
DEPLOYED_REFUSALS = [
    ("10.0.0.1", "10.0.0.0/8"),
    ("10.255.255.254", "10.0.0.0/8"),
    ("172.16.0.1", "172.16.0.0/12"),
    ("172.31.255.254", "172.16.0.0/12"),
    ("192.168.0.1", "192.168.0.0/16"),
    ("192.168.255.254", "192.168.0.0/16"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.0.1", "link-local"),
    ("169.254.255.254", "link-local"),
    ("169.254.169.254", "metadata"),
    ("::1", "loopback"),
    ("fc00::1", "unique local (fc00::/7)"),
    ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "unique local (fc00::/7)"),
    ("fd00:ec2::254", "metadata"),
]


@pytest.fixture
def put_channel(
    moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], tuple[Answer, Answer]]:
    """PUT /channel on a deployed stack's function (no local webhooks), with `FakeResolver` as its DNS: the
    answer, then GET /channel's."""
    monkeypatch.delenv("LOCAL_WEBHOOKS_ALLOWED", raising=False)
    handler = load_handler("channel_settings")
    names = {
        f"name-{index}.hooks.example.com": [[address]] for index, (address, _) in enumerate(DEPLOYED_REFUSALS)
    }
    resolver = FakeResolver({**names, HOST: [[PUBLIC_V4, PUBLIC_V6]]})
    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    def put(url: str) -> tuple[Answer, Answer]:
        answer = invoke(handler, api_event("PUT", CHANNEL, {"webhookUrl": url}))
        return answer, invoke(handler, api_event("GET", CHANNEL))

    return put


def assert_refused_naming_webhook_url(answer: Answer, words: str) -> None:
    assert answer.status == 400, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.body["code"] == "validation_failed"
    assert [error["field"] for error in answer.body["errors"]] == ["webhookUrl"]
    assert words in answer.body["errors"][0]["message"], answer.body


@pytest.mark.parametrize(
    ("index", "address", "words"),
    [(index, address, words) for index, (address, words) in enumerate(DEPLOYED_REFUSALS)],
    ids=[address for address, _ in DEPLOYED_REFUSALS],
)
def test_put_channel_refuses_a_forbidden_range_as_a_literal_and_behind_a_name_naming_webhook_url(
    put_channel: Callable[[str], tuple[Answer, Answer]], index: int, address: str, words: str
) -> None:
    # Given a deployed stack
    # When a tenant sets its webhook to an address of the range (https, another port)
    literal = f"[{address}]" if ":" in address else address
    answer, channel = put_channel(f"https://{literal}:8443/hooks")
    # Then it is refused with a 400 naming webhookUrl and the rule, and no channel was stored
    assert_refused_naming_webhook_url(answer, words)
    assert (channel.status, channel.body["code"]) == (404, "channel_not_found")

    # When it sets a name whose DNS answer is that address
    host = f"name-{index}.hooks.example.com"
    answer, channel = put_channel(f"https://{host}/hooks")
    # Then it is refused the same way, naming the name and the address it resolved to
    assert_refused_naming_webhook_url(answer, f"{host} resolves to {ipaddress.ip_address(address)}")
    assert words in answer.body["errors"][0]["message"]
    assert channel.status == 404


@pytest.mark.parametrize(
    "url",
    [f"http://{HOST}/hooks", f"http://{PUBLIC_V4}/", "http://127.0.0.1:4000", "http://localhost:4000"],
)
def test_put_channel_refuses_http_even_to_a_public_host_or_the_local_receiver(
    put_channel: Callable[[str], tuple[Answer, Answer]], url: str
) -> None:
    answer, channel = put_channel(url)
    assert_refused_naming_webhook_url(answer, "http is refused")
    assert channel.status == 404


def test_put_channel_accepts_public_https_and_stores_it_normalized(
    put_channel: Callable[[str], tuple[Answer, Answer]],
) -> None:
    # Given a name resolving only to public addresses; When a tenant sets it
    answer, channel = put_channel(f"https://{HOST.upper()}:443/hooks/")
    # Then it is stored normalized, and the first PUT answers the new signing secret
    assert answer.status == 200, answer.body
    assert answer.body["webhookUrl"] == f"https://{HOST}/hooks"
    assert answer.body["signingSecret"].startswith("whsec_")
    assert (channel.status, channel.body) == (200, {"webhookUrl": f"https://{HOST}/hooks"})


# The whole reason, where a word check would not see an extra or a missing part ------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("::1", "loopback (::1)"),  # ::1 is loopback, not an IPv4-compatible 0.0.0.1
        ("::2", "IPv4-compatible (::/96, deprecated), embedding 0.0.0.2"),
        ("fc00::1", "unique local (fc00::/7)"),  # embeds no IPv4 address: says none
        ("fe80::1%eth0", "a scoped IPv6 address"),
        ("2001:4860:4860::8888%2", "a scoped IPv6 address"),  # scoped, even a global one
    ],
)
def test_the_problem_with_an_ipv6_address_is_said_exactly(address: str, problem: str) -> None:
    assert address_problem(ipaddress.IPv6Address(address)) == problem


def test_a_scoped_answer_written_with_its_zone_is_refused_as_scoped() -> None:
    # Given a resolver whose answer carries its zone in the address text rather than the scope id field
    def zoned(host: str, port: int, family: int = 0, kind: int = 0) -> list[AddrInfo]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2001:4860:4860::8888%eth0", port, 0, 0))]

    # Then the URL is refused, saying why
    assert refused(f"https://{HOST}/", resolver=zoned) == (
        f"{HOST} resolves to 2001:4860:4860::8888%eth0, which is not public: a scoped IPv6 address"
    )


def test_an_answer_that_is_no_address_is_refused_quoting_it() -> None:
    def garbled(host: str, port: int, family: int = 0, kind: int = 0) -> list[AddrInfo]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("not-an-address", port))]

    assert (
        refused(f"https://{HOST}/", resolver=garbled)
        == f"{HOST} resolves to an unreadable address 'not-an-address'"
    )


def test_the_name_is_resolved_for_any_address_family_and_a_stream_socket() -> None:
    # Given a resolver that notes what it is asked
    asked: list[tuple[str, int, int, int]] = []

    def noting(host: str, port: int, family: int = 0, kind: int = 0) -> list[AddrInfo]:
        asked.append((host, port, family, kind))
        return resolver_of(host, PUBLIC_V4, PUBLIC_V6)(host, port, family, kind)

    # When a URL is checked
    target = check_webhook_url(f"https://{HOST}:8443/", allow_local=False, resolve=noting)
    # Then it asked for the host's IPv4 and IPv6 addresses alike (AF_UNSPEC), for TCP, at the URL's port
    assert asked == [(HOST, 8443, socket.AF_UNSPEC, socket.SOCK_STREAM)]
    assert target.addresses == (ipaddress.ip_address(PUBLIC_V4), ipaddress.ip_address(PUBLIC_V6))


def test_the_system_resolver_answers_tcp_addresses_at_the_port_asked() -> None:
    # A numeric host: getaddrinfo answers it without any DNS (forbid_real_dns lets numeric hosts through)
    assert system_resolver("127.0.0.1", 8443, socket.AF_UNSPEC, socket.SOCK_STREAM) == [
        (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 8443))
    ]
