"""One webhook POST and what it comes to (CONTRACT.md, "Webhook delivery"): the signed request the tenant's
server receives, and the short reason delivery logs and parks with a failed attempt, for every way a server
can answer or not answer. Every server here listens on 127.0.0.1 in a thread of the test; names resolve
through injected resolvers only (tests/fake_dns.py).
"""

from __future__ import annotations

import contextlib
import errno
import math
import re
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from messaging.delivery.signing import new_secret
from messaging.delivery.webhook import USER_AGENT, DeliveryResult, _abort, encode_activity, post_activity
from tests.fake_dns import forbid_real_dns, no_resolver, resolver_of

CONVERSATION = "4f0c2a8e-9b1d-4c57-8a7e-2d3b1c0e9f61"
ACTIVITY = {"type": "message", "text": "Grüße, wie kann ich helfen?", "from": {"id": "rep-1", "name": "Ana"}}
SECRET = new_secret()
DEADLINE_S = 0.5  # short deadlines: the time-outs below wait for them
SNIPPET_CHARS = 200  # "echoes at most a couple of hundred characters of the tenant's answer"


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_real_dns(monkeypatch)


# ------------------------------------------------------------------------ a server on 127.0.0.1


@dataclass(frozen=True)
class Request:
    """A request as the server read it off the wire."""

    line: str
    headers: dict[str, str]  # lower-case names
    body: bytes


def read_request(connection: socket.socket) -> Request:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("the client closed before the end of its request head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    line, *fields = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(line, headers, body)


def response(status: int, body: bytes = b"", *, headers: str = "") -> bytes:
    head = f"HTTP/1.1 {status} Whatever\r\n{headers}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    return head.encode("latin-1") + body


class Server:
    """A listener on 127.0.0.1 whose connections `serve` handles, each in a thread; keeps what it read."""

    def __init__(
        self, serve: Callable[[Server, socket.socket], None], tls: ssl.SSLContext | None = None
    ) -> None:
        self._serve = serve
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # closing a listener does not wake a blocked accept(): poll instead
        self.port: int = self._listener.getsockname()[1]
        self.stopping = threading.Event()
        self.requests: list[Request] = []
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.settimeout(5)
            thread = threading.Thread(target=self._handle, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _handle(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            if self._tls is not None:
                connection = self._tls.wrap_socket(connection, server_side=True)
            with connection:
                self._serve(self, connection)

    def read(self, connection: socket.socket) -> Request:
        request = read_request(connection)
        self.requests.append(request)
        return request

    def __enter__(self) -> Server:
        self._acceptor.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self._listener.close()
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)


def answering(
    status: int, body: bytes = b"", *, headers: str = ""
) -> Callable[[Server, socket.socket], None]:
    def serve(server: Server, connection: socket.socket) -> None:
        server.read(connection)
        connection.sendall(response(status, body, headers=headers))

    return serve


def post(url: str, **options: Any) -> tuple[DeliveryResult, int]:
    """post_activity as delivery calls it (local receivers allowed); also how long it took, in ms."""
    options.setdefault("allow_local", True)
    options.setdefault("resolve", resolver_of("localhost", "127.0.0.1"))
    options.setdefault("webhook_id", f"{CONVERSATION}-17")
    options.setdefault("secrets", [SECRET])
    conversation_id = options.pop("conversation_id", CONVERSATION)
    activity = options.pop("activity", ACTIVITY)
    started = time.monotonic()
    result = post_activity(url, conversation_id, activity, **options)
    return result, int((time.monotonic() - started) * 1000) + 1


# ------------------------------------------------------------------------ delivered


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_a_2xx_answer_is_a_delivery_of_the_signed_activity_to_the_conversations_path(status: int) -> None:
    # Given a tenant's server at a base path, answering `status` with a body (which a delivery never echoes)
    with Server(answering(status, b"thanks")) as server:
        # When an activity is posted to it
        sent_at = datetime.now(UTC)  # receivers refuse a timestamp 5 minutes away from theirs
        result, took_ms = post(f"http://127.0.0.1:{server.port}/hooks/a", clock=lambda: sent_at)
    # Then it is delivered, saying the status
    assert (result.delivered, result.status, result.reason) == (True, status, f"http {status}")
    assert 0 <= result.elapsed_ms <= took_ms
    # And the server got one POST of the exact signed bytes, to the conversation's path under the base path
    (request,) = server.requests
    body = encode_activity(ACTIVITY).encode("utf-8")
    assert request.line == f"POST /hooks/a/v3/conversations/{CONVERSATION}/activities HTTP/1.1"
    assert request.body == body
    assert request.headers["host"] == f"127.0.0.1:{server.port}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["content-length"] == str(len(body))
    assert request.headers["webhook-id"] == f"{CONVERSATION}-17"
    assert request.headers["webhook-timestamp"] == str(math.floor(sent_at.timestamp()))
    signed = Webhook(SECRET).verify(body, request.headers)  # raises unless signed with the tenant's secret
    assert signed == ACTIVITY


# ------------------------------------------------------------------------ answered, but not delivered


@pytest.mark.parametrize(
    ("status", "location", "reason"),
    [
        (
            301,
            "https://elsewhere.example/hooks",
            "http 301: redirect to https://elsewhere.example/hooks, not followed",
        ),
        (307, "/moved\r\n\tthere", "http 307: redirect to /moved there, not followed"),
        (300, "/choices", "http 300: redirect to /choices, not followed"),
        (302, None, "http 302: redirect, not followed"),
        (399, "", "http 399: redirect, not followed"),
    ],
)
def test_a_redirect_is_not_followed_and_fails_saying_where_it_pointed(
    status: int, location: str | None, reason: str
) -> None:
    # Given a server answering a redirect (following it would skip the URL guard)
    headers = f"Location: {location}\r\n" if location is not None else ""
    with Server(answering(status, b"see elsewhere", headers=headers)) as server:
        # When an activity is posted to it
        result, _ = post(f"http://127.0.0.1:{server.port}")
    # Then the attempt failed, with the status and where the redirect pointed, and nothing else was asked
    assert (result.delivered, result.status, result.reason) == (False, status, reason)
    assert server.connections == 1


LONG = "internal error, " * 40


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, b"", "http 500"),
        (199, b"", "http 199"),  # not a 1xx to skip: a final answer outside 2xx
        (400, b"bad request", "http 400: bad request"),
        (503, b"  \r\n<html>\x00down\t\tfor\x7fmaintenance\r\n", "http 503: <html> down for maintenance"),
        (
            500,
            b"\xff\xfeoops \xe2\x82",
            "http 500: \ufffd\ufffdoops \ufffd",
        ),  # not UTF-8: replaced, not dropped
        (500, b"x" * SNIPPET_CHARS, "http 500: " + "x" * SNIPPET_CHARS),  # at most 200: kept whole
        (500, LONG.encode(), "http 500: " + LONG[: SNIPPET_CHARS - 1] + "…"),
        # Only the start of an answer is read: a page of blanks ends the hint, whatever follows
        (500, b" " * (SNIPPET_CHARS * 4) + b"the rest", "http 500"),
    ],
)
def test_a_non_2xx_answer_fails_echoing_the_start_of_the_body_on_one_line(
    status: int, body: bytes, reason: str
) -> None:
    # Given a server answering `status` with `body`
    with Server(answering(status, body)) as server:
        # When an activity is posted to it
        result, took_ms = post(f"http://127.0.0.1:{server.port}")
    # Then the attempt failed with that status, and a reason of one line with at most 200 of its characters
    assert (result.delivered, result.status, result.reason) == (False, status, reason)
    assert 0 <= result.elapsed_ms <= took_ms


def test_an_error_answer_whose_body_cannot_be_read_still_fails_with_its_status() -> None:
    # Given a server answering 500 with a chunked body whose first chunk size is not a number
    def garbled_body(server: Server, connection: socket.socket) -> None:
        server.read(connection)
        connection.sendall(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")

    with Server(garbled_body) as server:
        # When an activity is posted to it
        result, _ = post(f"http://127.0.0.1:{server.port}")
    # Then the status is the outcome, with no hint of the body
    assert (result.delivered, result.status, result.reason) == (False, 500, "http 500")


# ------------------------------------------------------------------------ no answer


def _closing(server: Server, connection: socket.socket) -> None:
    server.read(connection)


def _resetting(server: Server, connection: socket.socket) -> None:
    server.read(connection)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends a RST


def _garbling(server: Server, connection: socket.socket) -> None:
    server.read(connection)
    connection.sendall(b"SPDY/9 maybe\r\n\r\n")


@pytest.mark.parametrize(
    ("serve", "reason"),
    [
        (_closing, "connection closed without a response"),
        (_resetting, "connection reset"),
        (_garbling, "malformed response (BadStatusLine)"),
    ],
)
def test_a_server_that_does_not_answer_properly_fails_the_attempt_saying_how(
    serve: Callable[[Server, socket.socket], None], reason: str
) -> None:
    # Given a server that reads the request and then closes, resets, or answers what is not HTTP
    with Server(serve) as server:
        # When an activity is posted to it
        result, took_ms = post(f"http://127.0.0.1:{server.port}")
    # Then the attempt failed without a status, saying how
    assert (result.delivered, result.status, result.reason) == (False, None, reason)
    assert len(server.requests) == 1
    assert 0 <= result.elapsed_ms <= took_ms


def test_a_port_where_nothing_listens_refuses_the_connection() -> None:
    # Given a port bound but not listening on 127.0.0.1
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        port = closed_port.getsockname()[1]
        # When an activity is posted there
        result, _ = post(f"http://127.0.0.1:{port}")
    # Then the attempt failed, naming the address that refused
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        "could not connect: 127.0.0.1: connection refused",
    )


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "network error: Network is unreachable"),
        (OSError("no route\r\nat all"), "OSError: no route at all"),  # no strerror: its type and text
        (RuntimeError("x" * 300), "RuntimeError: " + "x" * (SNIPPET_CHARS - 1) + "…"),
    ],
)
def test_an_unexpected_failure_to_connect_is_an_outcome_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, failure: Exception, reason: str
) -> None:
    # Given a connection that fails in a way delivery has no word for
    def fail(*_: Any, **__: Any) -> socket.socket:
        raise failure

    monkeypatch.setattr(socket, "create_connection", fail)
    # When an activity is posted
    result, _ = post("http://127.0.0.1:9")
    # Then the attempt failed, saying what it was in one short line
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        f"could not connect: 127.0.0.1: {reason}",
    )


# ------------------------------------------------------------------------ the deadline covers everything


def _trickling(head: bytes) -> Callable[[Server, socket.socket], None]:
    """Reads the request, sends `head`, then a byte every 50 ms (well within any per-read timeout) for 3 s."""

    def serve(server: Server, connection: socket.socket) -> None:
        server.read(connection)
        connection.sendall(head)
        for _ in range(60):
            if server.stopping.wait(0.05):
                return
            connection.sendall(b"X")

    return serve


def _holding(server: Server, connection: socket.socket) -> None:
    server.read(connection)
    server.stopping.wait(3)


@pytest.mark.parametrize(
    "serve",
    [
        _holding,  # no answer at all
        _trickling(b"HTTP/1.1 200 OK\r\n"),  # a 2xx status line whose headers never end
    ],
)
def test_an_answer_that_does_not_come_within_the_deadline_times_out_at_the_deadline(
    serve: Callable[[Server, socket.socket], None],
) -> None:
    # Given a server that holds the request, or trickles its answer a byte at a time
    with Server(serve) as server:
        # When an activity is posted with a deadline
        result, took_ms = post(f"http://127.0.0.1:{server.port}", timeout_s=DEADLINE_S)
    # Then the attempt timed out (even if a 2xx status line came: nothing after the deadline counts), and
    # at the deadline, not when the server gave up
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        f"timed out after {DEADLINE_S:g} s without an answer",
    )
    assert DEADLINE_S * 1000 <= result.elapsed_ms <= took_ms < DEADLINE_S * 1000 + 1500


def test_an_error_status_that_came_in_time_is_the_outcome_with_what_of_its_body_came_by_the_deadline() -> (
    None
):
    # Given a server answering 500 in time, then trickling its body a byte at a time
    with Server(_trickling(b"HTTP/1.1 500 Oops\r\nContent-Length: 1000\r\n\r\n")) as server:
        # When an activity is posted with a deadline
        result, took_ms = post(f"http://127.0.0.1:{server.port}", timeout_s=DEADLINE_S)
    # Then the attempt failed with that status, echoing the part of the body read by the deadline
    assert (result.delivered, result.status) == (False, 500)
    assert re.fullmatch(r"http 500: X+", result.reason), result.reason
    assert DEADLINE_S * 1000 <= result.elapsed_ms <= took_ms < DEADLINE_S * 1000 + 1500


def test_aborting_a_delivery_ends_the_blocked_read_on_either_side_and_never_raises() -> None:
    # Given a connection whose reader waits for an answer
    ours, theirs = socket.socketpair()
    with ours, theirs:
        # When the watchdog aborts it (twice: the second finds it already shut down)
        _abort(ours)
        _abort(ours)
        # Then both ends read the end of the stream at once
        ours.settimeout(1)
        theirs.settimeout(1)
        assert (ours.recv(1), theirs.recv(1)) == (b"", b"")
    # And a socket that was never connected is aborted quietly too
    with socket.socket() as unconnected:
        _abort(unconnected)


# ------------------------------------------------------------------------ https: pinned to the checked IP


class Certificates:
    """A throw-away CA and leaf certificates for `localhost` and for another name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def client(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.directory / "ca.pem"))

    def server(self, name: str, names_seen: list[str | None]) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.directory / f"{name}.pem", self.directory / f"{name}.key")

        def remember(sock: Any, server_name: str | None, ctx: ssl.SSLContext) -> None:
            names_seen.append(server_name)

        context.sni_callback = remember
        return context


def _openssl(directory: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make test certificates")
    directory = tmp_path_factory.mktemp("tls")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    ca = ("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    _openssl(directory, "req", "-x509", *ec, *ca, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Test CA")  # fmt: skip
    for name in ("localhost", "other.example"):
        (directory / f"{name}.ext").write_text(
            f"subjectAltName=DNS:{name}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
        )
        _openssl(
            directory, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}"
        )
        signed_by_ca = ("-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial")
        _openssl(directory, "x509", "-req", "-in", f"{name}.csr", *signed_by_ca, "-out", f"{name}.pem",
                 "-days", "2", "-extfile", f"{name}.ext")  # fmt: skip
    return Certificates(directory)


def test_https_goes_to_the_checked_ip_naming_the_host_for_sni_the_certificate_and_the_host_header(
    certificates: Certificates,
) -> None:
    # Given a tenant's https server for localhost, which resolves to 127.0.0.1
    names_seen: list[str | None] = []
    with Server(answering(200), tls=certificates.server("localhost", names_seen)) as server:
        # When an activity is posted to it, trusting the test's CA
        result, _ = post(f"https://localhost:{server.port}/hooks", tls_context=certificates.client())
    # Then it was delivered over one TLS connection that named localhost
    assert (result.delivered, result.status, result.reason) == (True, 200, "http 200")
    assert (server.connections, names_seen) == (1, ["localhost"])
    (request,) = server.requests
    assert request.line == f"POST /hooks/v3/conversations/{CONVERSATION}/activities HTTP/1.1"
    assert request.headers["host"] == f"localhost:{server.port}"
    assert Webhook(SECRET).verify(request.body, request.headers) == ACTIVITY


@pytest.mark.parametrize(
    ("name", "trusted", "why"),
    [
        ("other.example", True, "Hostname mismatch"),  # a certificate for another name
        ("localhost", False, "unable to get local issuer certificate"),  # the system's CAs: not ours
    ],
)
def test_https_refuses_a_certificate_it_cannot_verify_for_the_host(
    certificates: Certificates, name: str, trusted: bool, why: str
) -> None:
    # Given an https server whose certificate is for another name, or from a CA the system does not trust
    with Server(answering(200), tls=certificates.server(name, [])) as server:
        # When an activity is posted to https://localhost
        tls_context = certificates.client() if trusted else None
        result, _ = post(f"https://localhost:{server.port}", tls_context=tls_context)
    # Then no request was sent, and the reason says the certificate was not accepted
    assert (result.delivered, result.status) == (False, None)
    assert result.reason.startswith(f"could not connect: 127.0.0.1: tls: certificate not accepted ({why}")
    assert server.requests == []


def test_https_to_a_server_that_does_not_speak_tls_fails_with_the_tls_reason_code(
    certificates: Certificates,
) -> None:
    # Given a plain http server on the port an https URL names
    with Server(answering(200)) as server:
        # When an activity is posted over https
        result, _ = post(f"https://localhost:{server.port}", tls_context=certificates.client())
    # Then the handshake failed, and the reason is OpenSSL's reason code (not its message and source line)
    assert (result.delivered, result.status) == (False, None)
    prefix = "could not connect: 127.0.0.1: tls: "
    assert result.reason.startswith(prefix)
    code = result.reason.removeprefix(prefix)
    assert code.replace("_", "").isalpha() and code.isupper(), result.reason


def test_a_tls_handshake_that_trickles_is_cut_at_the_deadline(certificates: Certificates) -> None:
    # Given a server that starts a TLS record of 16 KB and sends it a byte every 50 ms
    def trickle(server: Server, connection: socket.socket) -> None:
        connection.recv(65536)  # the client hello
        connection.sendall(bytes([0x16, 0x03, 0x03, 0x40, 0x00]))
        for _ in range(60):
            if server.stopping.wait(0.05):
                return
            connection.sendall(b"\x00")

    with Server(trickle) as server:
        # When an activity is posted to it over https
        result, took_ms = post(
            f"https://localhost:{server.port}", tls_context=certificates.client(), timeout_s=DEADLINE_S
        )
    # Then the handshake was cut at the deadline
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        f"timed out after {DEADLINE_S:g} s without an answer",
    )
    assert DEADLINE_S * 1000 <= result.elapsed_ms <= took_ms < DEADLINE_S * 1000 + 1500


def test_over_https_an_answer_trickling_past_the_deadline_is_cut_at_the_deadline(
    certificates: Certificates,
) -> None:
    # Given an https server that answers a 2xx status line, then trickles headers that never end
    tls = certificates.server("localhost", [])
    with Server(_trickling(b"HTTP/1.1 200 OK\r\n"), tls=tls) as server:
        # When an activity is posted to it with a deadline
        result, took_ms = post(
            f"https://localhost:{server.port}", tls_context=certificates.client(), timeout_s=DEADLINE_S
        )
    # Then the TLS connection was cut at the deadline too, and nothing after it counted
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        f"timed out after {DEADLINE_S:g} s without an answer",
    )
    assert DEADLINE_S * 1000 <= result.elapsed_ms <= took_ms < DEADLINE_S * 1000 + 1500


# ------------------------------------------------------------------------ several checked addresses


class Network:
    """socket.create_connection where every address but 127.0.0.1 (none of them contacted) refuses, or never
    answers until the attempt's timeout, or overruns it; 127.0.0.1 is the real thing."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, ipv6: str) -> None:
        self._real = socket.create_connection
        self._ipv6 = ipv6
        self.timeouts: list[float] = []
        monkeypatch.setattr(socket, "create_connection", self.connect)

    def connect(self, address: tuple[str, int], timeout: float, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] == "127.0.0.1":
            return self._real(address, timeout, *args, **kwargs)
        if self._ipv6 == "refuses":
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
        # Blackholed: nothing answers the SYN, so the attempt lasts its timeout (or, overrunning, longer)
        lasts = timeout if self._ipv6 == "blackholed" else timeout + DEADLINE_S
        threading.Event().wait(min(lasts, 4 * DEADLINE_S))
        raise TimeoutError("timed out")


def test_an_address_that_refuses_is_skipped_for_the_next_checked_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a name resolving to ::1, which refuses, then 127.0.0.1, where the tenant's server answers
    Network(monkeypatch, ipv6="refuses")
    with Server(answering(200)) as server:
        # When an activity is posted
        result, _ = post(
            f"http://localhost:{server.port}", resolve=resolver_of("localhost", "::1", "127.0.0.1")
        )
    # Then it was delivered at the second address
    assert (result.delivered, result.status, result.reason) == (True, 200, "http 200")
    assert len(server.requests) == 1


def test_when_every_address_refuses_the_reason_names_each(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a name resolving to ::1 and 127.0.0.1, both refusing
    Network(monkeypatch, ipv6="refuses")
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        port = closed_port.getsockname()[1]
        # When an activity is posted
        result, _ = post(f"http://localhost:{port}", resolve=resolver_of("localhost", "::1", "127.0.0.1"))
    # Then the reason lists every address tried, in order, with how it failed
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        "could not connect: ::1: connection refused; 127.0.0.1: connection refused",
    )


def test_an_address_that_never_answers_leaves_time_for_the_next_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a name resolving to ::1, where nothing answers, then 127.0.0.1, where the tenant's server answers
    Network(monkeypatch, ipv6="blackholed")
    with Server(answering(200)) as server:
        # When an activity is posted with a deadline
        result, _ = post(
            f"http://localhost:{server.port}",
            resolve=resolver_of("localhost", "::1", "127.0.0.1"),
            timeout_s=DEADLINE_S,
        )
    # Then the first attempt gave up with half the time, and the second one delivered
    assert (result.delivered, result.status, result.reason) == (True, 200, "http 200")
    assert DEADLINE_S * 1000 / 2 <= result.elapsed_ms < DEADLINE_S * 1000


def test_each_address_that_never_answers_gets_an_equal_share_of_the_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a name resolving to two loopback addresses where nothing answers, then 127.0.0.1
    Network(monkeypatch, ipv6="blackholed")
    deadline_s = DEADLINE_S * 1.2
    with Server(answering(200)) as server:
        # When an activity is posted with a deadline
        result, _ = post(
            f"http://localhost:{server.port}",
            resolve=resolver_of("localhost", "127.0.0.2", "127.0.0.3", "127.0.0.1"),
            timeout_s=deadline_s,
        )
    # Then the three addresses shared the time: a third of it for each of the first two, and the last one
    # delivered with the third left
    assert (result.delivered, result.status, result.reason) == (True, 200, "http 200")
    assert deadline_s * 1000 * 2 / 3 - 20 <= result.elapsed_ms < deadline_s * 1000


def test_an_answer_after_the_first_addresss_share_of_the_time_still_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a name resolving to 127.0.0.1, where the server answers late (after half the deadline), then ::1
    Network(monkeypatch, ipv6="refuses")

    def late(server: Server, connection: socket.socket) -> None:
        server.read(connection)
        server.stopping.wait(DEADLINE_S * 1.4)  # the server's own pace: answering late on purpose
        connection.sendall(response(200))

    with Server(late) as server:
        # When an activity is posted with a deadline
        result, _ = post(
            f"http://localhost:{server.port}",
            resolve=resolver_of("localhost", "127.0.0.1", "::1"),
            timeout_s=DEADLINE_S * 2,
        )
    # Then the answer, in time for the whole deadline, is a delivery
    assert (result.delivered, result.status, result.reason) == (True, 200, "http 200")


def test_an_attempt_that_overruns_the_deadline_leaves_no_other_address_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a name resolving to ::1, whose connection attempt overruns its timeout past the deadline, then
    # 127.0.0.1
    Network(monkeypatch, ipv6="overruns")
    with Server(answering(200)) as server:
        # When an activity is posted with a deadline
        result, _ = post(
            f"http://localhost:{server.port}",
            resolve=resolver_of("localhost", "::1", "127.0.0.1"),
            timeout_s=DEADLINE_S,
        )
    # Then the delivery timed out, without trying the second address
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        f"timed out after {DEADLINE_S:g} s without an answer",
    )
    assert server.connections == 0


def test_a_name_that_resolves_only_after_the_deadline_times_out_without_connecting() -> None:
    # Given a resolver that answers only once the deadline has passed
    def slow(host: str, port: int, family: int = 0, kind: int = 0) -> list[tuple[Any, ...]]:
        threading.Event().wait(DEADLINE_S * 1.2)  # DNS's own pace: a slow answer on purpose
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]

    with Server(answering(200)) as server:
        # When an activity is posted with a deadline
        result, took_ms = post(f"http://localhost:{server.port}", resolve=slow, timeout_s=DEADLINE_S)
    # Then it timed out while resolving, and no connection was made
    assert (result.delivered, result.status, result.reason) == (
        False,
        None,
        f"timed out after {DEADLINE_S:g} s (resolving localhost)",
    )
    assert server.connections == 0
    assert DEADLINE_S * 1000 <= result.elapsed_ms <= took_ms


# ------------------------------------------------------------------------ the caller's mistakes raise


TIMEOUT_RULE = "the timeout is more than 0 and at most 900 seconds"  # a Lambda runs 900 s at most
PATH_RULE = "a conversation id for a webhook path is 1 to 256 of A-Z a-z 0-9 . _ ~ -"


@pytest.mark.parametrize(
    ("conversation_id", "timeout_s", "message"),
    [
        (CONVERSATION, 0, TIMEOUT_RULE),
        (CONVERSATION, -1, TIMEOUT_RULE),
        (CONVERSATION, 900.5, TIMEOUT_RULE),
        ("", DEADLINE_S, PATH_RULE),
        (".", DEADLINE_S, PATH_RULE),
        ("..", DEADLINE_S, PATH_RULE),
        ("a/b", DEADLINE_S, PATH_RULE),
        ("a" * 257, DEADLINE_S, PATH_RULE),
    ],
)
def test_the_callers_mistakes_raise_before_any_network(
    conversation_id: str, timeout_s: float, message: str
) -> None:
    # The resolver would fail the test if asked: a mistake raises before the URL is even checked
    with pytest.raises(ValueError) as mistake:
        post_activity(
            "http://localhost:9",
            conversation_id,
            ACTIVITY,
            webhook_id="w-1",
            secrets=[SECRET],
            allow_local=True,
            timeout_s=timeout_s,
            resolve=no_resolver,
        )
    assert str(mistake.value) == message


@pytest.mark.parametrize("timeout_s", [0.001, 900])
def test_any_timeout_up_to_a_lambdas_900_s_is_accepted(timeout_s: float) -> None:
    # Given a port where nothing listens, so that the attempt ends at once whatever the deadline
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        port = closed_port.getsockname()[1]
        result, _ = post(f"http://127.0.0.1:{port}", timeout_s=timeout_s)
    assert (result.delivered, result.status) == (False, None)


@pytest.mark.parametrize(
    ("conversation_id", "path"),
    [
        ("a" * 256, "/v3/conversations/" + "a" * 256 + "/activities"),
        ("Az09._~-x", "/v3/conversations/Az09._~-x/activities"),  # unreserved characters: sent as they are
        ("...", "/v3/conversations/.../activities"),
    ],
)
def test_a_conversation_id_of_unreserved_characters_is_one_path_segment(
    conversation_id: str, path: str
) -> None:
    with Server(answering(200)) as server:
        result, _ = post(f"http://127.0.0.1:{server.port}", conversation_id=conversation_id)
    assert result.delivered
    assert [request.line for request in server.requests] == [f"POST {path} HTTP/1.1"]


@pytest.mark.parametrize(
    ("activity", "text"),
    [
        ({"text": "Grüße 👋", "n": [1, 2.5]}, '{"text":"Grüße 👋","n":[1,2.5]}'),  # compact, UTF-8 kept
        ({"text": "lone \ud800 surrogate"}, '{"text":"lone \\ud800 surrogate"}'),  # no UTF-8 form: escaped
        ({"text": "é \ud800", "n": [1, 2]}, '{"text":"\\u00e9 \\ud800","n":[1,2]}'),  # compact too
    ],
)
def test_the_body_is_compact_json_in_utf_8_and_exactly_what_is_signed(
    activity: dict[str, Any], text: str
) -> None:
    assert encode_activity(activity) == text
    with Server(answering(200)) as server:
        result, _ = post(f"http://127.0.0.1:{server.port}", activity=activity)
    assert result.delivered
    (request,) = server.requests
    assert request.body == text.encode("utf-8")
    assert Webhook(SECRET).verify(request.body, request.headers) == activity


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object()])
def test_an_activity_that_is_not_json_is_refused(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        encode_activity({"value": value})
