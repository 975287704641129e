"""The checks of `make sam-e2e` (local/sam/e2e.sh): the built app under `sam local`, used as a client would.

Subcommands (e2e.sh runs them in this order):

- ``setup``: create the template's tables on DynamoDB Local and write the ``--env-vars`` file for `sam local`
  (the table variables plus AWS_ENDPOINT_URL_DYNAMODB, the address the Lambda containers reach DynamoDB on).
- ``http``: drive `sam local start-api` over HTTP with urllib, per /work/shared/CONTRACT.md. `sam local` skips
  the JWT authorizer; the product code then reads the bearer token's claims unverified (only when
  AWS_SAM_LOCAL=true and the event has no authorizer block), so tenants still work. Routes the template does
  not define yet are reported as "not in template yet" and their checks skipped.
- ``events``: `sam local invoke <Function> -e <file>` for every events/*.json, checking the answer.

Naming rule of events/ files: ``<function>[<sep><case>...].json`` where ``<function>`` is the function's
logical id without its ``Function`` suffix, in snake_case, kebab-case or as written, and ``<sep>`` is ``.``,
``-`` or ``_``. So ``events/create_conversation.new.json``, ``events/create-conversation-new.json`` and
``events/CreateConversation.json`` all go to CreateConversationFunction (the longest matching name wins).
The expected statusCode is a 3-digit part of the name (``create_conversation.invalid.400.json``), else
EXPECTED_STATUS below, else any non-5xx answer. A function answering without a statusCode (e.g. a stream
consumer) passes when it did not raise and reported no batchItemFailures, unless a status was expected.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.dynamodb_local import dynamodb_client
from local.tables import create_tables
from local.template import Template, http_routes, load_template, resources_of_type
from local.token import mint_token

BASE = "/api/v1.0/consumer"
END = {"type": "endOfConversation"}
TENANT = "e2e-tenant"
OTHER_TENANT = "e2e-other-tenant"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
# Expected statusCode of an events/ file whose name carries none (file name -> code).
# The tables are empty when the events run: an event naming an existing conversation id gets a 404.
EXPECTED_STATUS: dict[str, int] = {
    "create_conversation.new.json": 201,
    "create_conversation.invalid.json": 400,
    "create_conversation.with-context-and-startmessage.json": 201,
    "get_conversation.by-id.json": 404,
    "close_conversation.end-of-conversation.json": 404,
    "close_conversation.unsupported-message.json": 400,
}
HTTP_TIMEOUT = 120.0  # the first request to a function builds its container (seconds, not minutes)
INVOKE_TIMEOUT = 300.0


class CheckFailed(Exception):
    """A check did not hold; the message says what was expected and what came back."""


# ---------------------------------------------------------------------------------------------- setup


def table_variables(template: Template, table_names: dict[str, str]) -> dict[str, str]:
    """Every function environment variable that is `!Ref <table>`, set to the local table's name."""
    sources: list[dict[str, Any]] = [(template.get("Globals") or {}).get("Function") or {}]
    sources += [
        f.get("Properties") or {} for f in resources_of_type(template, "AWS::Serverless::Function").values()
    ]
    variables: dict[str, str] = {}
    for properties in sources:
        for name, value in ((properties.get("Environment") or {}).get("Variables") or {}).items():
            if isinstance(value, dict) and value.get("Ref") in table_names:
                variables[name] = table_names[value["Ref"]]
    return variables


def setup(args: argparse.Namespace) -> int:
    template = load_template(args.template)
    table_names = create_tables(dynamodb_client(args.endpoint), template, prefix="")
    variables = {**table_variables(template, table_names), ENDPOINT_VARIABLE: args.container_endpoint}
    # "Parameters" applies to every function (sam local sets only the variables a function declares).
    args.env_out.write_text(json.dumps({"Parameters": variables}, indent=2) + "\n", encoding="utf-8")
    print(f"tables: {', '.join(sorted(table_names.values()))}; env-vars: {args.env_out}")
    return 0


# ---------------------------------------------------------------------------------------------- http


def _route_key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), re.sub(r"\{[^}]+\}", "{}", path)


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def call(
        self, method: str, path: str, body: Any = None, *, tenant: str | None = TENANT
    ) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if tenant is not None:
            headers["Authorization"] = f"Bearer {mint_token(tenant)}"
        request = urllib.request.Request(
            self.base_url + BASE + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")


def expect(condition: bool, what: str, status: int, body: Any) -> None:
    if not condition:
        raise CheckFailed(f"expected {what}; got {status} {json.dumps(body)[:800]}")


def expect_error(status: int, body: Any, code: int, field: str | None = None) -> None:
    expect(status == code, f"{code}", status, body)
    error = body.get("error") if isinstance(body, dict) else None
    expect(isinstance(error, dict) and "code" in error and "message" in error, "a JSON error", status, body)
    if field is not None:
        expect(
            field in json.dumps(body.get("error", {}).get("details")), f"details naming {field}", status, body
        )


class HttpChecks:
    def __init__(self, client: Client, routes: set[tuple[str, str]]) -> None:
        self.client = client
        self.routes = routes
        self.failures: list[str] = []
        self.customer = f"e2e-customer-{uuid.uuid4()}"

    def has(self, method: str, path: str) -> bool:
        return _route_key(method, BASE + path) in self.routes

    def step(self, name: str, check: Callable[[], None]) -> bool:
        started = time.monotonic()
        try:
            check()
        except Exception as failure:  # a crash of a check (an unexpected body shape...) is a failure too
            if not isinstance(failure, CheckFailed):
                failure = CheckFailed(f"{type(failure).__name__}: {failure}")
            self.failures.append(f"{name}: {failure}")
            print(f"FAIL  {name}: {failure}", flush=True)
            return False
        print(f"ok    {name} ({time.monotonic() - started:.1f} s)", flush=True)
        return True

    def skip(self, name: str, method: str, path: str) -> None:
        print(f"skip  {name}: {method} {BASE}{path} not in template yet", flush=True)

    def create(self, body: Any, *, tenant: str | None = TENANT, path: str = "/conversations/create") -> Any:
        return self.client.call("POST", path, body, tenant=tenant)

    def run(self) -> list[str]:
        if not self.has("POST", "/conversations/create"):
            self.skip("create", "POST", "/conversations/create")
            return self.failures
        state: dict[str, Any] = {}
        ok = self.step("create: a new customerid -> 201 isNew", lambda: self._create_new(state))
        if ok:
            self._create_repeats(state)
        self._create_rejects()
        if ok:
            self._get_and_close(state)
        return self.failures

    def _create_new(self, state: dict[str, Any]) -> None:
        status, body = self.create({"customercontext": {"customerid": self.customer}})
        expect(
            status == 201 and isinstance(body, dict) and body.get("isNew") is True, "201 isNew", status, body
        )
        expect(_is_uuid(body.get("conversationId")), "a uuid conversationId", status, body)
        state["id"] = body["conversationId"]

    def _create_repeats(self, state: dict[str, Any]) -> None:
        first = state["id"]
        same = {"customercontext": {"customerid": self.customer}}

        def again() -> None:
            status, body = self.create(same)
            expect(
                status == 200 and body == {"conversationId": first, "isNew": False},
                "200 same id",
                status,
                body,
            )

        def alias() -> None:
            status, body = self.create(same, path="/conversation/create")
            expect(status == 200 and body.get("conversationId") == first, "200 same id", status, body)

        def other_tenant() -> None:
            status, body = self.create(same, tenant=OTHER_TENANT)
            expect(status == 201 and body.get("conversationId") != first, "201 another id", status, body)

        def idempotent() -> None:
            request = {
                "customercontext": {"customerid": f"e2e-idem-{uuid.uuid4()}"},
                "conversationrequestid": f"e2e-request-{uuid.uuid4()}",
                "startmessage": {"message": "hello", "displayname": "E2E"},
            }
            status, body = self.create(request)
            message_id = str(body.get("messageId")) if isinstance(body, dict) else ""
            expect(
                status == 201 and re.fullmatch(r"\d{13}", message_id) is not None,
                "201, messageId",
                status,
                body,
            )
            status2, body2 = self.create(request)
            expect(
                (status2, body2) == (status, body),
                f"the first answer again ({status} {body})",
                status2,
                body2,
            )

        self.step("create: same customerid again -> 200 isNew false, same id", again)
        if self.has("POST", "/conversation/create"):
            self.step("create: alias /conversation/create -> 200 same id", alias)
        else:
            self.skip("create alias", "POST", "/conversation/create")
        self.step("create: same customerid, another tenant -> 201 another id", other_tenant)
        self.step("create: same conversationrequestid -> the first answer", idempotent)

    def _create_rejects(self) -> None:
        def no_token() -> None:
            status, body = self.create({}, tenant=None)
            expect_error(status, body, 401)

        def wrong_type() -> None:
            status, body = self.create({"customercontext": {"customerid": 123}})
            expect_error(status, body, 400, "customercontext.customerid")

        def unknown_field() -> None:
            status, body = self.create({"customercontext": {"customerid": "x", "shoesize": 44}})
            expect_error(status, body, 400, "shoesize")

        self.step("create: no token -> 401", no_token)
        self.step("create: customerid not a string -> 400 naming the field", wrong_type)
        self.step("create: unknown field -> 400 naming it", unknown_field)

    def _get_and_close(self, state: dict[str, Any]) -> None:
        conversation = state["id"]
        has_get = self.has("GET", "/conversation/{id}")
        has_close = self.has("POST", "/conversation/{id}")

        def get_open() -> None:
            status, body = self.client.call("GET", f"/conversation/{conversation}")
            expect(status == 200 and body.get("conversationId") == conversation, "200", status, body)
            expect(body.get("status") == "open" and body.get("isActive") is True, "status open", status, body)
            expect(body.get("customerid") == self.customer, "the customerid", status, body)

        def get_other_tenant() -> None:
            status, body = self.client.call("GET", f"/conversation/{conversation}", tenant=OTHER_TENANT)
            expect_error(status, body, 404)

        def close() -> None:
            status, body = self.client.call("POST", f"/conversation/{conversation}", END)
            expect(status == 200 and body.get("status") == "closed", "200 closed", status, body)
            expect(body.get("conversationId") == conversation, "the id", status, body)
            expect(body.get("closeReason") == "customer", "closeReason customer", status, body)
            expect(bool(body.get("closedAt")), "a closedAt", status, body)
            state["closedAt"] = body["closedAt"]

        def close_again() -> None:
            status, body = self.client.call("POST", f"/conversation/{conversation}", END)
            expect(status == 200 and body.get("status") == "closed", "200 closed", status, body)
            expect(body.get("closedAt") == state.get("closedAt"), "the original closedAt", status, body)

        def close_unknown() -> None:
            status, body = self.client.call("POST", f"/conversation/{uuid.uuid4()}", END)
            expect_error(status, body, 404)

        def get_closed() -> None:
            status, body = self.client.call("GET", f"/conversation/{conversation}")
            expect(status == 200 and body.get("status") == "closed", "200 closed", status, body)
            expect(
                body.get("isActive") is False and body.get("closeReason") == "customer",
                "inactive",
                status,
                body,
            )

        def create_after_close() -> None:
            status, body = self.create({"customercontext": {"customerid": self.customer}})
            expect(status == 201 and body.get("isNew") is True, "201 isNew", status, body)
            expect(body.get("conversationId") != conversation, "a new id", status, body)

        if has_get:
            self.step("get -> 200 status open", get_open)
            self.step("get: another tenant's conversation -> 404", get_other_tenant)
        else:
            self.skip("get", "GET", "/conversation/{conversationId}")
        if not has_close:
            self.skip("close", "POST", "/conversation/{conversationId}")
            return
        if self.step("close: endOfConversation -> 200 closed", close):
            self.step("close again -> 200, same closedAt", close_again)
            if has_get:
                self.step("get after close -> 200 status closed", get_closed)
            self.step("create after close -> 201 a new conversation", create_after_close)
        self.step("close: unknown id -> 404", close_unknown)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def http(args: argparse.Namespace) -> int:
    routes = {_route_key(r.method, r.path) for r in http_routes(load_template(args.template))}
    failures = HttpChecks(Client(args.base_url), routes).run()
    print(f"http: {len(failures)} failure(s)" if failures else "http: all checks passed")
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------- events


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[._-]", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)) if t]


def function_for(event_file: Path, function_ids: list[str]) -> str | None:
    """The function an events/ file is for (see the module docstring), or None."""
    tokens = [t.lower() for t in _tokens(event_file.stem)]
    names = {"".join(_tokens(f.removesuffix("Function"))).lower(): f for f in function_ids}
    for end in range(len(tokens), 0, -1):
        if "".join(tokens[:end]) in names:
            return names["".join(tokens[:end])]
    return None


def expected_status(event_file: Path) -> int | None:
    codes = [int(t) for t in _tokens(event_file.stem) if re.fullmatch(r"[1-5]\d\d", t)]
    return codes[-1] if codes else EXPECTED_STATUS.get(event_file.name)


def _last_json(stdout: str) -> Any:
    for line in reversed(stdout.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def invoke(sam_command: list[str], function_id: str, event_file: Path) -> tuple[Any, str]:
    completed = subprocess.run(
        [*sam_command, function_id, "--event", str(event_file)],
        capture_output=True,
        text=True,
        timeout=INVOKE_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise CheckFailed(f"sam local invoke exited {completed.returncode}: {completed.stderr[-1500:]}")
    return _last_json(completed.stdout), completed.stderr


def check_answer(answer: Any, expected: int | None) -> None:
    if isinstance(answer, dict) and "errorType" in answer:
        raise CheckFailed(f"the function raised: {json.dumps(answer)[:800]}")
    status = answer.get("statusCode") if isinstance(answer, dict) else None
    if isinstance(answer, dict) and answer.get("batchItemFailures"):
        raise CheckFailed(f"the batch reported failures: {json.dumps(answer)[:800]}")
    if expected is not None and status != expected:
        raise CheckFailed(f"expected statusCode {expected}; got {json.dumps(answer)[:800]}")
    if status is not None and int(status) >= 500:
        raise CheckFailed(f"a server error: {json.dumps(answer)[:800]}")


def events(args: argparse.Namespace) -> int:
    function_ids = sorted(resources_of_type(load_template(args.template), "AWS::Serverless::Function"))
    sam_command = [args.sam, "local", "invoke", "--template", str(args.template), *args.sam_args]
    files = sorted(args.events_dir.glob("*.json"))
    if not files:
        print(f"events: no {args.events_dir}/*.json yet")
    failures = 0
    for event_file in files:
        function_id = function_for(event_file, function_ids)
        if function_id is None:
            print(f"skip  {event_file}: no function of that name in template yet ({', '.join(function_ids)})")
            continue
        expected = expected_status(event_file)
        started = time.monotonic()
        try:
            answer, stderr = invoke(sam_command, function_id, event_file)
            try:
                check_answer(answer, expected)
            except CheckFailed:
                print(stderr[-3000:], file=sys.stderr)
                raise
        except (CheckFailed, subprocess.TimeoutExpired) as failure:
            failures += 1
            print(f"FAIL  {event_file} -> {function_id}: {failure}", flush=True)
            continue
        status = answer.get("statusCode") if isinstance(answer, dict) else None
        took = time.monotonic() - started
        want = expected or "non-5xx"
        print(
            f"ok    {event_file} -> {function_id}: statusCode {status} (expected {want}, {took:.1f} s)",
            flush=True,
        )
    print(f"events: {failures} failure(s)" if failures else f"events: {len(files)} file(s) checked")
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Checks of make sam-e2e (see local/sam/README.md).")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("setup", help="create the tables on DynamoDB Local, write the --env-vars file")
    p.add_argument("--template", type=Path, default=Path("template.yaml"))
    p.add_argument("--endpoint", required=True, help="DynamoDB Local as seen from here")
    p.add_argument("--container-endpoint", required=True, help="DynamoDB Local as seen from the containers")
    p.add_argument("--env-out", type=Path, required=True)
    p.set_defaults(run=setup)

    p = commands.add_parser("http", help="drive sam local start-api")
    p.add_argument("--template", type=Path, required=True, help="the built template sam local serves")
    p.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:3000")
    p.set_defaults(run=http)

    p = commands.add_parser("events", help="sam local invoke every events/*.json")
    p.add_argument("--template", type=Path, required=True, help="the built template")
    p.add_argument("--events-dir", type=Path, default=Path("events"))
    p.add_argument("--sam", default=".venv-sam/bin/sam")
    p.add_argument("sam_args", nargs=argparse.REMAINDER, help="after --: more sam local invoke options")
    p.set_defaults(run=events)

    args = parser.parse_args(argv)
    if getattr(args, "sam_args", None) and args.sam_args[0] == "--":
        args.sam_args = args.sam_args[1:]
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
