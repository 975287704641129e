"""Fault injection in front of DynamoDB, on the product's own client and code path.

A botocore `before-send` hook answers a share of the requests with a failure DynamoDB really gives, at a
set rate, from a seeded generator: throttling, a TransactionConflict, a 500, or a timeout (the request lost
on the way there, or done by DynamoDB and its answer lost on the way back). Everything above the HTTP
send runs for real: botocore's standard retries, the store's error mapping, the use cases' own retries,
the handlers' error answers. Install one injector per process (one Lambda execution environment).
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

from messaging.store.client import dynamodb_client
from tests.harness import load_handler

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
_THROTTLES = (
    ("ProvisionedThroughputExceededException", "The level of configured provisioned throughput exceeded."),
    ("ThrottlingException", "Rate of requests exceeds the allowed throughput."),
)


class Fault(StrEnum):
    THROTTLING = "throttling"  # 400 ProvisionedThroughputExceededException or ThrottlingException
    TRANSACTION_CONFLICT = "transaction_conflict"  # TransactWriteItems only: cancelled, TransactionConflict
    INTERNAL_ERROR = "internal_error"  # 500 InternalServerError
    READ_TIMEOUT = "read_timeout"  # no answer; DynamoDB never saw the request
    LOST_ANSWER = "lost_answer"  # DynamoDB did the work; the answer timed out on its way back
    CONNECT_TIMEOUT = "connect_timeout"


@dataclass(frozen=True, slots=True)
class Send:
    """One HTTP round trip the client attempted (`attempt` counts botocore's retries from 1)."""

    operation: str
    attempt: int
    fault: Fault | None


class _Body:
    """The raw stream botocore reads an HTTP answer from."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class FaultInjector:
    """Fails `rate` of the sends (of `operations`, or all) with one of `faults`, chosen by
    `random.Random(seed)`; or, given a `script`, fails the first sends with its faults in order (None lets
    one through) and no others. Thread-safe; `sends` records every round trip; `enabled = False` lets
    everything through."""

    def __init__(
        self,
        rate: float,
        seed: int,
        faults: Sequence[Fault] = tuple(Fault),
        operations: Collection[str] | None = None,
        script: Sequence[Fault | None] | None = None,
    ) -> None:
        self.rate = rate
        self.faults = tuple(faults)
        self.operations = operations
        self.script = None if script is None else list(script)
        self.enabled = True
        self.sends: list[Send] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._courier = URLLib3Session()  # delivers the requests whose answers are then lost

    def install(self, client: DynamoDBClient) -> None:
        # botocore-stubs type every handler as returning None; a before-send handler may return the answer.
        client.meta.events.register("before-send.dynamodb", cast("Callable[..., None]", self._before_send))

    def _before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        operation = _header(request, "X-Amz-Target").rpartition(".")[2]
        attempt = int(_header(request, "amz-sdk-request").partition("attempt=")[2].split(";")[0] or 1)
        with self._lock:
            fault, detail = self._choose(operation)
            self.sends.append(Send(operation, attempt, fault))
        if fault is None:
            return None
        return self._inflict(fault, detail, request)

    def _choose(self, operation: str) -> tuple[Fault | None, float]:
        # Always three draws, so the sequence of decisions depends on the seed and the send count only.
        hit, pick, detail = self._random.random(), self._random.random(), self._random.random()
        applicable = [fault for fault in self.faults if _applies(fault, operation)]
        wanted = self.operations is None or operation in self.operations
        if not (self.enabled and wanted):
            return None, detail
        if self.script is not None:
            scripted = self.script.pop(0) if self.script else None
            return (scripted if scripted and _applies(scripted, operation) else None), detail
        if not (applicable and hit < self.rate):
            return None, detail
        return applicable[int(pick * len(applicable))], detail

    def _inflict(self, fault: Fault, detail: float, request: AWSPreparedRequest) -> AWSResponse:
        url = str(request.url)
        match fault:
            case Fault.THROTTLING:
                code, message = _THROTTLES[int(detail * len(_THROTTLES))]
                return _error_answer(url, 400, {"__type": _ERROR_PREFIX + code, "message": message})
            case Fault.TRANSACTION_CONFLICT:
                return _error_answer(url, 400, _conflict(request, detail))
            case Fault.INTERNAL_ERROR:
                error = {"__type": _ERROR_PREFIX + "InternalServerError", "message": "Internal error"}
                return _error_answer(url, 500, error)
            case Fault.READ_TIMEOUT:
                raise ReadTimeoutError(endpoint_url=url)
            case Fault.LOST_ANSWER:
                self._courier.send(request)
                raise ReadTimeoutError(endpoint_url=url)
            case Fault.CONNECT_TIMEOUT:
                raise ConnectTimeoutError(endpoint_url=url)


def load_handler_with_faults(function: str, injector: FaultInjector) -> ModuleType:
    """`tests.harness.load_handler`, with the injector on the DynamoDB client that handler built: the loader
    clears the client cache first, so the cached client right after loading is the handler's own.
    One thread at a time (processes each load their own)."""
    handler = load_handler(function)
    injector.install(dynamodb_client())
    return handler


def _applies(fault: Fault, operation: str) -> bool:
    return fault is not Fault.TRANSACTION_CONFLICT or operation == "TransactWriteItems"


def _header(request: AWSPreparedRequest, name: str) -> str:
    value = request.headers.get(name, b"")
    return value.decode() if isinstance(value, bytes) else str(value)


def _conflict(request: AWSPreparedRequest, detail: float) -> dict[str, Any]:
    """What DynamoDB answers when another transaction holds one of the items: one reason per action."""
    body = request.body
    actions = len(json.loads(body.decode() if isinstance(body, bytes) else str(body))["TransactItems"])
    reasons: list[dict[str, str]] = [{"Code": "None"} for _ in range(actions)]
    reasons[int(detail * actions)] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing"}
    codes = ", ".join(reason["Code"] for reason in reasons)
    return {
        "__type": _ERROR_PREFIX + "TransactionCanceledException",
        "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        "CancellationReasons": reasons,
    }


def _error_answer(url: str, status: int, document: dict[str, Any]) -> AWSResponse:
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.0"
    headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return AWSResponse(url, status, headers, _Body(json.dumps(document).encode()))
