"""The dev server's HTTP: strict framing as API Gateway has it, keep-alive, and timeouts for slow clients.

Raw sockets, because the requests that matter here are the ones a well-behaved client library never sends.
"""

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.dev_server import DevServer
from local.dynamodb_local import DynamoDBLocal
from local.http_server import MAX_HEAD_BYTES, HttpTimeouts
from local.token import mint_token

CREATE = "/api/v1.0/consumer/conversation/create"
ECHO = "/api/v1.0/consumer/conversation/x"
AUTHORIZATION = f"Authorization: Bearer {mint_token('acme')}\r\n"
CLOSE_DEADLINE_SECONDS = 30.0  # a server that never closes fails the test instead of hanging it


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, Any]:
        assert self.headers["content-type"] == "application/problem+json"
        document: dict[str, Any] = json.loads(self.body)
        assert document["status"] == self.status
        return document


def connect(server: DevServer) -> socket.socket:
    address = urlsplit(server.base_url)
    assert address.hostname == "127.0.0.1" and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=CLOSE_DEADLINE_SECONDS)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def parse_answers(data: bytes) -> list[RawAnswer]:
    """The HTTP answers, one after the other, in what a connection received (interim 1xx included)."""
    answers = []
    while data:
        head, _, data = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        answers.append(RawAnswer(int(status_line.split()[1]), headers, data[:length]))
        data = data[length:]
    return answers


def send_raw(server: DevServer, data: bytes) -> list[RawAnswer]:
    with connect(server) as sock:
        sock.sendall(data)
        return parse_answers(read_until_closed(sock))


def request(head: str, body: bytes = b"", path: str = CREATE, method: str = "POST") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTHORIZATION}{head}\r\n".encode() + body


@pytest.mark.parametrize(
    "framing",
    [
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\ncontent-length: 6\r\n",
        "Content-Length: 5, 5\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    ],
    ids=["duplicate", "conflicting", "comma list", "with transfer-encoding"],
)
def test_ambiguous_body_framing_is_400_problem_json_and_the_connection_closes(
    local_api: DevServer, framing: str
) -> None:
    # Given a request whose body length is ambiguous, followed by bytes a lax server would read as a request
    smuggled = f"GET {ECHO} HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTHORIZATION}\r\n".encode()
    # When it is sent
    answers = send_raw(local_api, request(framing, b"hello" + smuggled))
    # Then the only answer is a 400 problem, and the server closed the connection after it
    assert [answer.status for answer in answers] == [400]
    assert answers[0].problem()["code"] == "bad_request"
    assert answers[0].headers["connection"] == "close"


@pytest.mark.parametrize(
    "length", ["+5", "5_0", "-1", "0x5", "5.0", "5 5", "1e1", "", "99999999999999999999999"]
)
def test_a_content_length_that_is_not_plain_digits_is_400_problem_json(
    local_api: DevServer, length: str
) -> None:
    answers = send_raw(local_api, request(f"Content-Length: {length}\r\n", b"hello"))
    assert [answer.status for answer in answers] == [400]
    assert answers[0].problem()["code"] == "bad_request"


@pytest.mark.parametrize("coding", ["chunked", "gzip, chunked", "identity"])
def test_a_body_without_content_length_is_411_problem_json(local_api: DevServer, coding: str) -> None:
    answers = send_raw(local_api, request(f"Transfer-Encoding: {coding}\r\n", b"5\r\nhello\r\n0\r\n\r\n"))
    assert [answer.status for answer in answers] == [411]
    assert answers[0].problem()["code"] == "length_required"


MALFORMED = {
    "garbage request line": b"HELLO\r\n\r\n",
    "HTTP/0.9": b"GET /\r\n\r\n",
    "unknown version": b"GET / HTTP/2.7\r\nHost: x\r\n\r\n",
    "no Host in HTTP/1.1": b"GET / HTTP/1.1\r\n\r\n",
    "two Hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "space before the colon": b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad : y\r\n\r\n",
    "NUL in a value": b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n",
    "space in the target": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "head over API Gateway's cap": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "
    + b"a" * MAX_HEAD_BYTES
    + b"\r\n\r\n",
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_request_is_400_problem_json_and_the_connection_closes(
    local_api: DevServer, data: bytes
) -> None:
    answers = send_raw(local_api, data)
    assert [answer.status for answer in answers] == [400]
    assert answers[0].problem()["code"] == "bad_request"


def test_a_head_just_under_the_cap_is_served(local_api: DevServer) -> None:
    base = request("Connection: close\r\nX-Pad: \r\n", path=ECHO, method="GET")
    padded = base.replace(b"X-Pad: ", b"X-Pad: " + b"a" * (MAX_HEAD_BYTES - len(base)))
    assert len(padded) == MAX_HEAD_BYTES
    assert [answer.status for answer in send_raw(local_api, padded)] == [200]


def test_expect_100_continue_with_an_oversized_body_is_refused_before_the_body_is_sent(
    local_api: DevServer,
) -> None:
    # Given a client announcing 11 MB and waiting for 100 Continue before sending it
    with connect(local_api) as sock:
        sock.sendall(request(f"Content-Length: {11 * 1024 * 1024}\r\nExpect: 100-continue\r\n"))
        # Then, with no byte of the body sent, the answer is 413 and the connection closes
        answers = parse_answers(read_until_closed(sock))
    assert [answer.status for answer in answers] == [413]
    assert answers[0].problem()["code"] == "payload_too_large"
    assert answers[0].headers["connection"] == "close"


def test_expect_100_continue_with_an_acceptable_body_gets_100_then_the_answer(local_api: DevServer) -> None:
    with connect(local_api) as sock:
        sock.sendall(request("Content-Length: 7\r\nExpect: 100-continue\r\n"))
        assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b'{"a":1}')
        answers = parse_answers(read_until_closed_or_answered(sock))
    assert [answer.status for answer in answers][-1] == 200
    assert json.loads(answers[-1].body)["event"]["body"] == '{"a":1}'


def read_until_closed_or_answered(sock: socket.socket) -> bytes:
    """Reads until one whole answer with a Content-Length is there (the connection stays open)."""
    received = b""
    while True:
        answers = parse_answers(received) if b"\r\n\r\n" in received else []
        final = [a for a in answers if a.status >= 200]
        if final and len(final[-1].body) == int(final[-1].headers["content-length"]):
            return received
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection before answering"
        received += chunk


def test_keep_alive_serves_several_requests_on_one_connection(local_api: DevServer) -> None:
    address = urlsplit(local_api.base_url)
    connection = HTTPConnection("127.0.0.1", address.port, timeout=30)
    try:
        sockets = []
        for _ in range(3):
            connection.request("GET", ECHO, headers={"Authorization": f"Bearer {mint_token('a')}"})
            response = connection.getresponse()
            assert (response.status, response.getheader("connection")) == (200, None)
            response.read()
            sockets.append(connection.sock)
        assert sockets[0] is not None and all(sock is sockets[0] for sock in sockets)
    finally:
        connection.close()


def test_pipelined_requests_are_answered_in_order(local_api: DevServer) -> None:
    first = request("", path=f"{ECHO}?n=1", method="GET")
    second = request("Connection: close\r\n", path=f"{ECHO}?n=2", method="GET")
    answers = send_raw(local_api, first + second)
    queries = [json.loads(answer.body)["event"]["rawQueryString"] for answer in answers]
    assert queries == ["n=1", "n=2"]


def test_head_gets_the_headers_of_get_without_a_body(local_api: DevServer) -> None:
    answers = send_raw(local_api, request("Connection: close\r\n", path="/openapi.json", method="HEAD"))
    assert answers[0].status == 200 and int(answers[0].headers["content-length"]) > 0
    assert answers[0].body == b""


def test_an_http_1_0_request_is_answered_and_the_connection_closed(local_api: DevServer) -> None:
    answers = send_raw(local_api, f"GET {ECHO} HTTP/1.0\r\n{AUTHORIZATION}\r\n".encode())
    assert [answer.status for answer in answers] == [200]


@pytest.fixture
def impatient_server(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> Iterator[DevServer]:
    """The dev server with one-second timeouts, so that the tests of slow clients end quickly."""
    server = DevServer(
        throwaway_template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        table_prefix=table_prefix,
        http_timeouts=HttpTimeouts(idle_seconds=1.0, request_seconds=1.0),
    )
    with server:
        yield server


def test_half_open_and_idle_connections_do_not_exhaust_the_server_and_are_closed(
    impatient_server: DevServer,
) -> None:
    # Given 200 connections that sent half a request head, and 50 that sent nothing at all
    half_open = [connect(impatient_server) for _ in range(200)]
    idle = [connect(impatient_server) for _ in range(50)]
    try:
        for sock in half_open:
            sock.sendall(f"GET {ECHO} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        # When a client sends a whole request meanwhile, Then it is served
        answers = send_raw(impatient_server, request("Connection: close\r\n", path=ECHO, method="GET"))
        assert [answer.status for answer in answers] == [200]
        # And the server closes every stalled connection without an answer
        for sock in half_open + idle:
            assert read_until_closed(sock) == b""
    finally:
        for sock in half_open + idle:
            sock.close()


def test_a_body_that_stops_arriving_is_dropped(impatient_server: DevServer) -> None:
    with connect(impatient_server) as sock:
        sock.sendall(request("Content-Length: 10\r\n", b"abc"))
        assert read_until_closed(sock) == b""


def test_a_kept_alive_connection_is_closed_once_idle(impatient_server: DevServer) -> None:
    with connect(impatient_server) as sock:
        sock.sendall(request("", path=ECHO, method="GET"))
        answers = parse_answers(read_until_closed(sock))
    assert [answer.status for answer in answers] == [200]
