"""E2E: `python -m local.dev_server` as a user runs it (a subprocess), driven over HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.dynamodb_local import free_port, stop_process
from local.token import LOCAL_SCOPE, mint_token
from tests.e2e.api_client import TenantApi
from tests.harness import REPO


@dataclass
class HttpAnswer:
    status: int
    body: Any
    headers: dict[str, str]


type Send = Callable[..., HttpAnswer]


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dev server exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{base_url}/", timeout=1)
        except urllib.error.HTTPError:
            return  # any HTTP answer (404 JSON) means it is serving
        except OSError:
            time.sleep(0.1)  # poll interval; the loop ends on an answer
    raise AssertionError("dev server did not start")


@pytest.fixture(scope="session")
def dev_server(dynamodb_endpoint: str) -> Iterator[str]:
    with running_dev_server(dynamodb_endpoint) as base_url:
        yield base_url


@contextlib.contextmanager
def running_dev_server(dynamodb_endpoint: str, **parameters: str) -> Iterator[str]:
    """`make dev`'s server on a free port, the template's `parameters` overridden as `PARAM_<Name>` does."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARAM_") and k != "PORT"}
    env |= {f"PARAM_{name}": value for name, value in parameters.items()}
    env |= {"DYNAMODB_ENDPOINT": dynamodb_endpoint, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "local.dev_server", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, base_url)
        yield base_url
    finally:
        stop_process(process, timeout=30)


@pytest.fixture
def send(dev_server: str) -> Send:
    return http_sender(dev_server)


def http_sender(base_url: str) -> Send:
    """Calls to the server at `base_url` as JSON over HTTP."""

    def call(
        method: str,
        path: str,
        body: Any = None,
        *,
        tenant: str | None = "e2e-tenant",
        scope: str | None = LOCAL_SCOPE,
    ) -> HttpAnswer:
        """`tenant` None: no Authorization header. `scope`: the token's space-separated scopes (default the
        consumer scope; None: a token without a scope claim)."""
        headers = {"Content-Type": "application/json"}
        if tenant is not None:
            headers["Authorization"] = f"Bearer {mint_token(tenant, scope=scope)}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{base_url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return HttpAnswer(
                    response.status, json.loads(response.read() or b"null"), dict(response.headers)
                )
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, json.loads(error.read() or b"null"), dict(error.headers))

    return call


@pytest.fixture
def api(send: Send) -> TenantApi:
    """A tenant of its own for one test: its lists hold only what the test made (the server is shared)."""
    return TenantApi(send, f"e2e-{uuid.uuid4()}")


@pytest.fixture
def other_api(send: Send) -> TenantApi:
    """A second tenant of its own, for isolation tests."""
    return TenantApi(send, f"e2e-other-{uuid.uuid4()}")
