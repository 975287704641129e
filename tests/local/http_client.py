"""A tiny HTTP client for the dev server tests: http.client straight to 127.0.0.1 (never via a proxy)."""

import json
from dataclasses import dataclass
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base_url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Answer:
    address = urlsplit(base_url)
    assert address.hostname == "127.0.0.1" and address.port is not None
    connection = HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        raw_headers = [(name.lower(), value) for name, value in response.getheaders()]
        return Answer(response.status, dict(raw_headers), raw_headers, response.read())
    finally:
        connection.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(answer: Answer, status: int, code: str) -> dict[str, Any]:
    """The answer is RFC 9457 problem details for `code`, with its HTTP status; returns the document."""
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = answer.json()
    assert (document["status"], document["code"], document["type"]) == (status, code, f"/docs/errors#{code}")
    assert document["title"] and document["detail"]
    return document
