"""How the tests reach the product: API Gateway events from one builder, and handlers loaded the way Lambda
loads them (a fresh module per execution environment, configured by environment variables)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import snapshot_restore_py

from local.events import http_api_event, lambda_context
from local.template import function_environment, load_template, resources_of_type
from messaging.config import settings
from messaging.store.client import dynamodb_client
from messaging.store.outbox import sqs_client

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = load_template(REPO / "template.yaml")
BASE = "/api/v1.0/consumer"
CREATE = f"{BASE}/conversations/create"
CREATE_ALIAS = f"{BASE}/conversation/create"

_load_lock = threading.Lock()
_loaded = 0


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    tenant: str | None = "tenant-a",
    claims: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    route: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event as API Gateway sends it after its JWT authorizer admitted `tenant`.
    `body` may be bytes/str (sent as is) or any JSON value."""
    raw = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else b"")
    if body is not None and not isinstance(body, bytes | str):
        raw = json.dumps(body).encode()
    all_headers = {"content-type": "application/json", **(headers or {})}
    token_claims = dict(claims) if claims is not None else ({"client_id": tenant} if tenant else {})
    return http_api_event(method, path, route or path, path_parameters or {}, all_headers, raw, token_claims)


def table_environment(
    table_names: Mapping[str, str], queue_urls: Mapping[str, str] | None = None, **variables: str
) -> dict[str, str]:
    """The functions' environment as template.yaml's Globals set it (parameter defaults, these tables and
    queues, the local stand-in secret), with `variables` (environment variable names) overriding."""
    any_function = next(iter(resources_of_type(TEMPLATE, "AWS::Serverless::Function")))
    env = function_environment(TEMPLATE, any_function, dict(table_names), {}, dict(queue_urls or {}))
    env.update(variables)
    return env


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    clear_clients()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clear_clients()


def clear_clients() -> None:
    """Forget the settings and clients built from the environment, as a new execution environment would."""
    settings.cache_clear()
    dynamodb_client.cache_clear()
    sqs_client.cache_clear()


def load_handler(function: str) -> ModuleType:
    """A new execution environment of `functions/<function>/app.py`, as Lambda would start one."""
    global _loaded  # noqa: PLW0603 - a counter for unique module names
    with _load_lock:
        _loaded += 1
        name = f"{function}_app_{_loaded}"
        clear_clients()
        # A new environment has no before-snapshot hook of an earlier one (messaging.snapstart registers one
        # per create function's init): kept, each would keep its environment's use case, clients and their
        # service models alive, ~10 MB per handler loaded, gigabytes over the suite.
        snapshot_restore_py.get_before_snapshot().clear()
        spec = importlib.util.spec_from_file_location(name, REPO / "functions" / function / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            # Registered only while it runs its init (as Lambda imports it): left there, every environment a
            # test loaded would stay alive with its clients for the rest of the session.
            del sys.modules[name]
        return module


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def invoke(handler: ModuleType, event: dict[str, Any]) -> Answer:
    result = handler.lambda_handler(event, lambda_context(handler.__name__))
    body = json.loads(result["body"]) if result.get("body") else None
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    return Answer(result["statusCode"], body, headers)


@contextmanager
def count_dynamodb_calls(client: Any) -> Iterator[list[str]]:
    """Records every HTTP round trip the client makes to DynamoDB (each retry counts), by operation name."""
    calls: list[str] = []

    def record(request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        calls.append((target.decode() if isinstance(target, bytes) else target).rpartition(".")[2])

    client.meta.events.register("before-send.dynamodb", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-send.dynamodb", record)


Handler = Callable[[dict[str, Any]], Answer]


def invoke_raw(handler: ModuleType, event: dict[str, Any]) -> Any:
    """Invokes a non-HTTP function (a stream consumer) and returns what it returns."""
    return handler.lambda_handler(event, lambda_context(handler.__name__))


def run_fresh_interpreter(
    script: str, *arguments: str, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Runs `script` in a new Python process (a cold start of its own, outside the repository's folder) and
    returns the JSON object its last line of output prints."""
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        env=dict(env if env is not None else os.environ),
        capture_output=True,
        text=True,
        check=False,
        cwd=Path("/"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
