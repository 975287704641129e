"""HTTP/1.1 for the emulated API Gateway: strict parsing, timeouts, keep-alive, one thread per connection.

Why h11 (PyPI, maintained by python-hyper) and not http.server, uvicorn or hypercorn:
- http.server is lax: it took `+39` and `3_9` as lengths (int()), let the first of two Content-Length
  headers win (the rest of the body became a second request), and had no timeouts, so 200 half-open
  connections were held forever.
- h11 parses strictly (a Content-Length is digits only; conflicting lengths, bad request lines, header names
  and values, a missing Host are errors) and does no I/O, so the timeouts stay ours and simple: every read
  has a deadline. It handles keep-alive, pipelining, HTTP/1.0 and Expect: 100-continue.
- uvicorn/hypercorn would bring an event loop and an ASGI adapter around calls that block anyway (one
  invocation per connection thread), and uvicorn has no timeout for a request head that trickles in.

On top of h11, what API Gateway refuses and h11 lets through: two identical Content-Length headers or a
comma list of them (h11 merges them into one), Transfer-Encoding together with Content-Length, and any
Transfer-Encoding (411: this gateway wants a Content-Length), and a request head over API Gateway's 10,240
bytes. Each gets a 400/411 problem answer and the connection is closed, since its framing cannot be trusted.

Timeouts: a connection that sends nothing for `idle_seconds` (before a request or between keep-alive
requests) is closed, and a request whose head and body have not fully arrived `request_seconds` after its
first byte is dropped, so slow or half-open connections cannot pile up.
"""

import contextlib
import re
import socket
import socketserver
import threading
import time
import traceback
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

import h11

from local.api_gateway import MAX_BODY_BYTES, ApiGateway, GatewayResponse, problem_response

# API Gateway's quota for an HTTP API request's line and headers together.
MAX_HEAD_BYTES = 10_240
_RECEIVE_BYTES = 65_536
_END_OF_HEAD = re.compile(rb"\n\r?\n")  # h11's own rule: a bare LF ends a line too
_LINE = re.compile(rb"\r?\n")
# After refusing a request, read (and drop) what the client is still sending for a moment before closing:
# closing with unread data resets the connection, and the client could lose the answer.
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class HttpTimeouts:
    idle_seconds: float = 30.0  # nothing received: before a request, or between two on one connection
    request_seconds: float = 30.0  # from a request's first byte until its body has arrived; also per answer


class _Gone(Exception):
    """The client closed the connection, or did not send in time: close it without an answer."""


class GatewayHTTPServer(socketserver.ThreadingTCPServer):
    """One thread per connection, so concurrent requests reach the functions concurrently."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections when many clients connect at once.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], gateway: ApiGateway, timeouts: HttpTimeouts | None = None):
        self.gateway = gateway
        self.timeouts = timeouts or HttpTimeouts()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _ConnectionHandler)

    def server_close(self) -> None:
        """Stops listening and ends every open connection (their threads then finish)."""
        super().server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its thread
                connection.shutdown(socket.SHUT_RDWR)

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._connections_lock:
            if is_open:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


class _ConnectionHandler(socketserver.BaseRequestHandler):
    server: GatewayHTTPServer
    request: socket.socket

    def handle(self) -> None:
        self.server.track(self.request, True)
        try:
            _Connection(
                self.request, self.server.gateway, self.server.timeouts, self.client_address[0]
            ).serve()
        except (_Gone, OSError):
            pass  # the client went away or stalled: nothing to answer
        finally:
            self.server.track(self.request, False)


class _Connection:
    def __init__(self, sock: socket.socket, gateway: ApiGateway, timeouts: HttpTimeouts, client_ip: str):
        self._socket = sock
        self._gateway = gateway
        self._timeouts = timeouts
        self._client_ip = client_ip
        self._buffer = bytearray()  # received, not yet given to h11: the next request's first bytes

    def serve(self) -> None:
        """Requests one after the other (keep-alive, pipelining) until one side closes."""
        while self._serve_one():
            pass

    def _serve_one(self) -> bool:
        """One request and its answer; False when the connection must close."""
        if not self._buffer:
            self._receive(time.monotonic() + self._timeouts.idle_seconds)
        deadline = time.monotonic() + self._timeouts.request_seconds
        parsed = self._next_request(deadline)
        if parsed is None:
            return False
        http, request = parsed
        if _content_length(request) > MAX_BODY_BYTES:
            # Answered before the body is read (with Expect: 100-continue, before it is even sent).
            refusal = problem_response("payload_too_large", f"Body over {MAX_BODY_BYTES} bytes")
            self._send(http, request, refusal, close=True)  # its unread body must not be read as a request
            self._linger_and_close()
            return False
        if http.client_is_waiting_for_100_continue:
            self._socket.sendall(
                http.send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")) or b""
            )
        response = self._invoke(request, self._read_body(http, deadline))
        try:
            self._send(http, request, response)
        except h11.LocalProtocolError as error:  # nothing was sent: h11 checks before it serializes
            return self._refuse("internal_error", f"The function's answer is not valid HTTP: {error}")
        if http.our_state is not h11.DONE or http.their_state is not h11.DONE:
            return False  # HTTP/1.0, Connection: close: h11 says this connection ends here
        self._buffer += http.trailing_data[0]  # a pipelined next request
        return True

    def _next_request(self, deadline: float) -> tuple[h11.Connection, h11.Request] | None:
        """The next request's head, parsed; None when it was refused (and the connection closed)."""
        head_end = self._read_head(deadline)
        if head_end is None:
            self._refuse("bad_request", f"The request line and headers exceed {MAX_HEAD_BYTES} bytes")
            return None
        refusal = _framing_refusal(bytes(self._buffer[:head_end]))
        if refusal is not None:
            self._refuse(*refusal)
            return None
        # One h11 connection per request: our raw look at the next head needs its bytes before h11 has them.
        http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        http.receive_data(bytes(self._buffer))
        self._buffer.clear()
        try:
            request = http.next_event()
        except h11.RemoteProtocolError as error:
            self._refuse("bad_request", f"Malformed HTTP request: {error}")
            return None
        assert isinstance(request, h11.Request)  # the whole head was there
        if request.http_version not in (b"1.0", b"1.1"):  # h11 takes any digit.digit
            self._refuse("bad_request", f"HTTP/{request.http_version.decode()} is not supported")
            return None
        return http, request

    def _invoke(self, request: h11.Request, body: bytes) -> GatewayResponse:
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw_items()
        ]
        try:
            return self._gateway.handle(
                request.method.decode("ascii"), request.target.decode("ascii"), headers, body, self._client_ip
            )
        except Exception:  # a bug of the emulation itself: still an answer, never a dropped connection
            traceback.print_exc()
            return problem_response("internal_error", "The local gateway failed; see the dev server log")

    def _receive(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Gone
        self._socket.settimeout(remaining)
        try:
            data = self._socket.recv(_RECEIVE_BYTES)
        except TimeoutError:
            raise _Gone from None
        if not data:
            raise _Gone
        self._buffer += data

    def _read_head(self, deadline: float) -> int | None:
        """Where the request head ends in the buffer (reading until it has), or None when it is too long."""
        searched = 0
        while (end := _END_OF_HEAD.search(self._buffer, searched)) is None:
            if len(self._buffer) > MAX_HEAD_BYTES:
                return None
            searched = max(0, len(self._buffer) - 2)
            self._receive(deadline)
        return end.end() if end.end() <= MAX_HEAD_BYTES else None

    def _read_body(self, http: h11.Connection, deadline: float) -> bytes:
        body = bytearray()
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError:
                raise _Gone from None  # e.g. closed before the whole body came
            if isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return bytes(body)
            elif event is h11.NEED_DATA:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Gone
                self._socket.settimeout(remaining)
                try:
                    http.receive_data(self._socket.recv(_RECEIVE_BYTES))
                except TimeoutError:
                    raise _Gone from None
            else:
                raise _Gone  # ConnectionClosed

    def _send(
        self, http: h11.Connection, request: h11.Request, response: GatewayResponse, *, close: bool = False
    ) -> None:
        no_body = request.method == b"HEAD" or response.status in (204, 304)
        headers = [(name, value) for name, value in response.headers if name.lower() not in _FRAMING_HEADERS]
        headers.append(("date", formatdate(usegmt=True)))
        if close:
            headers.append(("connection", "close"))
        if response.status != 204:
            headers.append(("content-length", str(len(response.body))))
        self._socket.settimeout(self._timeouts.request_seconds)
        data = http.send(h11.Response(status_code=response.status, headers=headers, reason=_reason(response)))
        if not no_body and response.body:
            data = (data or b"") + (http.send(h11.Data(data=response.body)) or b"")
        data = (data or b"") + (http.send(h11.EndOfMessage()) or b"")
        self._socket.sendall(data)

    def _refuse(self, code: str, detail: str) -> bool:  # False: the connection is closed
        """Answers a request whose framing cannot be trusted, outside h11 (it never saw a valid request)."""
        response = problem_response(code, detail)
        lines = [
            f"HTTP/1.1 {response.status} {_reason(response)}",
            *(f"{name}: {value}" for name, value in response.headers),
            f"date: {formatdate(usegmt=True)}",
            f"content-length: {len(response.body)}",
            "connection: close",
        ]
        self._socket.settimeout(self._timeouts.request_seconds)
        self._socket.sendall("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + response.body)
        self._linger_and_close()
        return False

    def _linger_and_close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER_SECONDS
            drained = 0
            while drained < _LINGER_BYTES and (remaining := deadline - time.monotonic()) > 0:
                self._socket.settimeout(remaining)
                chunk = self._socket.recv(_RECEIVE_BYTES)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass  # timed out or reset: closing is all that is left


_FRAMING_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "date"})


def _framing_refusal(head: bytes) -> tuple[str, str] | None:
    """What API Gateway refuses in a head that h11 would accept: (problem code, detail), or None."""
    lengths, transfer_encodings = [], []
    for line in _LINE.split(head)[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            lengths.append(value.strip())
        elif name.lower() == b"transfer-encoding":
            transfer_encodings.append(value.strip())
    if len(lengths) > 1 or any(b"," in length for length in lengths):
        return "bad_request", "More than one Content-Length header"
    if transfer_encodings and lengths:
        return "bad_request", "Both Transfer-Encoding and Content-Length"
    if transfer_encodings:
        return "length_required", "Send a Content-Length (Transfer-Encoding, e.g. chunked, is not accepted)"
    return None


def _content_length(request: h11.Request) -> int:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 made sure it is digits only
    return 0


def _reason(response: GatewayResponse) -> str:
    try:
        return HTTPStatus(response.status).phrase
    except ValueError:
        return ""
