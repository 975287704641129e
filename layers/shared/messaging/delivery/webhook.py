"""One webhook delivery: a signed POST of an activity to the tenant's server, to the address we checked.

Why each piece is the way it is:
- The URL is checked again at each delivery (url_guard), and the connection goes to an address that check
  approved: our connection classes open the TCP socket to that IP themselves, while the hostname still names
  the request (Host header), the TLS server name (SNI) and the certificate check. http.client never resolves
  the name a second time, so a DNS answer that changes after the check (DNS rebinding) reaches no socket.
- No redirects: http.client follows none, and a 3xx is a failed delivery (following one would skip the guard).
- One deadline for everything (10 s by default: "2xx within 10 s is success"): DNS, connect, TLS, sending and
  the answer. Socket timeouts bound each read, not their sum (a server trickling a byte every few seconds
  would hold us forever), so a watchdog timer shuts the socket down when the deadline passes.
- Never raises for a network failure: the result says what happened, in a short reason that echoes at most a
  couple of hundred characters of the tenant's answer (it may end up in logs and in the dead-letter store).
- The body is serialized once; those exact UTF-8 bytes are signed and sent.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from messaging.delivery.signing import signature_headers
from messaging.delivery.url_guard import (
    Resolver,
    UnresolvableWebhookUrl,
    UnsafeWebhookUrl,
    WebhookTarget,
    check_webhook_url,
    system_resolver,
)

USER_AGENT = "MessagingAPI-Webhooks/1.0"
DEFAULT_TIMEOUT_S = 10.0
_SNIPPET_CHARS = 200
# A conversation id becomes one path segment: the product's ids are UUIDs; anything else is a caller's bug.
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]{1,256}")
_CONTROL_OR_SPACE_RUN = re.compile(r"[\x00-\x20\x7f-\x9f]+")


@dataclass(frozen=True)
class DeliveryResult:
    """What one POST to a webhook came to: delivered or not, the status or the reason, how long."""

    delivered: bool  # the tenant answered 2xx in time
    status: int | None  # the HTTP status, None when there was no answer
    reason: str  # short, for logs and the dead-letter store
    elapsed_ms: int


def activities_path(conversation_id: str) -> str:
    """`/v3/conversations/{conversation_id}/activities` (CONTRACT.md, "Webhook delivery")."""
    if _PATH_SEGMENT.fullmatch(conversation_id) is None or conversation_id in {".", ".."}:
        raise ValueError("a conversation id for a webhook path is 1 to 256 of A-Z a-z 0-9 . _ ~ -")
    return f"/v3/conversations/{quote(conversation_id, safe='')}/activities"


def encode_activity(activity: Mapping[str, Any]) -> str:
    """The JSON text that is signed and sent. Compact; non-ASCII kept as UTF-8 unless a lone surrogate (which
    has no UTF-8 form) forces \\u escapes. Raises ValueError/TypeError for what is not JSON (NaN, objects)."""
    text = json.dumps(activity, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(activity, separators=(",", ":"), allow_nan=False)
    return text


def post_activity(
    base_url: str,
    conversation_id: str,
    activity: Mapping[str, Any],
    *,
    webhook_id: str,
    secrets: Sequence[str],
    allow_local: bool,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    resolve: Resolver = system_resolver,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    tls_context: ssl.SSLContext | None = None,
) -> DeliveryResult:
    """POST `activity` to `{base_url}/v3/conversations/{conversation_id}/activities`, signed with `secrets`.

    `webhook_id` must be the same on every attempt of one delivery (receivers dedupe on it); the signature
    timestamp comes from `clock` at each call. `tls_context` replaces the system's trust store (tests).
    Raises only for the caller's own mistakes (a bad conversation id, webhook id or secret, an activity that
    is not JSON); every network outcome is a DeliveryResult.
    """
    if not 0 < timeout_s <= 900:  # a Lambda runs 900 s at most
        raise ValueError("the timeout is more than 0 and at most 900 seconds")
    started = time.monotonic()
    deadline = started + timeout_s
    request_path = activities_path(conversation_id)
    body = encode_activity(activity)
    # Signed before the check, so that the caller's mistakes raise before any network (the few seconds DNS may
    # take are nothing to the receivers' 5-minute tolerance).
    headers = {
        **signature_headers(webhook_id, clock(), body, secrets),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }

    def result(status: int | None, reason: str) -> DeliveryResult:
        elapsed_ms = int((time.monotonic() - started) * 1000)
        return DeliveryResult(status is not None and 200 <= status < 300, status, reason, elapsed_ms)

    try:
        target = check_webhook_url(base_url, allow_local=allow_local, resolve=resolve)
    except UnresolvableWebhookUrl as error:
        return result(None, f"dns: {error.reason}")
    except UnsafeWebhookUrl as error:
        return result(None, f"refused: {error.reason}")
    if time.monotonic() >= deadline:
        return result(None, f"timed out after {timeout_s:g} s (resolving {target.host})")
    request = _Request(target, target.request_target(request_path), body.encode("utf-8"), headers)
    with _Watchdog(deadline) as watchdog:
        status, reason = _send(request, deadline, watchdog, tls_context)
    if status is None and (watchdog.fired or time.monotonic() >= deadline):
        # Whichever saw it first (a socket timeout, or the watchdog's shutdown, after which the failed read
        # says "closed" or "reset"), the time ran out.
        reason = f"timed out after {timeout_s:g} s without an answer"
    return result(status, reason)


@dataclass(frozen=True)
class _Request:
    """One signed POST, ready to send: where, the path, the body and its headers."""

    target: WebhookTarget
    path: str
    body: bytes
    headers: dict[str, str]


@functools.cache
def _system_tls() -> ssl.SSLContext:
    """Certificate and hostname verification against the system's CAs (loaded once per environment)."""
    return ssl.create_default_context()


def _send(
    request: _Request, deadline: float, watchdog: _Watchdog, tls: ssl.SSLContext | None
) -> tuple[int | None, str]:
    """Tries the checked addresses in order until one connects, then exchanges the request on it."""
    failures: list[str] = []
    addresses = request.target.addresses
    for index, address in enumerate(addresses):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or watchdog.fired:
            break
        # An unreachable first address must leave time for the others.
        pin = _Pin(str(address), watchdog, tls)
        connection = _connection(request.target, pin, remaining / (len(addresses) - index))
        try:
            connection.connect()
        except Exception as error:  # every failure to connect is an outcome, not a crash
            watchdog.forget()
            connection.close()
            failures.append(f"{address}: {_describe(error)}")
            continue
        return _exchange(connection, request, deadline, watchdog)
    if not failures:
        return None, "no time left to connect"
    return None, "could not connect: " + "; ".join(failures)


def _exchange(
    connection: http.client.HTTPConnection, request: _Request, deadline: float, watchdog: _Watchdog
) -> tuple[int | None, str]:
    try:
        if connection.sock is not None:
            connection.sock.settimeout(max(0.001, deadline - time.monotonic()))
        connection.request("POST", request.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        if watchdog.fired:
            # The shutdown can end the head early (EOF in the headers), which http.client takes for a whole
            # answer: nothing read after the deadline counts.
            raise TimeoutError
        if 200 <= response.status < 300:
            return response.status, f"http {response.status}"
        if 300 <= response.status < 400:
            location = _snippet(response.getheader("Location") or "")
            target = f" to {location}" if location else ""
            return response.status, f"http {response.status}: redirect{target}, not followed"
        return response.status, f"http {response.status}{_body_snippet(response)}"
    except Exception as error:  # a failed exchange is an outcome, not a crash
        return None, _describe(error)
    finally:
        watchdog.forget()
        connection.close()


def _body_snippet(response: http.client.HTTPResponse) -> str:
    """ ": <the start of the answer>" for the reason, or "" (also when the body cannot be read in time)."""
    try:
        text = _snippet(response.read(_SNIPPET_CHARS * 4).decode("utf-8", errors="replace"))
    except Exception:  # the status is the outcome; the body is only a hint
        return ""
    return f": {text}" if text else ""


def _snippet(text: str) -> str:
    text = _CONTROL_OR_SPACE_RUN.sub(" ", text).strip()
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 1] + "…"


def _describe(error: BaseException) -> str:
    """A short, stable reason for a failed connection or exchange."""
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"tls: certificate not accepted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return f"tls: {error.reason or error}"
    if isinstance(error, http.client.HTTPException):
        return f"malformed response ({type(error).__name__})"
    if isinstance(error, OSError) and error.strerror:
        return f"network error: {error.strerror}"
    return f"{type(error).__name__}: {_snippet(str(error))}"


_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (TimeoutError, "timed out"),
    (http.client.RemoteDisconnected, "connection closed without a response"),  # a ConnectionResetError too
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
)


@dataclass(frozen=True)
class _Pin:
    """Where a connection really goes (a checked address), and what guards it."""

    address: str
    watchdog: _Watchdog
    tls: ssl.SSLContext | None  # None: the system's trust store


def _connection(target: WebhookTarget, pin: _Pin, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target.host, target.port, timeout, pin)
    return _PinnedHTTPConnection(target.host, target.port, timeout, pin)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """http.client with the TCP connection made to a checked address instead of a fresh DNS lookup."""

    def __init__(self, host: str, port: int, timeout: float, pin: _Pin) -> None:
        super().__init__(host, port, timeout=timeout)
        self._pin = pin

    def connect(self) -> None:
        sock = socket.create_connection((self._pin.address, self.port), self.timeout)
        self._pin.watchdog.watch(sock)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same, with TLS for the hostname: SNI and certificate verification name the host, not the IP."""

    default_port = http.client.HTTPS_PORT  # so that the Host header omits :443

    def connect(self) -> None:
        super().connect()
        # The handshake runs after the watchdog knows the TLS socket, so that a stalled handshake is cut too.
        tls = self._pin.tls or _system_tls()
        sock = tls.wrap_socket(self.sock, server_hostname=self.host, do_handshake_on_connect=False)
        self.sock = sock
        self._pin.watchdog.watch(sock)
        sock.do_handshake()


class _Watchdog:
    """Shuts the delivery's socket down at the deadline, ending whatever read or write is blocked on it."""

    def __init__(self, deadline: float) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                _abort(sock)

    def forget(self) -> None:
        """Called before the socket is closed, so that a late timer never touches a reused descriptor."""
        with self._lock:
            self._sock = None

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                _abort(self._sock)


def _abort(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: SSLSocket.shutdown would drop its TLS state under
    # the thread that is reading; a shutdown of the descriptor makes that read return or fail at once.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
