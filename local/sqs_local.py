"""The local queue engine: moto's SQS (PyPI `moto[server]`), in a child process, one request at a time.

Deployed, the webhook queue is Amazon SQS (FIFO). Locally it is moto's SQS implementation, which keeps FIFO
message groups, visibility timeouts, receive counts and the redrive policy to a dead-letter queue (with one
fix: a group's order when several of its messages become visible at once, see _keep_fifo_order). moto is not
safe for concurrent requests (measured here for DynamoDB; its SQS receive scans without a lock), so every
request goes through one lock: requests queue up, and no long polling is used (the local poller asks again
after a short pause instead). Started and stopped by PID, like DynamoDB Local.

`python -m local.sqs_local --port N [--host ADDRESS]` runs the server itself (what the child process runs;
`make sam-e2e` runs it on the Docker bridge's address, where its Lambda containers reach it).
"""

import argparse
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local.dynamodb_local import LOCAL_REGION, RUN_DIR, free_port, port_is_free, stop_process

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsLocalError(RuntimeError):
    """The local queue engine did not start."""


def sqs_client(endpoint: str) -> "SQSClient":
    """A boto3 SQS client for the local endpoint, with dummy credentials (botocore signs every request)."""
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


class SqsLocal:
    """moto's SQS on 127.0.0.1:<port> in a child process. Use as a context manager, or start()/stop()."""

    def __init__(self, *, log_dir: Path = RUN_DIR, startup_timeout: float = 30.0) -> None:
        self._log_dir = log_dir
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.endpoint = ""

    @property
    def pid(self) -> int:
        if self._process is None:
            raise SqsLocalError("the local queue engine is not running")
        return self._process.pid

    def start(self, port: int | None = None) -> str:
        if self._process is not None:
            return self.endpoint
        chosen = port or free_port()
        if not port_is_free(chosen):
            raise SqsLocalError(f"port {chosen} is in use")
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"sqs-local-{chosen}.log"
        self._log = log_path.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.sqs_local", "--port", str(chosen)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
            start_new_session=True,
        )
        self.endpoint = f"http://127.0.0.1:{chosen}"
        try:
            self._wait_until_ready(log_path)
        except BaseException:
            self.stop()
            raise
        return self.endpoint

    def _wait_until_ready(self, log_path: Path) -> None:
        client = sqs_client(self.endpoint)
        deadline = time.monotonic() + self._startup_timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise SqsLocalError(
                    f"the local queue engine exited: {log_path.read_text(errors='replace')[-2000:]}"
                )
            try:
                client.list_queues()
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise SqsLocalError(
                        f"the local queue engine did not answer within {self._startup_timeout} s"
                    ) from None
            time.sleep(0.1)  # poll interval, not synchronisation: the loop exits only on an answer

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _serialized(app: Any) -> Any:
    """The WSGI app, one request at a time (the body produced inside the lock)."""
    lock = threading.Lock()

    def serve(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serve


def _keep_fifo_order() -> None:
    """moto (5.2) keeps a received message "pending" until a receive walks past it visible again and holds its
    message group back meanwhile. When several messages of a group become visible together (the backoff of a
    failed batch ends), a receive walks past the first ones while later ones still count as pending, skips
    them, and returns the last one first: out of order. SQS holds a group back only while one of its messages
    is in flight (received, not yet visible again), so before each receive, visible ones stop counting."""
    from moto.sqs.models import SQSBackend  # noqa: PLC0415 - the child process's own

    receive = SQSBackend.receive_message

    def receive_in_order(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        pending = self.get_queue(queue_name).pending_messages
        pending.difference_update([message for message in pending if message.visible])
        return receive(self, queue_name, *args, **kwargs)

    setattr(SQSBackend, "receive_message", receive_in_order)  # noqa: B010 - patching the child's own class


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto's SQS, one request at a time (local runs only).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)")
    args = parser.parse_args(argv)
    from moto.moto_server.werkzeug_app import create_backend_app  # noqa: PLC0415 - the child process's own
    from werkzeug.serving import run_simple  # noqa: PLC0415

    _keep_fifo_order()
    app = create_backend_app("sqs")
    run_simple(args.host, args.port, _serialized(app), threaded=True)


if __name__ == "__main__":
    main()
