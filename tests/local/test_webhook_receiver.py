"""post_activity against the local webhook receiver (and a few raw sockets): delivery, failures, the deadline,
and the pinned connection. Everything listens on loopback; names resolve through injected resolvers only."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local.webhook_receiver import WebhookReceiver
from messaging.delivery.signing import new_secret
from messaging.delivery.webhook import (
    DEFAULT_TIMEOUT_S,
    USER_AGENT,
    DeliveryResult,
    encode_activity,
    post_activity,
)
from tests.fake_dns import FakeResolver, forbid_real_dns, resolver_of

REPO = Path(__file__).resolve().parents[2]
CONVERSATION = "4f0c2a8e-9b1d-4c57-8a7e-2d3b1c0e9f61"
OTHER = "7a1e5b9c-3d2f-4e8a-b6c0-1f2e3d4c5b6a"
MESSAGE = {
    "type": "message",
    "text": "Grüße, wie kann ich helfen? 👋",
    "from": {"id": "rep-1", "name": "Ana"},
}
EVENT = {"type": "event", "name": "ConversationAccepted", "from": {"id": "rep-1", "name": "Ana"}}
PUBLIC_V4 = "93.184.216.34"


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    forbid_real_dns(monkeypatch)
    yield


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def receiver(secret: str) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(secret, hold_s=5) as running:
        yield running


def deliver(
    url: str,
    secret: str | list[str],
    activity: dict[str, Any] | None = None,
    *,
    conversation_id: str = CONVERSATION,
    webhook_id: str = "msg_1",
    **options: Any,
) -> DeliveryResult:
    options.setdefault("allow_local", True)
    options.setdefault("resolve", resolver_of("localhost", "127.0.0.1"))
    return post_activity(
        url,
        conversation_id,
        MESSAGE if activity is None else activity,
        webhook_id=webhook_id,
        secrets=[secret] if isinstance(secret, str) else secret,
        **options,
    )


# --- delivered and verified ---


def test_a_delivery_arrives_verified_with_its_id_headers_and_exact_body(
    receiver: WebhookReceiver, secret: str
) -> None:
    result = deliver(receiver.url, secret, webhook_id="msg_0001")
    assert result.delivered
    assert (result.status, result.reason) == (200, "http 200")
    assert 0 <= result.elapsed_ms < 5000
    [delivery] = receiver.received
    assert delivery.conversation_id == CONVERSATION
    assert delivery.webhook_id == "msg_0001"
    assert delivery.activity == MESSAGE
    assert delivery.body == encode_activity(MESSAGE).encode("utf-8")  # the signed bytes, verified on arrival
    assert delivery.path == f"/v3/conversations/{CONVERSATION}/activities"
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == USER_AGENT
    assert headers["host"] == f"127.0.0.1:{receiver.port}"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60


def test_localhost_and_a_base_path(receiver: WebhookReceiver, secret: str) -> None:
    url = f"http://localhost:{receiver.port}/hooks/tenant-a/"
    assert deliver(url, secret, EVENT).delivered
    [delivery] = receiver.received
    assert delivery.path == f"/hooks/tenant-a/v3/conversations/{CONVERSATION}/activities"
    assert {k.lower(): v for k, v in delivery.headers.items()}["host"] == f"localhost:{receiver.port}"
    assert delivery.activity == EVENT


def test_the_signature_timestamp_comes_from_the_clock(receiver: WebhookReceiver, secret: str) -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = deliver(receiver.url, secret, clock=lambda: moment)
    assert (result.delivered, result.status) == (False, 401)  # 2030 is too far from the receiver's clock
    assert "too new" in result.reason


def test_during_a_rotation_a_receiver_with_either_secret_accepts(secret: str) -> None:
    previous = new_secret()
    for receiver_secret in (secret, previous):
        with WebhookReceiver(receiver_secret) as receiver:
            assert deliver(receiver.url, [secret, previous]).delivered
            assert len(receiver.received) == 1


def test_a_wrong_secret_gets_401_and_is_not_delivered(receiver: WebhookReceiver) -> None:
    result = deliver(receiver.url, new_secret())
    assert (result.delivered, result.status) == (False, 401)
    assert result.reason.startswith("http 401: signature not verified")
    assert receiver.received == []
    assert [arrival.outcome for arrival in receiver.arrivals] == ["401"]


# --- failure modes ---


def test_fail_first_n_globally(receiver: WebhookReceiver, secret: str) -> None:
    receiver.fail_first(2)
    results = [deliver(receiver.url, secret, webhook_id=f"msg_{n}") for n in range(3)]
    assert [(r.delivered, r.status) for r in results] == [(False, 500), (False, 500), (True, 200)]
    assert results[0].reason == "http 500: failing on purpose (500)"
    assert [d.webhook_id for d in receiver.received] == ["msg_2"]
    assert [a.outcome for a in receiver.arrivals] == ["500", "500", "200"]


def test_fail_first_n_per_conversation(receiver: WebhookReceiver, secret: str) -> None:
    receiver.fail_first(1, per_conversation=True, status=503)
    order = [CONVERSATION, OTHER, CONVERSATION, OTHER]
    statuses = [deliver(receiver.url, secret, conversation_id=c).status for c in order]
    assert statuses == [503, 503, 200, 200]


def test_fail_first_n_of_one_conversation(receiver: WebhookReceiver, secret: str) -> None:
    receiver.fail_first(2, conversation_id=CONVERSATION)
    order = [OTHER, CONVERSATION, OTHER, CONVERSATION, CONVERSATION]
    statuses = [deliver(receiver.url, secret, conversation_id=c).status for c in order]
    assert statuses == [200, 500, 200, 500, 200]


def test_always_fail_until_healed(receiver: WebhookReceiver, secret: str) -> None:
    receiver.fail_always()
    assert [deliver(receiver.url, secret).status for _ in range(3)] == [500, 500, 500]
    receiver.heal()
    assert deliver(receiver.url, secret).delivered


def test_closing_without_an_answer(receiver: WebhookReceiver, secret: str) -> None:
    receiver.fail_first(1, "close")
    result = deliver(receiver.url, secret)
    assert (result.delivered, result.status) == (False, None)
    assert result.reason == "connection closed without a response"
    assert deliver(receiver.url, secret).delivered


def test_a_redirect_is_a_failure_and_is_not_followed(receiver: WebhookReceiver, secret: str) -> None:
    receiver.fail_first(1, status=302)
    result = deliver(receiver.url, secret)
    assert (result.delivered, result.status) == (False, 302)
    assert result.reason == "http 302: redirect to /moved, not followed"
    assert [a.outcome for a in receiver.arrivals] == ["302"]  # nothing else was requested


def test_a_held_connection_times_out_within_the_deadline(receiver: WebhookReceiver, secret: str) -> None:
    assert DEFAULT_TIMEOUT_S == 10.0
    receiver.fail_first(1, "timeout")
    started = time.monotonic()
    result = deliver(receiver.url, secret, timeout_s=1.0)
    wall = time.monotonic() - started
    assert (result.delivered, result.status) == (False, None)
    assert result.reason == "timed out after 1 s without an answer"
    assert 900 <= result.elapsed_ms <= 2500
    assert wall < 2.5
    assert deliver(receiver.url, secret).delivered  # the receiver still serves others meanwhile


def test_connection_refused(secret: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = deliver(f"http://127.0.0.1:{port}", secret)
    assert (result.delivered, result.status) == (False, None)
    assert result.reason == "could not connect: 127.0.0.1: connection refused"


def test_a_refused_url_is_not_contacted(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    def no_connection(*args: Any, **kwargs: Any) -> socket.socket:
        raise AssertionError("no connection may be made")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    for url in ("http://10.0.0.1:4000", "http://127.0.0.2:4000", "https://169.254.169.254/"):
        result = deliver(url, secret)
        assert (result.delivered, result.status) == (False, None)
        assert result.reason.startswith("refused: ")
    result = deliver("http://127.0.0.1:4000", secret, allow_local=False)
    assert result.reason.startswith("refused: http is refused")


def test_a_name_that_does_not_resolve(secret: str) -> None:
    result = deliver("http://localhost:4000", secret, resolve=FakeResolver({}))
    assert (result.delivered, result.reason[:5]) == (False, "dns: ")


def test_the_next_address_is_tried_when_one_refuses(receiver: WebhookReceiver, secret: str) -> None:
    # ::1 has no listener (or no IPv6 at all): the next checked address takes the delivery.
    url = f"http://localhost:{receiver.port}"
    assert deliver(url, secret, resolve=resolver_of("localhost", "::1", "127.0.0.1")).delivered


def test_concurrent_deliveries_and_failure_counts_are_thread_safe(
    receiver: WebhookReceiver, secret: str
) -> None:
    receiver.fail_first(5)
    results: list[DeliveryResult] = []
    lock = threading.Lock()

    def send(index: int) -> None:
        result = deliver(receiver.url, secret, webhook_id=f"msg_{index}")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    received = receiver.wait_for(lambda got: len(got) == 19, timeout=20)
    for thread in threads:
        thread.join()
    assert sum(not r.delivered for r in results) == 5
    assert len({d.webhook_id for d in received}) == 19


def test_wait_for_times_out_with_a_summary(receiver: WebhookReceiver) -> None:
    with pytest.raises(TimeoutError, match="0 received"):
        receiver.wait_for(lambda got: len(got) > 0, timeout=0.2)


def test_closing_the_receiver_releases_a_held_connection(secret: str) -> None:
    receiver = WebhookReceiver(secret, hold_s=60).start()
    receiver.fail_always("timeout")
    sender = threading.Thread(target=deliver, args=(receiver.url, secret), kwargs={"timeout_s": 30})
    sender.start()
    # The request is held once the receiver has noted its arrival (before holding it): wait for that
    arrived_by = time.monotonic() + 10
    while not receiver.arrivals:
        assert time.monotonic() < arrived_by, "the request never reached the receiver"
        time.sleep(0.01)  # poll interval; the loop ends on the arrival, not on time
    started = time.monotonic()
    receiver.close()
    sender.join(10)
    assert not sender.is_alive()
    assert time.monotonic() - started < 6


# --- the deadline covers the whole exchange, not each read ---


@contextlib.contextmanager
def raw_server(serve: Callable[[socket.socket], None]) -> Iterator[int]:
    """A listener on 127.0.0.1 whose connections `serve` handles (in threads); yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # closing a listener does not wake a blocked accept(): poll instead
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            threading.Thread(target=_serve_closing, args=(serve, connection), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _serve_closing(serve: Callable[[socket.socket], None], connection: socket.socket) -> None:
    with connection, contextlib.suppress(OSError):
        serve(connection)


def _read_request(connection: socket.socket) -> None:
    connection.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return
        data += chunk


def test_a_trickling_answer_is_cut_at_the_deadline(secret: str) -> None:
    # Each byte comes well within any per-read timeout; only a total deadline ends this.
    def trickle(connection: socket.socket) -> None:
        _read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):
            connection.sendall(b"X")
            time.sleep(0.1)

    with raw_server(trickle) as port:
        started = time.monotonic()
        result = deliver(f"http://127.0.0.1:{port}", secret, timeout_s=1.0)
        elapsed = time.monotonic() - started
    assert (result.delivered, result.reason) == (False, "timed out after 1 s without an answer")
    assert elapsed < 2.5


def test_a_stalled_tls_handshake_is_cut_at_the_deadline(secret: str, tls_files: TlsFiles) -> None:
    def silent(connection: socket.socket) -> None:
        time.sleep(5)

    with raw_server(silent) as port:
        started = time.monotonic()
        result = deliver(f"https://localhost:{port}", secret, timeout_s=1.0, tls_context=tls_files.client())
        elapsed = time.monotonic() - started
    assert (result.delivered, result.reason) == (False, "timed out after 1 s without an answer")
    assert elapsed < 2.5


def test_a_long_error_answer_is_cut_short_in_the_reason(secret: str) -> None:
    def chatty(connection: socket.socket) -> None:
        _read_request(connection)
        body = b"<html>\r\n" + b"internal\x00error " * 2000
        head = f"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        connection.sendall(head + body)

    with raw_server(chatty) as port:
        result = deliver(f"http://127.0.0.1:{port}", secret)
    assert (result.delivered, result.status) == (False, 500)
    assert result.reason.startswith("http 500: <html> internal error internal error")
    assert len(result.reason) <= 220
    assert "\n" not in result.reason
    assert "\x00" not in result.reason


# --- the connection goes to the checked address ---


def test_rebinding_after_the_check_does_not_move_the_connection(secret: str) -> None:
    # A trap listens on the same port of 127.0.0.2. The name answers 127.0.0.1 to the first lookup and
    # 127.0.0.2 to any later one: the delivery connects to what its own check approved, never looking again.
    with (
        WebhookReceiver(secret) as checked,
        WebhookReceiver(secret, host="127.0.0.2", port=checked.port) as trap,
    ):
        resolver = FakeResolver({"localhost": [["127.0.0.1"], ["127.0.0.2"]]})
        result = deliver(f"http://localhost:{checked.port}", secret, resolve=resolver)
        assert result.delivered
        assert resolver.calls == ["localhost"]  # one lookup: the check's
        assert len(checked.received) == 1
        assert trap.arrivals == []
        # The next delivery checks again and goes to what that check approved (loopback: allowed locally).
        assert deliver(f"http://localhost:{checked.port}", secret, resolve=resolver).delivered
        assert resolver.calls == ["localhost", "localhost"]
        assert (len(checked.received), len(trap.received)) == (1, 1)


def test_deployed_the_connection_goes_only_to_the_checked_public_address(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    connected: list[tuple[Any, ...]] = []

    def record(address: tuple[Any, ...], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "create_connection", record)
    resolver = FakeResolver({"hooks.example.com": [[PUBLIC_V4], ["127.0.0.1"]]})
    url = "https://hooks.example.com/webhooks"
    first = deliver(url, secret, allow_local=False, resolve=resolver)
    assert first.reason == f"could not connect: {PUBLIC_V4}: connection refused"
    assert connected == [(PUBLIC_V4, 443)]
    second = deliver(url, secret, allow_local=False, resolve=resolver)  # now the name rebinds to loopback
    assert second.reason.startswith("refused: hooks.example.com resolves to 127.0.0.1")
    assert connected == [(PUBLIC_V4, 443)]


# --- TLS: pinned to the IP, verified for the name ---


class TlsFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca = directory / "ca.pem"

    def client(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def server(self, name: str, names_seen: list[str]) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.directory / f"{name}.pem", self.directory / f"{name}.key")

        def remember(
            sock: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, ctx: ssl.SSLContext
        ) -> None:
            names_seen.append(str(server_name))

        context.sni_callback = remember
        return context


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throw-away CA and two leaf certificates: for localhost, and for another name."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make test certificates")
    directory = tmp_path_factory.mktemp("tls")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    ca_extensions = (
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    )
    _openssl("req", "-x509", *ec, *ca_extensions, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Test CA", cwd=directory)  # fmt: skip
    for name in ("localhost", "other.example"):
        extensions = directory / f"{name}.ext"
        extensions.write_text(
            f"subjectAltName=DNS:{name}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
        )
        _openssl(
            "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=directory
        )
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", str(extensions), cwd=directory)  # fmt: skip
    return TlsFiles(directory)


def test_https_connects_to_the_checked_ip_with_the_name_for_sni_and_the_certificate(
    secret: str, tls_files: TlsFiles
) -> None:
    names_seen: list[str] = []
    with WebhookReceiver(secret, tls=tls_files.server("localhost", names_seen)) as receiver:
        assert receiver.url.startswith("https://127.0.0.1:")
        url = f"https://localhost:{receiver.port}"
        result = deliver(url, secret, tls_context=tls_files.client())
        assert (result.delivered, result.status) == (True, 200), result.reason
        assert names_seen == ["localhost"]
        [delivery] = receiver.received
        assert {k.lower(): v for k, v in delivery.headers.items()}["host"] == f"localhost:{receiver.port}"


def test_https_refuses_a_certificate_for_another_name(secret: str, tls_files: TlsFiles) -> None:
    with WebhookReceiver(secret, tls=tls_files.server("other.example", [])) as receiver:
        result = deliver(f"https://localhost:{receiver.port}", secret, tls_context=tls_files.client())
        assert (result.delivered, result.status) == (False, None)
        assert "tls: certificate not accepted" in result.reason
        assert "localhost" in result.reason
        assert receiver.arrivals == []


def test_https_with_the_system_trust_store_refuses_a_private_ca(secret: str, tls_files: TlsFiles) -> None:
    with WebhookReceiver(secret, tls=tls_files.server("localhost", [])) as receiver:
        result = deliver(f"https://localhost:{receiver.port}", secret)
        assert "tls: certificate not accepted" in result.reason


# --- the command line (make webhook-receiver) ---


def test_the_command_line_receiver_prints_arrivals_and_fails_on_cue(secret: str) -> None:
    command = [sys.executable, "-m", "local.webhook_receiver", "--port", "0", "--secret", secret]
    process = subprocess.Popen(
        [*command, "--fail-first", "1", "--fail-status", "503"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "webhook receiver on http://127.0.0.1:" in banner
        url = banner.split(" on ")[1].split()[0]
        assert deliver(url, secret).status == 503
        assert deliver(url, secret, EVENT, webhook_id="msg_2").delivered
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    lines = output.splitlines()
    assert any(CONVERSATION in line and "msg_1" in line and "503" in line for line in lines), output
    assert any("msg_2" in line and "event ConversationAccepted from Ana" in line for line in lines), output
    assert lines[-1].endswith("stopped")


def test_the_command_line_refuses_a_bad_secret() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local.webhook_receiver", "--port", "0", "--secret", "whsec_"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "whsec_ followed by base64" in done.stderr


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"conversation_id": "../admin"}, "conversation id"),
        ({"conversation_id": ""}, "conversation id"),
        ({"webhook_id": "a\r\nb"}, "webhook id"),
        ({"activity": {"value": float("nan")}}, "JSON compliant"),
        ({"timeout_s": 0}, "timeout"),
    ],
)
def test_the_callers_mistakes_raise_before_any_network(
    change: dict[str, Any], words: str, secret: str
) -> None:
    with pytest.raises(ValueError, match=words):
        deliver("http://127.0.0.1:9", secret, resolve=FakeResolver({}), **change)
