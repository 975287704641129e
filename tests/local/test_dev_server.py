"""local.dev_server: routes, the emulated authorizer, events and proxy answers over real HTTP."""

import base64
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest

from local.api_gateway import MAX_BODY_BYTES
from local.dev_server import DevServer, parameter_overrides
from local.dynamodb_local import REPO_ROOT, DynamoDBLocal
from local.token import mint_token
from tests.local.http_client import Answer, assert_problem, bearer, call
from tests.local.rendezvous import Rendezvous

BASE = "/api/v1.0/consumer"
CONVERSATION_ID = "0b6c5ab0-8a1b-4c3e-9d55-2f1f7c1e0a11"


def echoed(answer: Answer) -> dict[str, Any]:
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()
    return body


def test_a_request_reaches_its_function_with_path_parameters_and_claims(local_api: DevServer) -> None:
    # Given a token for tenant acme
    token = mint_token("acme", extra_claims={"aud": ["a", "b"]})
    # When it posts an activity to a conversation
    answer = call(
        local_api.base_url, "POST", f"{BASE}/conversation/{CONVERSATION_ID}?x=1", b'{"a":1}', bearer(token)
    )
    # Then the echo function got a payload 2.0 event with the path parameter, the claims and the body
    event = echoed(answer)["event"]
    assert event["routeKey"] == f"POST {BASE}/conversation/{{conversationId}}"
    assert event["pathParameters"] == {"conversationId": CONVERSATION_ID}
    assert event["rawQueryString"] == "x=1"
    assert event["body"] == '{"a":1}'
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert (claims["client_id"], claims["aud"]) == ("acme", "[a b]")
    assert event["headers"]["authorization"] == f"Bearer {token}"


def test_the_proxy_answer_becomes_the_http_answer(local_api: DevServer) -> None:
    answer = call(
        local_api.base_url, "GET", f"{BASE}/conversation/{CONVERSATION_ID}", headers=bearer(mint_token("a"))
    )
    assert answer.headers["content-type"] == "application/json"
    assert ("set-cookie", "seen=1") in answer.raw_headers
    assert echoed(answer)["remaining_ms"] > 0


def test_a_static_route_wins_over_the_parameterised_one(local_api: DevServer) -> None:
    answer = call(local_api.base_url, "POST", f"{BASE}/conversation/create", headers=bearer(mint_token("a")))
    assert echoed(answer)["event"]["routeKey"] == f"POST {BASE}/conversation/create"


def test_each_functions_app_py_is_its_own_module(local_api: DevServer) -> None:
    token = mint_token("a")
    other = call(local_api.base_url, "POST", f"{BASE}/conversations/create", headers=bearer(token))
    echo = call(local_api.base_url, "POST", f"{BASE}/conversation/create", headers=bearer(token))
    # The other function returns a bare value, which API Gateway turns into a 200 JSON answer
    assert (other.status, other.json()) == (200, {"function": "Other"})
    assert echoed(echo)["function"] == "Echo"


def test_functions_see_the_templates_environment_with_local_tables_and_overrides(
    local_api: DevServer,
) -> None:
    # Given the server started with TimeoutMinutes=2 and a table prefix
    answer = call(local_api.base_url, "GET", f"{BASE}/conversation/x", headers=bearer(mint_token("a")))
    body = echoed(answer)
    # Then the handler saw the local table name, the override, DynamoDB Local's endpoint, and its layer
    table = local_api.table_names["Table"]
    assert body["env"] == {
        "TABLE": table,
        "TIMEOUT_MINUTES": "2",
        "WHERE": f"us-east-1/{table}",
        "AWS_ENDPOINT_URL_DYNAMODB": local_api.dynamodb_endpoint,
        "POWERTOOLS_METRICS_NAMESPACE": os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "MessagingApi"),
    }
    assert body["layer"] == "from the layer"


def hand_made_token(payload: str) -> str:
    """A token PyJWT would refuse to mint: the payload exactly as given, any signature."""

    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    return f"{part(json.dumps({'alg': 'HS256'}))}.{part(payload)}.c2ln"


def test_two_authorization_headers_get_401_problem_json(local_api: DevServer) -> None:
    # Given two Authorization headers, each a valid token (http.client sends both as given)
    address = urlsplit(local_api.base_url)
    connection = HTTPConnection("127.0.0.1", address.port, timeout=30)
    try:
        connection.putrequest("GET", f"{BASE}/conversation/{CONVERSATION_ID}")
        connection.putheader("Authorization", f"Bearer {mint_token('a')}")
        connection.putheader("Authorization", f"Bearer {mint_token('b')}")
        connection.endheaders()
        response = connection.getresponse()
        answer = Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, [], response.read()
        )
    finally:
        connection.close()
    # Then the authorizer refuses the request, as API Gateway refuses the comma-joined value
    assert "More than one Authorization header" in assert_problem(answer, 401, "unauthorized")["detail"]


def test_a_request_without_a_token_gets_401_problem_json_with_a_bare_bearer_challenge(
    local_api: DevServer,
) -> None:
    answer = call(local_api.base_url, "POST", f"{BASE}/conversation/create", b"{}")
    assert_problem(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Basic eDp5"},
        {"Authorization": "Bearer nope"},
        bearer(mint_token("a", ttl_seconds=-5)),
        {"Authorization": f"Bearer {mint_token('a')}, Bearer {mint_token('b')}"},
        bearer(hand_made_token('{"exp": NaN}')),
        bearer(hand_made_token('{"exp": 1e999}')),
        bearer(hand_made_token('{"exp": 9999999999, "claims": ' + "[" * 500 + "]" * 500 + "}")),
        bearer(hand_made_token("[9999999999]")),
    ],
    ids=[
        "not bearer",
        "malformed",
        "expired",
        "two tokens comma-joined",
        "exp NaN",
        "exp 1e999",
        "claims 500 deep",
        "payload not an object",
    ],
)
def test_requests_with_an_unusable_token_get_401_problem_json_saying_invalid_token(
    local_api: DevServer, headers: dict[str, str]
) -> None:
    answer = call(local_api.base_url, "POST", f"{BASE}/conversation/create", b"{}", headers)
    assert_problem(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_an_unknown_route_gets_404_problem_json_even_without_a_token(local_api: DevServer) -> None:
    assert_problem(call(local_api.base_url, "GET", f"{BASE}/nothing-here"), 404, "not_found")


def test_a_known_path_with_a_wrong_method_gets_405_problem_json(local_api: DevServer) -> None:
    answer = call(local_api.base_url, "DELETE", f"{BASE}/conversation/{CONVERSATION_ID}", headers=bearer("x"))
    assert_problem(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("method", ["PUT", "OPTIONS", "DELETE"])
def test_a_405_allows_the_methods_of_the_path_it_names_not_of_a_parameterised_sibling(
    local_api: DevServer, method: str
) -> None:
    # /conversation/{conversationId} (GET, POST) matches .../conversation/create too: the static path is named
    answer = call(local_api.base_url, method, f"{BASE}/conversation/create", headers=bearer(mint_token("a")))
    assert_problem(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "POST"


def test_a_body_over_api_gateways_10_mb_cap_gets_413(local_api: DevServer) -> None:
    # The length alone decides: the server answers before reading the body
    headers = {**bearer(mint_token("a")), "Content-Length": str(MAX_BODY_BYTES + 1)}
    answer = call(local_api.base_url, "POST", f"{BASE}/conversation/create", b"{}", headers)
    assert_problem(answer, 413, "payload_too_large")


def test_a_body_at_the_cap_reaches_the_function(local_api: DevServer) -> None:
    body = b"x" * MAX_BODY_BYTES
    answer = call(local_api.base_url, "POST", f"{BASE}/conversation/create", body, bearer(mint_token("a")))
    assert len(echoed(answer)["event"]["body"]) == MAX_BODY_BYTES


def test_a_failing_function_gets_500_problem_json(local_api: DevServer) -> None:
    answer = call(local_api.base_url, "GET", f"{BASE}/conversation/explode", headers=bearer(mint_token("a")))
    assert_problem(answer, 500, "internal_error")


def test_a_function_answer_that_is_not_valid_http_gets_500_problem_json(local_api: DevServer) -> None:
    # Given a function returning a header value with a line break (a header injection, if passed on)
    answer = call(
        local_api.base_url, "GET", f"{BASE}/conversation/bad-header", headers=bearer(mint_token("a"))
    )
    # Then API Gateway's 500, and nothing of it reaches the client
    assert_problem(answer, 500, "internal_error")
    assert "x-injected" not in answer.headers


def test_concurrent_requests_are_all_answered(local_api: DevServer) -> None:
    # Given many clients at once (invocations are serialized in-process, connections are not)
    def together() -> int:
        return call(local_api.base_url, "GET", f"{BASE}/together", headers=bearer(mint_token("a"))).status

    # When they all send a request, Then each is answered
    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(lambda _: together(), range(32))) == [200] * 32


def test_while_an_invocation_runs_other_connections_are_still_served(local_api: DevServer) -> None:
    # Given an invocation held inside the function (in-process mode: the only one that can run)
    with Rendezvous() as rendezvous, ThreadPoolExecutor(max_workers=1) as pool:
        headers = {**bearer(mint_token("a")), **rendezvous.headers}
        held = pool.submit(call, local_api.base_url, "GET", f"{BASE}/together", b"", headers)
        arrival = rendezvous.arrive()
        # When another client asks for something the gateway answers itself, Then it is answered meanwhile
        assert_problem(call(local_api.base_url, "GET", f"{BASE}/nothing-here"), 404, "not_found")
        arrival.release()
        assert held.result().status == 200


def test_stop_restores_the_environment(dynamodb_local: DynamoDBLocal, throwaway_template: Path) -> None:
    before = os.environ.get("TABLE")
    with DevServer(throwaway_template, dynamodb_endpoint=dynamodb_local.endpoint, table_prefix="restore-"):
        assert os.environ["TABLE"] == "restore-Table"
    assert os.environ.get("TABLE") == before


def test_an_override_of_an_unknown_parameter_is_refused(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path
) -> None:
    server = DevServer(
        throwaway_template, dynamodb_endpoint=dynamodb_local.endpoint, parameter_overrides={"Nope": "1"}
    )
    with pytest.raises(ValueError, match="Nope"):
        server.start()


def test_command_line_params_win_over_param_environment_variables() -> None:
    environ = {"PARAM_TimeoutMinutes": "5", "PARAM_RetentionDays": "1", "OTHER": "x"}
    assert parameter_overrides(["TimeoutMinutes=2"], environ) == {"TimeoutMinutes": "2", "RetentionDays": "1"}


def read_lines(stream: IO[str], lines: "queue.Queue[str]") -> None:
    for line in stream:
        lines.put(line)


def wait_for_line(lines: "queue.Queue[str]", starts_with: str, seen: list[str]) -> str:
    while True:
        line = lines.get(timeout=60)  # fails the test (queue.Empty) if the server never says it
        seen.append(line)
        if line.startswith(starts_with):
            return line


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_command_serves_until_a_signal_then_stops_dynamodb_local_and_exits_0(
    throwaway_template: Path, stop_signal: signal.Signals
) -> None:
    # Given `python -m local.dev_server` on a free port, with its own DynamoDB Local
    environment = {k: v for k, v in os.environ.items() if k not in ("DYNAMODB_ENDPOINT", "PORT")}
    server = subprocess.Popen(
        [sys.executable, "-m", "local.dev_server", "--port", "0", "--template", str(throwaway_template)],
        cwd=REPO_ROOT,
        env={**environment, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=read_lines, args=(server.stdout, lines), daemon=True).start()
        seen: list[str] = []
        banner = wait_for_line(lines, "Messaging API (local) on http://127.0.0.1:", seen)
        base_url = banner.split(" on ")[1].split()[0]
        java_pid = int(banner.split("(pid ")[1].split(")")[0])
        token_line = wait_for_line(lines, "export TOKEN=", seen)
        wait_for_line(lines, "Ctrl-C to stop.", seen)
        # Then the banner warns, and its token works
        assert any("NOT verified" in line for line in seen)
        token = token_line.removeprefix("export TOKEN=").strip()
        assert call(base_url, "POST", f"{BASE}/conversation/create", headers=bearer(token)).status == 200
        # When it gets the signal
        server.send_signal(stop_signal)
        # Then it exits 0, and its DynamoDB Local is gone
        assert server.wait(timeout=60) == 0
        with pytest.raises(ProcessLookupError):
            os.kill(java_pid, 0)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
