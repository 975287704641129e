"""Resolvers for tests, in socket.getaddrinfo's shape, so that no test asks a real DNS server anything.

`FakeResolver` answers from a table, where a host's answer may change from one call to the next (DNS
rebinding), and records every call. `forbid_real_dns` makes the real socket.getaddrinfo refuse any name
that is not a numeric address, so that a forgotten injection fails loudly instead of resolving a public name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from messaging.delivery.url_guard import AddrInfo


def addrinfo(address: str, port: int) -> AddrInfo:
    if ipaddress.ip_address(address).version == 4:
        return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
    return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))


class FakeResolver:
    """`rounds[host]`: the answer of the first call, of the second, …; the last one repeats."""

    def __init__(self, rounds: Mapping[str, Sequence[Sequence[str]]]) -> None:
        self._rounds = dict(rounds)
        self.calls: list[str] = []

    def __call__(self, host: str, port: int, family: int = 0, kind: int = 0) -> list[AddrInfo]:
        self.calls.append(host)
        if host not in self._rounds:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        rounds = self._rounds[host]
        answer = rounds[min(self.calls.count(host), len(rounds)) - 1]
        return [addrinfo(address, port) for address in answer]


def resolver_of(host: str, *addresses: str) -> FakeResolver:
    """`host` always answers `addresses`."""
    return FakeResolver({host: [addresses]})


def no_resolver(host: str, port: int, family: int = 0, kind: int = 0) -> list[AddrInfo]:
    raise AssertionError(f"the resolver must not be asked (asked for {host!r})")


def forbid_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real getaddrinfo keeps working for numeric addresses only (socket.create_connection needs it)."""
    real: Callable[..., Any] = socket.getaddrinfo

    def numeric_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(str(host))
        except ValueError:
            raise AssertionError(f"a test asked the real resolver for {host!r}: inject a resolver") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", numeric_only)
