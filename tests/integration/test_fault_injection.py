"""DynamoDB failing under the real code path (tests/faults.py): throttling, TransactionConflict, 500s and
timeouts injected at the HTTP level, beneath botocore's retries, the use cases' retries and the handlers.

A handler serves one request at a time per process, as in Lambda (Powertools keeps the current event on its
class), so the concurrent scenario forks one process per execution environment, each with its own injector.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from local.dynamodb_local import dynamodb_client as local_client
from local.events import lambda_context
from messaging.config import settings
from messaging.domain.ids import ConversationIds
from messaging.domain.tenant import Tenant
from messaging.wiring import conversations
from tests.faults import Fault, FaultInjector, Send, load_handler_with_faults
from tests.harness import BASE, CREATE, api_event, environment, load_handler, table_environment
from tests.integration.invariants import broken_invariants, read_storage

FAULT_RATE = 0.3
SEED = 20_260_105
WORKERS = 12
CALLS_PER_WORKER = 30
TENANTS = ("tenant-a", "tenant-b")
CUSTOMERS = tuple(f"customer-{n}" for n in range(5))
ROUTE = f"{BASE}/conversation/{{conversationId}}"
END = {"type": "endOfConversation", "channelId": "web"}


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP API request and its answer, with what happened beneath it."""

    action: str  # create | close | close_unknown
    tenant: str
    customerid: str
    target: str | None  # the conversation addressed by a close
    message: str | None  # a create's start message, unique: it tells which create wrote a conversation
    status: int
    body: str
    retry_after: str | None
    sends: tuple[Send, ...]

    def document(self) -> Any:
        return json.loads(self.body) if self.body else None


def create_body(customerid: str, shape: int, message: str = "Hello") -> dict[str, Any]:
    """Shape 0: customerid only (one transaction); 1: with email; 2: email and phone (read + contacts)."""
    customer: dict[str, str] = {"customerid": customerid}
    number = CUSTOMERS.index(customerid)
    if shape >= 1:
        customer["email"] = f"{customerid.upper()}@Example.com"
    if shape >= 2:
        customer["phonenumber"] = f"+1 (555) 010-{number:04d}"
    return {"customercontext": customer, "startmessage": {"message": message}}


def send(handler: ModuleType, event: dict[str, Any]) -> tuple[int, str, str | None]:
    """Calls lambda_handler as Lambda would and keeps the raw body (a stack trace must never be in it)."""
    result = handler.lambda_handler(event, lambda_context(handler.__name__))
    headers = {name.lower(): value for name, value in (result.get("headers") or {}).items()}
    return result["statusCode"], result.get("body") or "", headers.get("retry-after")


def close_event(conversation_id: str, tenant: str) -> dict[str, Any]:
    path = f"{BASE}/conversation/{conversation_id}"
    parameters = {"conversationId": conversation_id}
    return api_event("POST", path, END, tenant=tenant, route=ROUTE, path_parameters=parameters)


def run_environment(
    index: int, endpoint: str, tables: dict[str, str], rate: float, backoff: bool
) -> list[Call]:
    """One execution environment (its own process): creates and closes at random, faults on its own client."""
    if not backoff:  # only this process: botocore's sleeps between retries
        ExponentialBackoff.delay_amount = lambda self, context: 0.0  # type: ignore[method-assign]
    chooser = random.Random(SEED + index)
    calls: list[Call] = []
    with environment({**table_environment(tables), "AWS_ENDPOINT_URL_DYNAMODB": endpoint}):
        injector = FaultInjector(rate, seed=SEED * 100 + index)
        create = load_handler_with_faults("create_conversation", injector)
        close = load_handler_with_faults("consumer_activity", injector)
        ids = ConversationIds(settings().id_secret)
        known: list[tuple[str, str, str]] = []  # (tenant, customerid, conversation id) answered to us
        for step in range(CALLS_PER_WORKER):
            tenant, customerid, roll = chooser.choice(TENANTS), chooser.choice(CUSTOMERS), chooser.random()
            before, target, message = len(injector.sends), None, None
            if roll < 0.1:
                action, target = "close_unknown", ids.new(Tenant(tenant), customerid)  # its lock may exist
                answer = send(close, close_event(target, tenant))
            elif roll < 0.45 and known:
                action, (tenant, customerid, target) = "close", known.pop(chooser.randrange(len(known)))
                answer = send(close, close_event(target, tenant))
            else:
                action, message = "create", f"hello from {index}.{step}"
                body = create_body(customerid, chooser.randrange(3), message)
                answer = send(create, api_event("POST", CREATE, body, tenant=tenant))
                if answer[0] in (200, 201):
                    known.append((tenant, customerid, json.loads(answer[1])["conversationId"]))
            sends = tuple(injector.sends[before:])
            calls.append(Call(action, tenant, customerid, target, message, *answer, sends))
    return calls


def verdict(call: Call) -> str:
    """correct, busy (503 service_unavailable + Retry-After) or wrong. Stored state is checked apart."""
    document = call.document() if call.body.lstrip().startswith("{") else None
    if document is None or "Traceback" in call.body:
        return "wrong"
    if call.status == 503:
        busy = document.get("code") == "service_unavailable" and call.retry_after
        return "busy" if busy else "wrong"
    match call.action, call.status:
        case "create", 201 | 200:
            ok = document.get("isNew") is (call.status == 201) and bool(document.get("conversationId"))
        case "close", 200:
            ok = document.get("conversationId") == call.target and document.get("status") == "closed"
        case "close_unknown", 404:
            ok = document.get("code") == "conversation_not_found"
        case _:
            ok = False
    return "correct" if ok else "wrong"


def figures(calls: list[Call]) -> str:
    sends = [s for call in calls for s in call.sends]
    verdicts = Counter(verdict(call) for call in calls)
    faults = Counter(str(s.fault) for s in sends if s.fault is not None)
    sdk_retries = sum(s.attempt > 1 for s in sends)
    # A use case retried when one HTTP request started more than one transaction (after a conflict).
    use_case_retries = sum(
        max(0, sum(s.operation == "TransactWriteItems" and s.attempt == 1 for s in call.sends) - 1)
        for call in calls
    )
    statuses = Counter(int(call.status) for call in calls)

    def share(n: int, total: int) -> str:
        return f"{100 * n / max(total, 1):.1f} %"

    return (
        f"{len(calls)} HTTP calls ({dict(Counter(c.action for c in calls))}), {len(sends)} DynamoDB sends; "
        f"faults injected {share(faults.total(), len(sends))} of sends ({dict(faults)}); "
        f"answers: correct {share(verdicts['correct'], len(calls))}, "
        f"503 {share(verdicts['busy'], len(calls))}, wrong {verdicts['wrong']}; "
        f"statuses {dict(sorted(statuses.items()))}; "
        f"retries: botocore {sdk_retries}, use case {use_case_retries}"
    )


@pytest.mark.slow  # a stress test: `make mutation` leaves it out (see local/mutation.py)
@pytest.mark.parametrize(
    ("rate", "backoff"),
    [(FAULT_RATE, True), (0.7, False)],
    ids=["30 % faults", "70 % faults, no botocore backoff (many 503s, fast)"],
)
def test_faults_under_concurrent_creates_and_closes_give_correct_answers_or_503(
    rate: float, backoff: bool, dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given 12 execution environments in their own processes, each failing `rate` of its DynamoDB sends
    load_handler("create_conversation")  # warms the imports the forked environments share
    context = multiprocessing.get_context("fork")
    # When each sends 30 creates and closes at random, for 5 customers of 2 tenants, all at once
    with context.Pool(WORKERS) as pool:
        arguments = [(index, dynamodb_endpoint, local_env, rate, backoff) for index in range(WORKERS)]
        calls = [call for part in pool.starmap(run_environment, arguments, chunksize=1) for call in part]
        pool.close()
        pool.join()
    report = figures(calls)
    # Then every answer is correct or a 503 with Retry-After: never a 500, never internals
    wrong = [call for call in calls if verdict(call) == "wrong"]
    assert not wrong, f"{report}\nwrong answers: {wrong[:3]}"
    # And the faults did not leave every call busy: most are answered despite them
    answered = Counter(verdict(call) for call in calls)["correct"]
    assert answered >= len(calls) * (0.8 if rate < 0.5 else 0.3), report
    # And, faults off, storage holds: one open conversation per customer, locks, whole items, contacts
    storage = read_storage(dynamodb_endpoint, local_env)
    assert broken_invariants(storage) == [], report
    # And every conversation answered exists for its customer, written by this create iff answered 201
    for call in (c for c in calls if c.action == "create" and c.status in (200, 201)):
        conversation_id = call.document()["conversationId"]
        state, details = storage.states.get(conversation_id), storage.details.get(conversation_id)
        assert state is not None and details is not None and state["tenant"]["S"] == call.tenant, (
            report,
            call,
        )
        assert state["customerid"]["S"] == call.customerid, (report, call)
        own = details["startMessage"]["M"]["message"]["S"] == call.message
        assert own == (call.status == 201), (report, call)
    print(report)
    # And every close answered 200 is stored closed
    for call in calls:
        if call.action == "close" and call.status == 200:
            assert storage.states[str(call.target)]["status"]["S"] == "closed", (report, call)
    # And the faults were really there, of every kind
    injected = Counter(s.fault for call in calls for s in call.sends if s.fault is not None)
    assert set(injected) == set(Fault), report


# ---------------------------------------------------------------- DynamoDB failing every time


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's sleeps between retries (up to seconds when throttled) change nothing checked here."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


@pytest.mark.usefixtures("no_backoff", "local_env")
@pytest.mark.parametrize("shape", [0, 2], ids=["transaction only", "read and contacts"])
@pytest.mark.parametrize("fault", list(Fault))
def test_a_create_answers_503_with_retry_after_while_dynamodb_keeps_failing(fault: Fault, shape: int) -> None:
    # Given every DynamoDB send of the create environment fails with this fault
    injector = FaultInjector(1.0, seed=SEED, faults=[fault])
    create = load_handler_with_faults("create_conversation", injector)
    body = create_body(CUSTOMERS[0], shape)
    # When a create arrives
    status, raw, retry_after = send(create, api_event("POST", CREATE, body))
    # Then it answers 503 service_unavailable with Retry-After, after retrying
    assert (status, json.loads(raw)["code"], retry_after) == (503, "service_unavailable", "1")
    assert len(injector.sends) > 1
    # And once DynamoDB recovers the same request answers (200 when a lost answer had in fact written it)
    injector.enabled = False
    status, raw, _ = send(create, api_event("POST", CREATE, body))
    written = fault is Fault.LOST_ANSWER and shape == 0  # with a read first, the read's answers were lost
    assert status == (200 if written else 201) and json.loads(raw)["conversationId"]


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("fault", list(Fault))
def test_a_close_answers_503_with_retry_after_while_dynamodb_keeps_failing(
    fault: Fault, dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given an open conversation, and every DynamoDB send of the close environment failing with this fault
    created = api_event("POST", CREATE, create_body(CUSTOMERS[1], 0))
    status, raw, _ = send(load_handler("create_conversation"), created)
    conversation_id = json.loads(raw)["conversationId"]
    injector = FaultInjector(1.0, seed=SEED, faults=[fault])
    close = load_handler_with_faults("consumer_activity", injector)
    # When the customer ends it
    status, raw, retry_after = send(close, close_event(conversation_id, "tenant-a"))
    # Then the close answers 503 with Retry-After, and storage stays consistent either way
    assert (status, json.loads(raw)["code"], retry_after) == (503, "service_unavailable", "1")
    storage = read_storage(dynamodb_endpoint, local_env)
    assert broken_invariants(storage) == []
    # And once DynamoDB recovers the close answers 200
    injector.enabled = False
    assert send(close, close_event(conversation_id, "tenant-a"))[0] == 200


def test_the_same_seed_injects_the_same_faults(no_backoff: None, local_env: dict[str, str]) -> None:
    # Given two environments whose injectors share a seed
    runs, statuses = [], []
    for run in range(2):
        injector = FaultInjector(0.5, seed=SEED)
        create = load_handler_with_faults("create_conversation", injector)
        # When each sends the same creates
        answers = []
        for number in range(5):
            body = {"customercontext": {"customerid": f"seed-{run}-{number}"}}
            answers.append(send(create, api_event("POST", CREATE, body))[0])
        runs.append(injector.sends)
        statuses.append(answers)
    # Then the same sends fail the same way, and the creates answer the same way: some despite the faults
    assert runs[0] == runs[1] and any(s.fault for s in runs[0])
    assert statuses[0] == statuses[1] and 201 in statuses[0], statuses
    assert set(statuses[0]) <= {201, 503}, statuses


# ---------------------------------------------------------------- single faults at the worst moment


@pytest.mark.usefixtures("local_env")
def test_an_anonymous_create_survives_one_transaction_conflict() -> None:
    injector = FaultInjector(0, seed=SEED, script=[Fault.TRANSACTION_CONFLICT])
    create = load_handler_with_faults("create_conversation", injector)
    status, _, _ = send(create, api_event("POST", CREATE, {"startmessage": {"message": "Hi"}}))
    assert status == 201


@pytest.mark.usefixtures("local_env")
def test_a_create_whose_write_landed_unseen_then_conflicted_answers_201() -> None:
    script = [Fault.LOST_ANSWER, Fault.TRANSACTION_CONFLICT]
    injector = FaultInjector(0, seed=SEED, operations={"TransactWriteItems"}, script=script)
    create = load_handler_with_faults("create_conversation", injector)
    status, raw, _ = send(create, api_event("POST", CREATE, create_body(CUSTOMERS[0], 0)))
    assert (status, json.loads(raw)["isNew"]) == (201, True)


@pytest.mark.usefixtures("local_env")
def test_a_create_whose_idempotency_record_answer_was_lost_still_answers() -> None:
    # Given the idempotency record's PutItem lands but its answer is lost (botocore sends it again)
    injector = FaultInjector(0, seed=SEED, operations={"PutItem"}, script=[Fault.LOST_ANSWER])
    create = load_handler_with_faults("create_conversation", injector)
    body = {**create_body(CUSTOMERS[0], 0), "conversationrequestid": str(uuid.uuid4())}
    # When the create runs
    status, raw, _ = send(create, api_event("POST", CREATE, body))
    # Then the resend finds the request's own record (not "in progress"): the create runs and answers 201
    assert injector.sends[0].fault is Fault.LOST_ANSWER
    assert (status, json.loads(raw)["isNew"]) == (201, True)
    # And the request, sent again with DynamoDB well, gets that first answer replayed, every time
    injector.enabled = False
    for _ in range(2):
        again_status, again_raw, _ = send(create, api_event("POST", CREATE, body))
        assert (again_status, json.loads(again_raw)) == (201, json.loads(raw))


@pytest.mark.usefixtures("local_env")
@pytest.mark.parametrize(
    "known", [{"email": "known@example.com"}, {"phonenumber": "+1 555 0100"}], ids=["by email", "by phone"]
)
def test_a_create_reads_the_contacts_again_after_a_conflict(known: dict[str, str]) -> None:
    # Given a contact known by an email (or phone), from an earlier customer's create
    injector = FaultInjector(0, seed=SEED, operations={"TransactWriteItems"}, script=[])
    create = load_handler_with_faults("create_conversation", injector)
    tenant = TENANTS[0]
    first = {"customercontext": {"customerid": "first", **known}}
    first_status, first_raw, _ = send(create, api_event("POST", CREATE, first, tenant=tenant))
    assert first_status == 201
    # When another customer's create with it meets a transaction conflict on its first write
    injector.sends.clear()
    injector.script = [Fault.TRANSACTION_CONFLICT]
    second = {"customercontext": {"customerid": "second", **known}}
    status, raw, _ = send(create, api_event("POST", CREATE, second, tenant=tenant))
    # Then it reads the contacts again, the known one with them, and its next write links it and lands
    assert (status, json.loads(raw)["isNew"]) == (201, True)
    assert [(sent.operation, sent.fault) for sent in injector.sends] == [
        ("BatchGetItem", None),
        ("TransactWriteItems", Fault.TRANSACTION_CONFLICT),
        ("BatchGetItem", None),
        ("TransactWriteItems", None),
    ]
    # And both conversations are linked to that one contact
    first_stored = conversations().get(Tenant(tenant), json.loads(first_raw)["conversationId"])
    second_stored = conversations().get(Tenant(tenant), json.loads(raw)["conversationId"])
    assert first_stored is not None and second_stored is not None
    assert first_stored.details.contact_id is not None
    assert second_stored.details.contact_id == first_stored.details.contact_id


def test_the_invariant_check_sees_half_written_and_orphaned_items(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a lock without conversation, a conversation's state without its details, a contact without lookup
    client = local_client(dynamodb_endpoint)
    conversations, contacts = local_env["ConversationsTable"], local_env["ContactsTable"]
    stray_lock = {"sk": "#LOCK", "kind": "activeLock", "conversationId": "gone", "tenant": "t"}
    half_conversation = {"sk": "#STATE", "kind": "conversation", "conversationId": "half", "tenant": "t"}
    lone_contact = {"kind": "contact", "contactId": "k", "email": "a@b.c"}
    for table, pk, item in [
        (conversations, "TENANT#t#LOCK#x", stray_lock),
        (conversations, "TENANT#t#CONVERSATION#half", half_conversation),
        (contacts, "TENANT#t#CONTACT#k", lone_contact),
    ]:
        client.put_item(TableName=table, Item={"pk": {"S": pk}} | {k: {"S": v} for k, v in item.items()})
    # When storage is checked, Then each is reported
    broken = broken_invariants(read_storage(dynamodb_endpoint, local_env))
    assert [sentence.split(" ")[0] for sentence in broken] == [
        "conversation",
        "conversation",
        "lock",
        "contact",
    ]
