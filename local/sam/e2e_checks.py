"""The checks of `make sam-e2e` (local/sam/e2e.sh): the built app under `sam local`, used as a client would.

Subcommands (e2e.sh runs them in this order):

- ``setup``: create the template's tables on DynamoDB Local and its queues on the local queue engine
  (local/sqs_local.py), and write the ``--env-vars`` file for `sam local`: the tables' names, the queues'
  URLs, a local id secret, and AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS, the addresses the Lambda
  containers reach DynamoDB Local and the queue engine on.
- ``http``: drive `sam local start-api` over HTTP with urllib, per /work/shared/CONTRACT.md: creates, the
  consumer's and the representative's sides of a conversation (accept, messages both ways, the transcript,
  end, close), lists, context, the channel. `sam local` skips the JWT authorizer; the product code then reads
  the bearer token's claims unverified (only when AWS_SAM_LOCAL=true and the event has no authorizer block),
  so tenants still work. Scopes are not checked there (API Gateway checks them), but the checks send what a
  deployed client would: the consumer scope on consumer routes, the representative scope on representative
  routes. Routes the template does not define are reported as "not in template" and their checks skipped.
- ``events``: every events/*.json invoked through `sam local start-lambda` (the Lambda Invoke API, warm
  containers reused across invokes), each on empty tables, checking the answer (and, for the stream event
  that feeds the webhook queue, the message it enqueued).

Naming rule of events/ files: ``<function>[<sep><case>...].json`` where ``<function>`` is the function's
logical id without its ``Function`` suffix, in snake_case, kebab-case or as written, and ``<sep>`` is ``.``,
``-`` or ``_``. So ``events/create_conversation.new.json``, ``events/create-conversation-new.json`` and
``events/CreateConversation.json`` all go to CreateConversationFunction (the longest matching name wins).
The expected statusCode is a 3-digit part of the name (``create_conversation.invalid.400.json``), else
EXPECTED_STATUS below; a function answering without a statusCode (a schedule, stream or queue consumer) must
answer EXPECTED_ANSWER's value exactly. A file with neither passes with any non-5xx answer that did not raise
and reported no batchItemFailures (tests/local/test_sam_e2e_checks.py makes sure every file has one).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import boto3
from botocore.config import Config

from local.dynamodb_local import LOCAL_REGION, dynamodb_client
from local.queues import create_queues
from local.sqs_local import sqs_client
from local.tables import create_tables
from local.template import Template, http_routes, load_template, local_secret, resources_of_type
from local.token import mint_token

API = "/api/v1.0"
CONSUMER = f"{API}/consumer"
REPRESENTATIVE = f"{API}/representative"
CONSUMER_SCOPE = "messaging/conversations"
REPRESENTATIVE_SCOPE = "messaging/representative"
END = {"type": "endOfConversation"}
TENANT = "e2e-tenant"
OTHER_TENANT = "e2e-other-tenant"
CHANNEL_TENANT = "e2e-channel-tenant"
REP = {"id": "rep-7", "name": "Ana"}
# A public IP literal: the URL guard accepts it without DNS (the containers may have none).
WEBHOOK_URL = "https://93.184.215.14/messaging"
DYNAMODB_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
SQS_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SQS"
WEBHOOK_QUEUE = "WebhookQueue"
# The conversation the events/ files name (tests/unit/test_sample_events.py seeds it; here it never exists).
SAMPLE = "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b"

# Every events/ file runs on empty tables (as tests/unit/test_sample_events.py's first column, which
# tests/local/test_sam_e2e_checks.py compares with this): an event naming the sample conversation gets a 404,
# a tenant without a channel a 404 on reading or rotating it.
EXPECTED_STATUS: dict[str, int] = {
    "channel_settings.read.json": 404,
    "channel_settings.rotate-secret.json": 404,
    "channel_settings.set-webhook.json": 200,
    "consumer_activity.end-of-conversation.json": 404,
    "consumer_activity.message.json": 404,
    "consumer_activity.unsupported-type.json": 400,
    "create_conversation.invalid.json": 400,
    "create_conversation.new.json": 201,
    "create_conversation.with-context-and-startmessage.json": 201,
    "get_context.by-id.json": 404,
    "get_conversation.by-id.json": 404,
    "get_transcript.first-page.json": 404,
    "get_transcript.representative.json": 404,
    "list_conversations.first-page.json": 200,
    "representative_activity.accept.json": 404,
    "representative_activity.close.json": 404,
    "representative_activity.message.json": 404,
    "representative_conversation.by-id.json": 404,
    "representative_conversations.queue.json": 200,
}
# The whole answer of a function that answers without a statusCode, on empty tables.
EXPECTED_ANSWER: dict[str, Any] = {
    # Nothing is due: the sweep finds nothing, and raises nothing.
    "timeout_sweeper.every-minute.json": {"timedOut": 0, "refiled": 0, "unchanged": 0},
    # TTL removed a state: the rest of it (none here) is deleted.
    "purge_conversations.ttl-state-removal.json": {"batchItemFailures": []},
    # The acceptance is enqueued (and checked on the queue, see check_enqueued).
    "dispatch_webhooks.accepted.json": {"batchItemFailures": []},
    # The tenant has no channel: nothing to deliver to, nothing to retry.
    "deliver_webhooks.accepted.json": {"batchItemFailures": []},
}
HTTP_TIMEOUT = 120.0  # the first request to a function builds its container (seconds, not minutes)
INVOKE_TIMEOUT = 300.0


class CheckFailed(Exception):
    """A check did not hold; the message says what was expected and what came back."""


# ---------------------------------------------------------------------------------------------- setup


def local_variables(template: Template, values: dict[str, str]) -> dict[str, str]:
    """Every function environment variable that is `!Ref <resource>` with a local value in `values` (a
    table's name, a queue's URL), or a `!Sub` of a Secrets Manager dynamic reference (a fixed local value)."""
    sources: list[dict[str, Any]] = [(template.get("Globals") or {}).get("Function") or {}]
    sources += [
        f.get("Properties") or {} for f in resources_of_type(template, "AWS::Serverless::Function").values()
    ]
    variables: dict[str, str] = {}
    for properties in sources:
        for name, value in ((properties.get("Environment") or {}).get("Variables") or {}).items():
            if isinstance(value, dict) and value.get("Ref") in values:
                variables[name] = values[value["Ref"]]
            elif isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
                secret = re.search(r"\{\{resolve:secretsmanager:\$\{(\w+)\}", value["Fn::Sub"])
                if secret:
                    variables[name] = local_secret(secret.group(1))
    return variables


def setup(args: argparse.Namespace) -> int:
    template = load_template(args.template)
    table_names = create_tables(dynamodb_client(args.endpoint), template, prefix="")
    queue_urls = create_queues(sqs_client(args.sqs_endpoint), template)
    variables = {
        **local_variables(template, {**table_names, **queue_urls}),
        DYNAMODB_ENDPOINT_VARIABLE: args.container_endpoint,
        # The queue engine listens where both this machine and the containers reach it.
        SQS_ENDPOINT_VARIABLE: args.sqs_endpoint,
    }
    # "Parameters" applies to every function (sam local sets only the variables a function declares).
    args.env_out.write_text(json.dumps({"Parameters": variables}, indent=2) + "\n", encoding="utf-8")
    print(
        f"tables: {', '.join(sorted(table_names.values()))}; queues: {', '.join(sorted(queue_urls))}; "
        f"env-vars: {args.env_out}"
    )
    return 0


# ---------------------------------------------------------------------------------------------- http


def _route_key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), re.sub(r"\{[^}]+\}", "{}", path.split("?", maxsplit=1)[0])


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        tenant: str | None = TENANT,
        scope: str = CONSUMER_SCOPE,
    ) -> tuple[int, Any]:
        """`path` from the API's root (`/api/v1.0/...`); the token is the tenant's with `scope`."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if tenant is not None:
            headers["Authorization"] = f"Bearer {mint_token(tenant, scope=scope)}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def consumer(self, method: str, path: str, body: Any = None, *, tenant: str = TENANT) -> tuple[int, Any]:
        return self.call(method, CONSUMER + path, body, tenant=tenant, scope=CONSUMER_SCOPE)

    def representative(
        self, method: str, path: str, body: Any = None, *, tenant: str = TENANT
    ) -> tuple[int, Any]:
        return self.call(method, REPRESENTATIVE + path, body, tenant=tenant, scope=REPRESENTATIVE_SCOPE)


def expect(condition: bool, what: str, status: int, body: Any) -> None:
    if not condition:
        raise CheckFailed(f"expected {what}; got {status} {json.dumps(body)[:800]}")


def expect_problem(
    status: int, body: Any, code: int, problem: str | None = None, field: str | None = None
) -> None:
    """An RFC 9457 problem document (messaging/http/problem.py) with this status, its `code` and, when
    given, an `errors` entry naming `field`."""
    expect(status == code, f"{code}", status, body)
    expect(
        isinstance(body, dict)
        and body.get("status") == code
        and isinstance(body.get("type"), str)
        and isinstance(body.get("title"), str)
        and isinstance(body.get("code"), str),
        "a problem document (type, title, status, code)",
        status,
        body,
    )
    if problem is not None:
        expect(body.get("code") == problem, f"code {problem}", status, body)
    if field is not None:
        fields = [error.get("field") for error in body.get("errors") or [] if isinstance(error, dict)]
        expect(field in fields, f"errors naming {field}", status, body)


def _message_id(status: int, body: Any) -> int:
    text = body.get("messageId") if isinstance(body, dict) else None
    expect(
        isinstance(text, str) and re.fullmatch(r"\d{13}", text) is not None,
        "a 13-digit messageId",
        status,
        body,
    )
    return int(str(text))


class HttpChecks:
    def __init__(self, client: Client, routes: set[tuple[str, str]]) -> None:
        self.client = client
        self.routes = routes
        self.failures: list[str] = []
        self.passed = 0
        self.skipped = 0
        self.customer = f"e2e-customer-{uuid.uuid4()}"

    def has(self, method: str, path: str) -> bool:
        return _route_key(method, path) in self.routes

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
        self.passed += 1
        print(f"ok    {name} ({time.monotonic() - started:.1f} s)", flush=True)
        return True

    def needs(self, name: str, *routes: tuple[str, str]) -> bool:
        """True when the template defines every route; else reports the checks as skipped."""
        missing = [f"{method} {path}" for method, path in routes if not self.has(method, path)]
        if missing:
            self.skipped += 1
            print(f"skip  {name}: {', '.join(missing)} not in template", flush=True)
        return not missing

    def create(self, body: Any, *, tenant: str = TENANT, path: str = "/conversations/create") -> Any:
        return self.client.consumer("POST", path, body, tenant=tenant)

    def run(self) -> list[str]:
        if not self.needs("create", ("POST", f"{CONSUMER}/conversations/create")):
            return self.failures
        state: dict[str, Any] = {}
        ok = self.step("create: a new customerid -> 201 isNew", lambda: self._create_new(state))
        if ok:
            self._create_repeats(state)
        self._create_rejects()
        if ok:
            self._get_and_close(state)
        self._representative_flow()
        self._channel()
        return self.failures

    # ------------------------------------------------------------------------------------ create

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
            expect(status == 201, "201", status, body)
            _message_id(status, body)
            status2, body2 = self.create(request)
            expect(
                (status2, body2) == (status, body),
                f"the first answer again ({status} {body})",
                status2,
                body2,
            )

        self.step("create: same customerid again -> 200 isNew false, same id", again)
        if self.needs("create alias", ("POST", f"{CONSUMER}/conversation/create")):
            self.step("create: alias /conversation/create -> 200 same id", alias)
        self.step("create: same customerid, another tenant -> 201 another id", other_tenant)
        self.step("create: same conversationrequestid -> the first answer", idempotent)

    def _create_rejects(self) -> None:
        def no_token() -> None:
            status, body = self.client.call("POST", f"{CONSUMER}/conversations/create", {}, tenant=None)
            expect_problem(status, body, 401, "unauthorized")

        def wrong_type() -> None:
            status, body = self.create({"customercontext": {"customerid": 123}})
            expect_problem(status, body, 400, "validation_failed", "customercontext.customerid")

        def unknown_field() -> None:
            status, body = self.create({"customercontext": {"customerid": "x", "shoesize": 44}})
            expect_problem(status, body, 400, "validation_failed", "customercontext.shoesize")

        self.step("create: no token -> 401 problem", no_token)
        self.step("create: customerid not a string -> 400 naming the field", wrong_type)
        self.step("create: unknown field -> 400 naming it", unknown_field)

    # ------------------------------------------------------------------------------------ get, close

    def _get_and_close(self, state: dict[str, Any]) -> None:
        conversation = state["id"]
        path = f"/conversation/{conversation}"

        def get_open() -> None:
            status, body = self.client.consumer("GET", path)
            expect(status == 200 and body.get("conversationId") == conversation, "200", status, body)
            expect(body.get("status") == "open" and body.get("isActive") is True, "status open", status, body)
            expect(body.get("customerid") == self.customer, "the customerid", status, body)

        def get_other_tenant() -> None:
            status, body = self.client.consumer("GET", path, tenant=OTHER_TENANT)
            expect_problem(status, body, 404, "conversation_not_found")

        def close() -> None:
            status, body = self.client.consumer("POST", path, END)
            expect(status == 200 and body.get("status") == "closed", "200 closed", status, body)
            expect(body.get("conversationId") == conversation, "the id", status, body)
            expect(body.get("closeReason") == "customer", "closeReason customer", status, body)
            expect(bool(body.get("closedAt")), "a closedAt", status, body)
            state["closedAt"] = body["closedAt"]

        def close_again() -> None:
            status, body = self.client.consumer("POST", path, END)
            expect(status == 200 and body.get("status") == "closed", "200 closed", status, body)
            expect(body.get("closedAt") == state.get("closedAt"), "the original closedAt", status, body)

        def close_unknown() -> None:
            status, body = self.client.consumer("POST", f"/conversation/{uuid.uuid4()}", END)
            expect_problem(status, body, 404, "conversation_not_found")

        def get_closed() -> None:
            status, body = self.client.consumer("GET", path)
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

        has_get = self.needs("get", ("GET", CONSUMER + "/conversation/{id}"))
        if has_get:
            self.step("get -> 200 status open", get_open)
            self.step("get: another tenant's conversation -> 404", get_other_tenant)
        if not self.needs("close", ("POST", CONSUMER + "/conversation/{id}")):
            return
        if self.step("close: endOfConversation -> 200 closed", close):
            self.step("close again -> 200, same closedAt", close_again)
            if has_get:
                self.step("get after close -> 200 status closed", get_closed)
            self.step("create after close -> 201 a new conversation", create_after_close)
        self.step("close: unknown id -> 404", close_unknown)

    # ------------------------------------------------------------------------------------ representative

    def _representative_flow(self) -> None:
        """A conversation from the queue to closed: accept, a message each way, the transcript, end, close."""
        any_id = "/conversation/{id}"
        if not self.needs(
            "representative flow",
            ("GET", REPRESENTATIVE + "/conversations"),
            ("GET", REPRESENTATIVE + any_id),
            ("POST", REPRESENTATIVE + any_id),
            ("POST", CONSUMER + any_id),
            ("GET", CONSUMER + any_id),
            ("GET", CONSUMER + any_id + "/messages"),
            ("GET", REPRESENTATIVE + any_id + "/messages"),
            ("GET", CONSUMER + any_id + "/context"),
            ("GET", CONSUMER + "/conversations"),
        ):
            return
        flow = RepresentativeFlow(self.client)
        if not self.step("representative flow: create with context and a start message -> 201", flow.create):
            return
        for name, check, later_ones_depend in flow.steps():
            if not self.step(name, check) and later_ones_depend:
                # The later steps would only fail because of this one.
                print("skip  the rest of the representative flow (it depends on that step)", flush=True)
                self.skipped += 1
                return

    # ------------------------------------------------------------------------------------ channel

    def _channel(self) -> None:
        if not self.needs(
            "channel",
            ("PUT", CONSUMER + "/channel"),
            ("GET", CONSUMER + "/channel"),
            ("POST", CONSUMER + "/channel/rotate-secret"),
        ):
            return
        tenant = f"{CHANNEL_TENANT}-{uuid.uuid4()}"
        state: dict[str, Any] = {}

        def read_unset() -> None:
            status, body = self.client.consumer("GET", "/channel", tenant=tenant)
            expect_problem(status, body, 404)

        def private_url() -> None:
            status, body = self.client.consumer(
                "PUT", "/channel", {"webhookUrl": "https://10.0.0.1/hook"}, tenant=tenant
            )
            expect_problem(status, body, 400)

        def set_webhook() -> None:
            status, body = self.client.consumer("PUT", "/channel", {"webhookUrl": WEBHOOK_URL}, tenant=tenant)
            expect(status == 200 and body.get("webhookUrl") == WEBHOOK_URL, "200 the URL", status, body)
            secret = body.get("signingSecret")
            expect(isinstance(secret, str) and secret.startswith("whsec_"), "a whsec_ secret", status, body)
            state["secret"] = secret

        def read() -> None:
            status, body = self.client.consumer("GET", "/channel", tenant=tenant)
            expect(status == 200 and body.get("webhookUrl") == WEBHOOK_URL, "200 the URL", status, body)
            expect("signingSecret" not in body, "no secret", status, body)

        def rotate() -> None:
            status, body = self.client.consumer("POST", "/channel/rotate-secret", tenant=tenant)
            secret = body.get("signingSecret") if isinstance(body, dict) else None
            expect(status == 200 and isinstance(secret, str), "200 a secret", status, body)
            expect(secret != state.get("secret"), "a new secret", status, body)

        self.step("channel: read before any is set -> 404", read_unset)
        self.step("channel: a private webhook URL -> 400", private_url)
        if self.step("channel: set the webhook -> 200 with its signing secret", set_webhook):
            self.step("channel: read -> 200 the URL, no secret", read)
            self.step("channel: rotate the secret -> 200 a new one", rotate)


class RepresentativeFlow:
    """A conversation taken from the queue to closed by a representative (representative-scope tokens on
    the representative routes), with a message each way and the transcript read from both sides."""

    CONTEXT: ClassVar[dict[str, dict[str, Any]]] = {
        "productname": {"value": "XBox", "isDisplayable": True},
        "internalScore": {"value": "hidden-7f3a", "isDisplayable": False},
    }

    def __init__(self, client: Client) -> None:
        self.client = client
        self.customer = f"e2e-customer-{uuid.uuid4()}"
        self.id = ""
        self.message_ids: list[int] = []  # of the conversation's activities, in the order they were answered
        self.texts: list[tuple[str, str]] = []  # (role, text) of its messages: the transcript to expect

    def steps(self) -> list[tuple[str, Callable[[], None], bool]]:
        """(name, check, whether the later steps depend on it), in order."""
        return [
            ("representative: the queue (status=open) lists it", self.queue, False),
            ("representative: view -> 200 open, only the displayable context", self.view, False),
            ("representative: accept -> 200 active, with the representative", self.accept, True),
            ("representative: message -> 200 messageId", self.representative_message, True),
            ("consumer: message -> 200 messageId", self.customer_message, True),
            (
                "consumer: transcript -> the 3 messages, oldest first",
                self.transcript(self.client.consumer),
                False,
            ),
            ("representative: transcript -> the same", self.transcript(self.client.representative), False),
            ("consumer: context -> every variable", self.context, False),
            ("consumer: list -> it, active", self.consumer_list, False),
            (f"representative: {REP['id']}'s active work lists it", self.work, False),
            ("representative: end -> 200 wrapup", self.end, True),
            ("consumer: message after the end -> 409 conversation_ended", self.message_after_end, False),
            ("representative: close -> 200 closed", self.close, True),
            ("representative: close again -> 200 closed (a retry)", self.close_again, False),
            ("representative: accept a closed one -> 409 invalid_transition", self.accept_closed, False),
            ("consumer: get -> closed by the representative", self.get_closed, False),
        ]

    @property
    def path(self) -> str:
        return f"/conversation/{self.id}"

    def _advanced(self, status: int, body: Any) -> None:
        new = _message_id(status, body)
        expect(
            not self.message_ids or new > self.message_ids[-1],
            f"a messageId above {self.message_ids}",
            status,
            body,
        )
        self.message_ids.append(new)

    def _event(self, name: str) -> tuple[int, Any]:
        return self.client.representative("POST", self.path, {"type": "event", "name": name, "from": REP})

    def create(self) -> None:
        status, body = self.client.consumer(
            "POST",
            "/conversations/create",
            {
                "customercontext": {"customerid": self.customer, "firstname": "Jo"},
                "conversationcontext": self.CONTEXT,
                "startmessage": {"message": "Hello", "displayname": "Jo"},
            },
        )
        expect(status == 201 and body.get("isNew") is True, "201 isNew", status, body)
        self.id = body["conversationId"]
        self._advanced(status, body)
        self.texts.append(("customer", "Hello"))

    def queue(self) -> None:
        status, body = self.client.representative("GET", "/conversations?" + urlencode({"status": "open"}))
        expect(status == 200 and isinstance(body.get("conversations"), list), "200 a list", status, body)
        statuses = {c.get("conversationId"): c.get("status") for c in body["conversations"]}
        expect(statuses.get(self.id) == "open", f"{self.id} in the queue", status, body)

    def view(self) -> None:
        status, body = self.client.representative("GET", self.path)
        expect(status == 200 and body.get("status") == "open", "200 status open", status, body)
        expect(
            body.get("conversationcontext") == {"productname": "XBox"},
            "only the displayable context",
            status,
            body,
        )
        start = body.get("startMessage") or {}
        expect(start.get("message") == "Hello", "the start message", status, body)

    def accept(self) -> None:
        status, body = self._event("accept")
        expect(status == 200 and body.get("status") == "active", "200 status active", status, body)
        expect(body.get("representative") == REP, f"representative {REP}", status, body)
        self._advanced(status, body)

    def representative_message(self) -> None:
        activity = {"type": "message", "text": "How can I help?", "from": {"id": REP["id"]}}
        status, body = self.client.representative("POST", self.path, activity)
        expect(status == 200, "200", status, body)
        self._advanced(status, body)
        self.texts.append(("representative", "How can I help?"))

    def customer_message(self) -> None:
        status, body = self.client.consumer(
            "POST", self.path, {"type": "message", "text": "My order is late"}
        )
        expect(status == 200, "200", status, body)
        self._advanced(status, body)
        self.texts.append(("customer", "My order is late"))

    def transcript(self, side: Callable[[str, str], tuple[int, Any]]) -> Callable[[], None]:
        def check() -> None:
            status, body = side("GET", self.path + "/messages")
            expect(status == 200 and isinstance(body.get("messages"), list), "200 messages", status, body)
            got = [((m.get("from") or {}).get("role"), m.get("text")) for m in body["messages"]]
            expect(got == self.texts, f"the messages {self.texts}, oldest first", status, body)
            ids = [int(m["messageId"]) for m in body["messages"]]
            expect(ids == sorted(set(ids)), "increasing messageIds", status, body)
            expect(body.get("continuationToken") is None, "no next page", status, body)

        return check

    def context(self) -> None:
        status, body = self.client.consumer("GET", self.path + "/context")
        expect(status == 200 and isinstance(body.get("context"), list), "200 context", status, body)
        got = {e.get("name"): (e.get("value"), e.get("isDisplayable")) for e in body["context"]}
        want = {name: (e["value"], e["isDisplayable"]) for name, e in self.CONTEXT.items()}
        expect(got == want, f"every variable {want}", status, body)

    def consumer_list(self) -> None:
        status, body = self.client.consumer("GET", "/conversations")
        expect(status == 200 and isinstance(body.get("conversations"), list), "200 a list", status, body)
        statuses = {c.get("conversationid"): c.get("status") for c in body["conversations"]}
        expect(statuses.get(self.id) == "active", f"{self.id} listed active", status, body)

    def work(self) -> None:
        query = urlencode({"status": "active", "representativeId": REP["id"]})
        status, body = self.client.representative("GET", "/conversations?" + query)
        expect(status == 200 and isinstance(body.get("conversations"), list), "200 a list", status, body)
        ids = [c.get("conversationId") for c in body["conversations"]]
        expect(self.id in ids, f"{self.id} in {REP['id']}'s work", status, body)

    def end(self) -> None:
        status, body = self._event("end")
        expect(status == 200 and body.get("status") == "wrapup", "200 status wrapup", status, body)
        self._advanced(status, body)

    def message_after_end(self) -> None:
        status, body = self.client.consumer("POST", self.path, {"type": "message", "text": "Hello?"})
        expect_problem(status, body, 409, "conversation_ended")

    def close(self) -> None:
        status, body = self._event("close")
        expect(status == 200 and body.get("status") == "closed", "200 status closed", status, body)
        self._advanced(status, body)

    def close_again(self) -> None:
        status, body = self._event("close")
        expect(status == 200 and body.get("status") == "closed", "200 status closed", status, body)

    def accept_closed(self) -> None:
        status, body = self._event("accept")
        expect_problem(status, body, 409, "invalid_transition")

    def get_closed(self) -> None:
        status, body = self.client.consumer("GET", self.path)
        expect(status == 200 and body.get("status") == "closed", "200 status closed", status, body)
        expect(body.get("closeReason") == "representative", "closeReason representative", status, body)
        expect(body.get("endedBy") == "representative", "endedBy representative", status, body)
        expect(body.get("representative") == REP, f"representative {REP}", status, body)
        expect(body.get("isActive") is False, "isActive false", status, body)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def http(args: argparse.Namespace) -> int:
    routes = {_route_key(r.method, r.path) for r in http_routes(load_template(args.template))}
    checks = HttpChecks(Client(args.base_url), routes)
    failures = checks.run()
    print(
        f"http: {checks.passed} passed, {len(failures)} failed, {checks.skipped} skipped"
        if failures or checks.skipped
        else f"http: all {checks.passed} checks passed"
    )
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


def check_answer(answer: Any, expected: int | None, expected_answer: Any = None) -> None:
    if isinstance(answer, dict) and "errorType" in answer:
        raise CheckFailed(f"the function raised: {json.dumps(answer)[:800]}")
    if expected_answer is not None:
        if answer != expected_answer:
            raise CheckFailed(f"expected {json.dumps(expected_answer)}; got {json.dumps(answer)[:800]}")
        return
    status = answer.get("statusCode") if isinstance(answer, dict) else None
    if isinstance(answer, dict) and answer.get("batchItemFailures"):
        raise CheckFailed(f"the batch reported failures: {json.dumps(answer)[:800]}")
    if expected is not None and status != expected:
        raise CheckFailed(f"expected statusCode {expected}; got {json.dumps(answer)[:800]}")
    if status is not None and int(status) >= 500:
        raise CheckFailed(f"a server error: {json.dumps(answer)[:800]}")


class LocalState:
    """The tables and the webhook queue, as the functions see them (DynamoDB Local, the queue engine)."""

    def __init__(self, template: Template, dynamodb_endpoint: str, sqs_endpoint: str, queue_url: str) -> None:
        self.dynamodb = dynamodb_client(dynamodb_endpoint)
        self.tables = sorted(
            resources_of_type(template, "AWS::DynamoDB::Table")
        )  # named as their logical ids
        self.sqs = sqs_client(sqs_endpoint)
        self.queue_url = queue_url

    def empty(self) -> None:
        """Deletes every item of every table and every message of the webhook queue: a fresh deployment."""
        for table in self.tables:
            keys = [
                k["AttributeName"]
                for k in self.dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
            ]
            names = {f"#k{i}": key for i, key in enumerate(keys)}
            paginator = self.dynamodb.get_paginator("scan")
            for page in paginator.paginate(
                TableName=table, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
            ):
                items = page.get("Items", [])
                for start in range(0, len(items), 25):
                    requests: Any = [{"DeleteRequest": {"Key": item}} for item in items[start : start + 25]]
                    self.dynamodb.batch_write_item(RequestItems={table: requests})
        while messages := self.receive():
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def receive(self) -> list[Any]:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url, AttributeNames=["All"], MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        return list(answer.get("Messages", []))


def check_enqueued(state: LocalState) -> None:
    """After dispatch_webhooks.accepted.json: its one state change is on the webhook queue, in the sample
    conversation's message group, deduplicated by the activity's id."""
    messages = state.receive()
    if len(messages) != 1:
        raise CheckFailed(f"expected 1 message on the webhook queue; found {len(messages)}: {messages}")
    (message,) = messages
    attributes, body = message.get("Attributes", {}), json.loads(message["Body"])
    want = (SAMPLE, f"{SAMPLE}-1795000000123", "ConversationAccepted")
    got = (attributes.get("MessageGroupId"), attributes.get("MessageDeduplicationId"), body.get("name"))
    if got != want:
        raise CheckFailed(f"expected (group, deduplication id, name) {want}; got {got}")


AFTER: dict[str, Callable[[LocalState], None]] = {"dispatch_webhooks.accepted.json": check_enqueued}


def lambda_client(endpoint: str) -> Any:
    """The Lambda Invoke API of `sam local start-lambda` (no retries: an invoke is not idempotent)."""
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(read_timeout=INVOKE_TIMEOUT, connect_timeout=10, retries={"total_max_attempts": 1}),
    )


def invoke(client: Any, function_id: str, event_file: Path) -> Any:
    answer = client.invoke(FunctionName=function_id, Payload=event_file.read_bytes())
    payload = answer["Payload"].read()
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        raise CheckFailed(f"an answer that is not JSON: {payload[:800]!r}") from None


def events(args: argparse.Namespace) -> int:
    template = load_template(args.template)
    function_ids = sorted(resources_of_type(template, "AWS::Serverless::Function"))
    env_vars = json.loads(args.env_vars.read_text(encoding="utf-8"))["Parameters"]
    state = LocalState(
        template, args.dynamodb_endpoint, env_vars[SQS_ENDPOINT_VARIABLE], env_vars["WEBHOOK_QUEUE_URL"]
    )
    client = lambda_client(args.lambda_endpoint)
    files = sorted(args.events_dir.glob("*.json"))
    if not files:
        print(f"events: no {args.events_dir}/*.json yet")
    failures = 0
    for event_file in files:
        function_id = function_for(event_file, function_ids)
        if function_id is None:
            print(f"skip  {event_file}: no function of that name in template yet ({', '.join(function_ids)})")
            continue
        expected, expected_answer = expected_status(event_file), EXPECTED_ANSWER.get(event_file.name)
        started = time.monotonic()
        try:
            state.empty()
            answer = invoke(client, function_id, event_file)
            check_answer(answer, expected, expected_answer)
            if event_file.name in AFTER:
                AFTER[event_file.name](state)
        except Exception as failure:  # a failed invoke (timeout, connection) is a failed check too
            failures += 1
            print(f"FAIL  {event_file} -> {function_id}: {failure}", flush=True)
            continue
        took = time.monotonic() - started
        if expected_answer is not None:
            got, want = json.dumps(answer), "that answer"
        else:
            got = f"statusCode {answer.get('statusCode') if isinstance(answer, dict) else None}"
            want = str(expected or "non-5xx")
        extra = " and its message on the queue" if event_file.name in AFTER else ""
        print(
            f"ok    {event_file} -> {function_id}: {got} (expected {want}{extra}; {took:.1f} s)", flush=True
        )
    print(
        f"events: {failures} of {len(files)} file(s) failed"
        if failures
        else f"events: all {len(files)} file(s) passed"
    )
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Checks of make sam-e2e (see local/sam/README.md).")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("setup", help="create the tables and queues, write the --env-vars file")
    p.add_argument("--template", type=Path, default=Path("template.yaml"))
    p.add_argument("--endpoint", required=True, help="DynamoDB Local as seen from here")
    p.add_argument("--container-endpoint", required=True, help="DynamoDB Local as seen from the containers")
    p.add_argument(
        "--sqs-endpoint", required=True, help="the queue engine, as seen from here and the containers"
    )
    p.add_argument("--env-out", type=Path, required=True)
    p.set_defaults(run=setup)

    p = commands.add_parser("http", help="drive sam local start-api")
    p.add_argument("--template", type=Path, required=True, help="the built template sam local serves")
    p.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:3000")
    p.set_defaults(run=http)

    p = commands.add_parser("events", help="invoke every events/*.json through sam local start-lambda")
    p.add_argument("--template", type=Path, required=True, help="the built template")
    p.add_argument("--events-dir", type=Path, default=Path("events"))
    p.add_argument(
        "--lambda-endpoint", required=True, help="sam local start-lambda, e.g. http://127.0.0.1:3001"
    )
    p.add_argument("--dynamodb-endpoint", required=True, help="DynamoDB Local as seen from here")
    p.add_argument("--env-vars", type=Path, required=True, help="the file `setup` wrote")
    p.set_defaults(run=events)

    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
