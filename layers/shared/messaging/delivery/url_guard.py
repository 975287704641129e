"""The SSRF guard: a tenant's webhook URL may only lead to a public https server.

A webhook URL is chosen by the tenant, and our Lambda POSTs to it from inside AWS. Without this guard a
tenant could make us call the instance metadata service (169.254.169.254, fd00:ec2::254), our VPC's private
addresses or a loopback port. So (CONTRACT.md, "PUT /channel"):

- only `https`, except in local runs, where `http` or `https` to exactly 127.0.0.1, ::1 or localhost is
  allowed;
- no userinfo (`user:pw@` hides the real host from a reader), no query and no fragment: we append
  `/v3/conversations/{id}/activities` to the base URL, so a query or fragment would end up in the wrong place;
- the host is a canonical IP literal or a DNS name; numeric hosts in the odd forms that C resolvers accept
  (2130706433, 0177.0.0.1, 0x7f.1, 127.1) are refused outright: a name whose last label is a number is never
  a real DNS name (the WHATWG URL rule), so nothing numeric reaches a resolver to be read in a way we did not
  check;
- every address the host resolves to must be public: one private answer among public ones refuses the URL,
  since the connection could pick it. The ranges are named explicitly (so the reason says which rule) and
  then `ipaddress`'s `is_global` catches what the table misses. IPv6 forms that embed an IPv4 address
  (mapped, compatible, 6to4, Teredo) are refused; NAT64's 64:ff9b::/96 (DNS64 in IPv6-only VPCs) is judged
  by the IPv4 address inside.

The check returns the addresses it approved. Delivery connects to exactly those (webhook.py), and repeats the
check at each delivery: a name that re-resolves to 127.0.0.1 between the check and the connection (DNS
rebinding) cannot redirect the request.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# socket.getaddrinfo's shape, called as resolve(host, port, 0, socket.SOCK_STREAM); tests inject their own.
type AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
type Resolver = Callable[[str, int, int, int], Sequence[AddrInfo]]

MAX_URL_LENGTH = 2048
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_DEFAULT_PORTS = {"https": 443, "http": 80}
# Printable ASCII only: urlsplit silently drops tabs and newlines, and an IDN must come in its xn-- form.
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# WHATWG "ends in a number": such a host is parsed as an IPv4 address (in any of its odd forms) by browsers
# and by inet_aton, never looked up as a name.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_MAX_HOSTNAME = 253
_BASE_URL_ONLY = "it is a base URL, to which /v3/conversations/{id}/activities is appended"


class UnsafeWebhookUrl(ValueError):
    """The URL breaks a rule; `reason` says which, in words a tenant can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvableWebhookUrl(UnsafeWebhookUrl):
    """The host did not resolve (no answer, a DNS error): possibly transient, unlike the other refusals."""


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL: where to connect (only `addresses`) and what to name (`host`, for Host/SNI)."""

    base_url: str  # normalized: lower-case scheme and host, no default port, no trailing slash
    scheme: str  # "https", or "http" for a local run's loopback receiver
    host: str  # a DNS name or an IP literal (IPv6 without brackets)
    port: int
    path: str  # the base path, "" or "/…" without a trailing slash
    addresses: tuple[IPAddress, ...]  # every address the host resolved to, all checked

    def request_target(self, path: str) -> str:
        """The request line's path for `path` ("/v3/…") under the base path."""
        return self.path + path

    def url(self, path: str) -> str:
        return self.base_url + path


_V4_RULES: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(network), name)
    for network, name in (
        ("169.254.169.254/32", "the cloud instance metadata address"),
        ("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
        ("10.0.0.0/8", "private (10.0.0.0/8)"),
        ("100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"),
        ("127.0.0.0/8", "loopback (127.0.0.0/8)"),
        ("169.254.0.0/16", "link-local (169.254.0.0/16)"),
        ("172.16.0.0/12", "private (172.16.0.0/12)"),
        ("192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"),
        ("192.0.2.0/24", "documentation (192.0.2.0/24)"),
        ("192.88.99.0/24", "6to4 relay anycast (192.88.99.0/24)"),
        ("192.168.0.0/16", "private (192.168.0.0/16)"),
        ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
        ("198.51.100.0/24", "documentation (198.51.100.0/24)"),
        ("203.0.113.0/24", "documentation (203.0.113.0/24)"),
        ("224.0.0.0/4", "multicast (224.0.0.0/4)"),
        ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
    )
)
_V6_RULES: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(network), name)
    for network, name in (
        ("::/128", "unspecified (::)"),
        ("::1/128", "loopback (::1)"),
        ("fd00:ec2::254/128", "the AWS instance metadata address (fd00:ec2::254)"),
        ("::ffff:0:0/96", "IPv4-mapped (::ffff:0:0/96)"),
        ("::/96", "IPv4-compatible (::/96, deprecated)"),
        ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
        ("100::/64", "discard-only (100::/64)"),
        ("2001::/32", "Teredo (2001::/32)"),
        ("2001:db8::/32", "documentation (2001:db8::/32)"),
        ("2002::/16", "6to4 (2002::/16)"),
        ("fc00::/7", "unique local (fc00::/7)"),
        ("fe80::/10", "link-local (fe80::/10)"),
        ("fec0::/10", "site-local (fec0::/10, deprecated)"),
        ("ff00::/8", "multicast (ff00::/8)"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def address_problem(address: IPAddress) -> str | None:
    """Why `address` must not receive webhooks (the kind of address it is), or None when it is public."""
    if isinstance(address, ipaddress.IPv4Address):
        for network4, name in _V4_RULES:
            if address in network4:
                return name
    else:
        if address.scope_id:
            return "a scoped IPv6 address"
        if address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
            problem = address_problem(inner)
            return f"NAT64 of {inner}, {problem}" if problem else None
        for network6, name in _V6_RULES:
            if address in network6:
                embedded = _embedded_ipv4(address)
                return f"{name}, embedding {embedded}" if embedded is not None else name
    return None if address.is_global else "not globally reachable"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("::/96") and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def system_resolver(host: str, port: int, family: int, kind: int) -> Sequence[AddrInfo]:
    """socket.getaddrinfo, looked up at each call (so that tests can replace it for the whole process)."""
    return socket.getaddrinfo(host, port, family, kind)


def check_webhook_url(url: str, *, allow_local: bool, resolve: Resolver = system_resolver) -> WebhookTarget:
    """The checked target of `url`, or UnsafeWebhookUrl naming the broken rule.

    `allow_local` (local runs only) admits http or https to exactly 127.0.0.1, ::1 or localhost (whose answers
    must then all be loopback). Resolution errors raise UnresolvableWebhookUrl (a subclass).
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = _host(parts)
    local = allow_local and host in LOCAL_HOSTS
    if scheme not in _DEFAULT_PORTS:
        raise UnsafeWebhookUrl(f"the URL must start with https:// (not {scheme or 'no scheme'})")
    if scheme != "https" and not local:
        raise UnsafeWebhookUrl(
            "http is refused: a webhook URL must use https (local runs may use http://127.0.0.1:<port>)"
        )
    port = _port(parts, scheme)
    addresses = _local_addresses(host, port, resolve) if local else _public_addresses(host, port, resolve)
    literal = host if ":" not in host else f"[{host}]"
    default = port == _DEFAULT_PORTS[scheme]
    path = parts.path.rstrip("/")
    base_url = f"{scheme}://{literal}{'' if default else f':{port}'}{path}"
    return WebhookTarget(base_url, scheme, host, port, path, addresses)


def _split(url: str) -> SplitResult:
    if not isinstance(url, str) or not url:
        raise UnsafeWebhookUrl("the webhook URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookUrl(f"the webhook URL is longer than {MAX_URL_LENGTH} characters")
    if _PRINTABLE_ASCII.fullmatch(url) is None:
        raise UnsafeWebhookUrl(
            "the webhook URL holds spaces, control or non-ASCII characters "
            "(write an international domain name in its xn-- form, percent-encode the path)"
        )
    if "\\" in url:
        raise UnsafeWebhookUrl("the webhook URL holds a backslash (read as a slash by some parsers)")
    if "?" in url:
        raise UnsafeWebhookUrl(f"the webhook URL has a query: {_BASE_URL_ONLY}")
    if "#" in url:
        raise UnsafeWebhookUrl(f"the webhook URL has a fragment: {_BASE_URL_ONLY}")
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise UnsafeWebhookUrl(f"the webhook URL cannot be read ({error})") from None
    if "@" in parts.netloc:
        raise UnsafeWebhookUrl("the webhook URL holds userinfo (user:password@): not allowed")
    return parts


def _host(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if not host:
        raise UnsafeWebhookUrl("the webhook URL has no host")
    if "%" in host:
        raise UnsafeWebhookUrl(f"{host} holds a '%': no percent-encoding in the host, no IPv6 zone ids")
    if "[" in parts.netloc:
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise UnsafeWebhookUrl(f"[{host}] is not an IPv6 address") from None
    try:
        return str(ipaddress.IPv4Address(host))  # the canonical dotted quad only: 4 parts, no leading zeros
    except ValueError:
        pass
    labels = host.split(".")
    last = labels[-1] or (labels[-2] if len(labels) > 1 else "")
    if _NUMERIC_LABEL.fullmatch(last):
        raise UnsafeWebhookUrl(
            f"{host} ends in a number, so resolvers read it as an IPv4 address in a non-canonical form "
            "(decimal, octal, hex or short): write an IPv4 address as a.b.c.d"
        )
    if len(host) > _MAX_HOSTNAME or not all(_LABEL.fullmatch(label) for label in labels):
        raise UnsafeWebhookUrl(f"{host} is not a valid host name (labels of letters, digits and -)")
    return host


def _port(parts: SplitResult, scheme: str) -> int:
    try:
        port = parts.port
    except ValueError:
        raise UnsafeWebhookUrl("the webhook URL's port is not a number from 1 to 65535") from None
    if port == 0:
        raise UnsafeWebhookUrl("the webhook URL's port is not a number from 1 to 65535")
    return port if port is not None else _DEFAULT_PORTS[scheme]


def _local_addresses(host: str, port: int, resolve: Resolver) -> tuple[IPAddress, ...]:
    """A local run's receiver: 127.0.0.1 or ::1 as written, or localhost resolving to loopback only."""
    if host != "localhost":
        return (ipaddress.ip_address(host),)
    addresses = _resolve(host, port, resolve)
    for address in addresses:
        if not address.is_loopback:
            raise UnsafeWebhookUrl(f"localhost resolves to {address}, not a loopback address")
    return addresses


def _public_addresses(host: str, port: int, resolve: Resolver) -> tuple[IPAddress, ...]:
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        problem = address_problem(literal)
        if problem:
            raise UnsafeWebhookUrl(f"{host} is not a public address: {problem}")
        return (literal,)
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeWebhookUrl(f"{host} names the loopback interface (RFC 6761): not a public host")
    addresses = _resolve(host, port, resolve)
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise UnsafeWebhookUrl(f"{host} resolves to {address}, which is not public: {problem}")
    return addresses


def _resolve(host: str, port: int, resolve: Resolver) -> tuple[IPAddress, ...]:
    try:
        answers = resolve(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnresolvableWebhookUrl(f"{host} does not resolve ({error})") from None
    addresses: dict[IPAddress, None] = {}
    for family, _type, _proto, _name, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            raise UnsafeWebhookUrl(f"{host} resolves to a non-IP address")
        try:
            address = ipaddress.ip_address(str(sockaddr[0]))
        except ValueError:
            raise UnsafeWebhookUrl(f"{host} resolves to an unreadable address {sockaddr[0]!r}") from None
        if family == socket.AF_INET6 and len(sockaddr) >= 4 and sockaddr[3]:
            raise UnsafeWebhookUrl(f"{host} resolves to {address}, a scoped IPv6 address: not public")
        addresses[address] = None
    if not addresses:
        raise UnresolvableWebhookUrl(f"{host} resolves to no address")
    return tuple(addresses)
