"""A business's webhook receiver for local runs and tests: checks Standard Webhooks signatures, fails on cue.

`make webhook-receiver SECRET=whsec_… [PORT=4000]` serves http://127.0.0.1:<port>: give that URL to
PUT /channel (local runs allow http to 127.0.0.1), and the signingSecret it answered to SECRET. Each
arrival is printed.

It answers POST <any prefix>/v3/conversations/{id}/activities: 401 when the signature does not verify with
any of its secrets (checked by the `standardwebhooks` package, as a business would), else 200, unless a
failure rule says otherwise. Failure rules make the delivery pipeline's retries testable:
- `status`: answer a status (500 by default; 302 for a redirect, which must not be followed);
- `timeout`: hold the connection without answering for `hold_s` (longer than the client's 10 s), then close;
- `close`: read the request and close the connection without an answer.
A rule fails the next N requests (globally, of one conversation, or of each conversation), or all of them.

Tests use the Python API: `with WebhookReceiver(secret) as receiver:` then `receiver.url`, `.received` (the
accepted deliveries in arrival order), `.arrivals` (every request and what it got), `.wait_for(...)`, and
`.fail_first(...)`, `.fail_always(...)`, `.heal()` at any time, from any thread.

http.server and not the dev server's h11 stack: this stands in for a business's server, fed by our own client,
so strict framing is not what it tests; stdlib is enough.
"""

from __future__ import annotations

import argparse
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote

from standardwebhooks import Webhook

DEFAULT_PORT = 4000
DEFAULT_HOLD_S = 15.0  # longer than delivery's 10 s deadline
MAX_BODY_BYTES = 1024 * 1024
_ACTIVITIES = re.compile(r"(?P<prefix>(?:/[^/?#]*)*?)/v3/conversations/(?P<id>[^/?#]+)/activities")


class FailureMode(StrEnum):
    STATUS = "status"  # answer `status` (500 unless told)
    TIMEOUT = "timeout"  # hold the connection unanswered, then close it
    CLOSE = "close"  # close the connection without an answer


@dataclass(frozen=True)
class Delivery:
    """An accepted (verified, answered 200) delivery."""

    conversation_id: str
    webhook_id: str
    timestamp: str  # the webhook-timestamp header
    activity: Any  # the parsed body
    body: bytes  # the bytes as received (and verified)
    path: str
    headers: dict[str, str]  # as received (names as sent)


@dataclass(frozen=True)
class Arrival:
    """Any request on the activities path, and what it got: "200", "401", "500", "timeout", "close"."""

    conversation_id: str
    webhook_id: str | None
    outcome: str
    detail: str = ""


@dataclass
class _Rule:
    mode: FailureMode
    status: int
    remaining: int | None  # None: always
    conversation_id: str | None  # only this conversation
    per_conversation: bool  # `remaining` counts for each conversation separately
    used: dict[str, int] = field(default_factory=dict)

    def take(self, conversation_id: str) -> bool:
        """Whether this request fails by this rule (and counts it)."""
        if self.conversation_id is not None and conversation_id != self.conversation_id:
            return False
        if self.remaining is None:
            return True
        key = conversation_id if self.per_conversation else ""
        if self.used.get(key, 0) >= self.remaining:
            return False
        self.used[key] = self.used.get(key, 0) + 1
        return True


class WebhookReceiver:
    """The receiver on 127.0.0.1 (`port=0`: a free port), in a background thread; thread-safe."""

    def __init__(
        self,
        secret: str | list[str],
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        hold_s: float = DEFAULT_HOLD_S,
        log: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        secrets = [secret] if isinstance(secret, str) else list(secret)
        self._verifiers = [Webhook(each) for each in secrets]  # a bad secret fails here, not per request
        self._hold_s = hold_s
        self._log = log
        self._lock = threading.Condition()
        self._received: list[Delivery] = []
        self._arrivals: list[Arrival] = []
        self._rules: list[_Rule] = []
        self._closing = threading.Event()
        self._server = _Server((host, port), _Handler, self)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # --- life cycle ---
    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # releases held connections at once
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to register with PUT /channel."""
        host = str(self._server.server_address[0])
        return f"{self._scheme}://{host if ':' not in host else f'[{host}]'}:{self.port}"

    # --- what arrived ---
    @property
    def received(self) -> list[Delivery]:
        with self._lock:
            return list(self._received)

    @property
    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._arrivals)

    def wait_for(self, predicate: Callable[[list[Delivery]], bool], timeout: float) -> list[Delivery]:
        """Blocks until `predicate(received)` holds and returns `received`; TimeoutError after `timeout` s."""
        with self._lock:
            if not self._lock.wait_for(lambda: predicate(list(self._received)), timeout):
                raise TimeoutError(
                    f"not met within {timeout} s; {len(self._received)} received, "
                    f"arrivals: {[(a.conversation_id, a.outcome) for a in self._arrivals]}"
                )
            return list(self._received)

    # --- failure rules ---
    def fail_first(
        self,
        count: int,
        mode: FailureMode | str = FailureMode.STATUS,
        *,
        status: int = 500,
        conversation_id: str | None = None,
        per_conversation: bool = False,
    ) -> None:
        """Fails the next `count` requests (of `conversation_id` only, or of each conversation separately)."""
        self._add(_Rule(FailureMode(mode), status, count, conversation_id, per_conversation))

    def fail_always(
        self,
        mode: FailureMode | str = FailureMode.STATUS,
        *,
        status: int = 500,
        conversation_id: str | None = None,
    ) -> None:
        self._add(_Rule(FailureMode(mode), status, None, conversation_id, per_conversation=False))

    def heal(self) -> None:
        """Drops every failure rule: from now on, verified requests are accepted."""
        with self._lock:
            self._rules.clear()

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    # --- one request (called on the connection's thread) ---
    def handle(self, request: _Handler) -> None:
        match = _ACTIVITIES.fullmatch(request.path)
        if match is None:
            request.answer(404, "not an activities path")
            return
        conversation_id = unquote(match["id"])
        body = request.read_body()
        if body is None:
            return
        headers = {name: value for name, value in request.headers.items()}
        webhook_id = request.headers.get("webhook-id")
        activity, problem = self._verify(body, headers)
        if problem is not None:
            self._note(Arrival(conversation_id, webhook_id, "401", problem))
            request.answer(401, problem)
            return
        with self._lock:
            rule = next((rule for rule in self._rules if rule.take(conversation_id)), None)
        if rule is not None:
            self._fail(request, rule, Arrival(conversation_id, webhook_id, ""))
            return
        delivery = Delivery(
            conversation_id,
            str(webhook_id),
            request.headers.get("webhook-timestamp", ""),
            activity,
            body,
            request.path,
            headers,
        )
        with self._lock:
            self._received.append(delivery)
            self._arrivals.append(Arrival(conversation_id, webhook_id, "200"))
            self._lock.notify_all()
        self._print(f"{conversation_id}  {webhook_id}  {describe_activity(activity)}")
        request.answer(200, "")

    def _verify(self, body: bytes, headers: dict[str, str]) -> tuple[Any, str | None]:
        problem = "no webhook-signature verifies with the receiver's secret"
        for verifier in self._verifiers:
            try:
                return verifier.verify(body, headers), None
            except Exception as error:  # the library raises several kinds for malformed headers
                problem = f"signature not verified: {error}"
        return None, problem

    def _fail(self, request: _Handler, rule: _Rule, arrival: Arrival) -> None:
        outcome = str(rule.status) if rule.mode is FailureMode.STATUS else rule.mode.value
        self._note(Arrival(arrival.conversation_id, arrival.webhook_id, outcome, "failure rule"))
        if rule.mode is FailureMode.STATUS:
            request.answer(rule.status, f"failing on purpose ({rule.status})", location="/moved")
        elif rule.mode is FailureMode.TIMEOUT:
            self._closing.wait(self._hold_s)
            request.drop()
        else:
            request.drop()

    def _note(self, arrival: Arrival) -> None:
        with self._lock:
            self._arrivals.append(arrival)
        self._print(f"{arrival.conversation_id}  {arrival.webhook_id}  -> {arrival.outcome} {arrival.detail}")

    def _print(self, line: str) -> None:
        if self._log is not None:
            self._log(f"{time.strftime('%H:%M:%S')}  {line}")


def describe_activity(activity: Any) -> str:
    """One readable line: the type, an event's name, a message's sender and text."""
    if not isinstance(activity, dict):
        return repr(activity)[:200]
    kind = str(activity.get("type", "?"))
    sender = activity.get("from")
    who = f" from {sender.get('name') or sender.get('id')}" if isinstance(sender, dict) else ""
    if kind == "event":
        return f"event {activity.get('name')}{who}"
    if kind == "message":
        text = str(activity.get("text", ""))
        extra = f" (+{len(activity['attachments'])} attachments)" if activity.get("attachments") else ""
        return f"message{who}: {text[:300]!r}{extra}"
    return f"{kind}{who}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog: the default 5 drops connections of a burst of deliveries

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], receiver: WebhookReceiver
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.receiver = receiver
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer's server_bind asks the resolver for the host's FQDN (a reverse lookup): not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection does not hold a thread forever

    def do_POST(self) -> None:  # http.server's naming
        self.server.receiver.handle(self)

    def read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self.answer(411, "a Content-Length is required")
            return None
        if int(length) > MAX_BODY_BYTES:
            self.answer(413, "too large")
            return None
        return self.rfile.read(int(length))

    def answer(self, status: int, text: str, *, location: str | None = None) -> None:
        payload = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if location is not None and 300 <= status < 400:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(payload)

    def drop(self) -> None:
        """No answer: the connection is closed once this request returns."""
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
        pass  # the receiver prints its own lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--secret", action="append", required=True, help="whsec_… (repeat during a rotation)")
    parser.add_argument("--fail-first", type=int, default=0, metavar="N", help="fail the first N requests")
    parser.add_argument("--per-conversation", action="store_true", help="count --fail-first per conversation")
    parser.add_argument("--conversation", help="fail only this conversation's requests")
    parser.add_argument("--always-fail", action="store_true", help="fail every request")
    parser.add_argument("--fail-mode", choices=[mode.value for mode in FailureMode], default="status")
    parser.add_argument("--fail-status", type=int, default=500)
    parser.add_argument("--hold-seconds", type=float, default=DEFAULT_HOLD_S, help="how long 'timeout' holds")
    args = parser.parse_args(argv)
    try:
        receiver = WebhookReceiver(args.secret, port=args.port, hold_s=args.hold_seconds, log=_say)
    except OSError as error:
        parser.error(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}")
    except Exception:  # the library's errors for an empty or non-base64 secret
        parser.error("--secret: whsec_ followed by base64 is expected (the signingSecret of PUT /channel)")
    if args.always_fail:
        receiver.fail_always(args.fail_mode, status=args.fail_status, conversation_id=args.conversation)
    elif args.fail_first:
        receiver.fail_first(
            args.fail_first,
            args.fail_mode,
            status=args.fail_status,
            conversation_id=args.conversation,
            per_conversation=args.per_conversation,
        )
    # Ctrl-C stops it however it was started: a shell's background job (`… &`) starts with SIGINT ignored,
    # and Python then leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with receiver:
        _say(f"webhook receiver on {receiver.url} (PUT /channel with this webhookUrl); Ctrl-C stops it")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            _say("stopped")


def _say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
