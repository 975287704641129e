"""What the bench sends, and the environment each function gets from template.yaml.

The requests: a create like events/create_conversation.with-context-and-startmessage.json without email and
idempotency key (the main path), the consumer's endOfConversation, the representative's events (accept,
end, close), the reads (get, the representative's view) and the lists (the consumer's live list, the
representative's queue). OPERATIONS names each benchmarked operation's function by its template folder;
FRESH_REQUESTS gives every API function of the template one request that needs nothing but a fresh
conversation (the RSS workload), and a test keeps it complete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.functions import functions_of
from local.template import (
    function_environment,
    http_routes,
    load_template,
    parameter_defaults,
    resources_of_type,
)
from tests.harness import BASE, CREATE, REPO, api_event

TEMPLATE = load_template(REPO / "template.yaml")
CONVERSATION_ROUTE = f"{BASE}/conversation/{{conversationId}}"
REPRESENTATIVE_BASE = "/api/v1.0/representative"
REPRESENTATIVE_ROUTE = f"{REPRESENTATIVE_BASE}/conversation/{{conversationId}}"
REPRESENTATIVE = {"id": "rep-bench", "name": "Ana"}
TENANT = "bench-tenant"

FUNCTIONS = functions_of(TEMPLATE)  # every function of template.yaml (bench.functions)
# functions/<name>/ -> the template's logical id, read from each function's CodeUri.
FUNCTION_IDS: dict[str, str] = {function.folder: function.logical_id for function in FUNCTIONS}
API_FUNCTIONS = tuple(function.folder for function in FUNCTIONS if function.api)
OTHER_FUNCTIONS = tuple(function.folder for function in FUNCTIONS if not function.api)
ALL_FUNCTIONS = (*API_FUNCTIONS, *OTHER_FUNCTIONS)


def memory_mb(function: str) -> int:
    """MemorySize of a function: its own, else Globals.Function's (SAM's rule), else Lambda's 128."""
    own = resources_of_type(TEMPLATE, "AWS::Serverless::Function")[FUNCTION_IDS[function]]["Properties"]
    globals_ = (TEMPLATE.get("Globals") or {}).get("Function") or {}
    return int(own.get("MemorySize", globals_.get("MemorySize", 128)))


def lambda_environment(
    function: str, table_names: dict[str, str], queue_urls: dict[str, str] | None = None
) -> dict[str, str]:
    """The variables Lambda sets for the function: the runtime's own, then the template's (queue URLs by
    logical id, when the run has queues)."""
    return {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_IDS.get(function, function),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(
            memory_mb(function if function in FUNCTION_IDS else "create_conversation")
        ),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        # The floor and the baseline handler (not in the template) get the create function's variables.
        **function_environment(
            TEMPLATE,
            FUNCTION_IDS.get(function, FUNCTION_IDS["create_conversation"]),
            table_names,
            {},
            queue_urls or {},
        ),
    }


def create_body(customerid: str, *, email: str | None = None, phone: str | None = None) -> dict[str, Any]:
    customer: dict[str, Any] = {"customerid": customerid, "firstname": "Jane", "lastname": "Roe"}
    if email is not None:
        customer["email"] = email
    if phone is not None:
        customer["phonenumber"] = phone
    return {
        "customercontext": customer,
        "conversationcontext": {
            "productname": {"isDisplayable": True, "value": "XBox"},
            "issue": {"isDisplayable": True, "value": "installation"},
        },
        "startmessage": {"message": "My console will not install the update.", "displayname": "Jane"},
        "skipdeflectionbot": False,
    }


def create_event(customerid: str, *, tenant: str = TENANT, **contact: str | None) -> dict[str, Any]:
    return api_event("POST", CREATE, create_body(customerid, **contact), tenant=tenant)


def end_of_conversation_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """The consumer's endOfConversation (consumer_activity)."""
    body = {"type": "endOfConversation", "channelId": "web", "conversation": {"id": conversation_id}}
    return _on_conversation("POST", BASE, conversation_id, body, tenant)


def representative_event(conversation_id: str, name: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """A representative's event (representative_activity): accept, end, close..."""
    body = {"type": "event", "name": name, "from": REPRESENTATIVE}
    return _on_conversation("POST", REPRESENTATIVE_BASE, conversation_id, body, tenant)


def get_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    return _on_conversation("GET", BASE, conversation_id, None, tenant)


def representative_get_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    return _on_conversation("GET", REPRESENTATIVE_BASE, conversation_id, None, tenant)


def list_event(*, tenant: str = TENANT, page_size: int = 10) -> dict[str, Any]:
    """The consumer's list (list_conversations): the first page, as events/list_conversations.first-page."""
    return _query("GET", f"{BASE}/conversations", {"PageSize": str(page_size)}, tenant)


def queue_event(*, tenant: str = TENANT, page_size: int = 25) -> dict[str, Any]:
    """The representative's queue (representative_conversations), as events/...queue.json."""
    query = {"status": "open", "PageSize": str(page_size)}
    return _query("GET", f"{REPRESENTATIVE_BASE}/conversations", query, tenant)


def message_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """The customer's message (consumer_activity, type message)."""
    body = {"type": "message", "text": "Where is my order?", "conversation": {"id": conversation_id}}
    return _on_conversation("POST", BASE, conversation_id, body, tenant)


def representative_message_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """The representative's message (representative_activity, type message): delivered to the webhook."""
    body = {"type": "message", "text": "It ships tomorrow.", "from": REPRESENTATIVE}
    return _on_conversation("POST", REPRESENTATIVE_BASE, conversation_id, body, tenant)


def representative_typing_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """The representative's typing (representative_activity): delivered, not stored."""
    body = {"type": "typing", "from": REPRESENTATIVE}
    return _on_conversation("POST", REPRESENTATIVE_BASE, conversation_id, body, tenant)


def context_update_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """The customer's custom event setting a context variable (consumer_activity, type event)."""
    value = json.dumps({"orderNumber": {"isDisplayable": True, "value": "A-1001"}})
    body = {
        "type": "event",
        "name": "contextUpdate",
        "channelData": {"customEventValue": value},
        "conversation": {"id": conversation_id},
    }
    return _on_conversation("POST", BASE, conversation_id, body, tenant)


def transcript_event(
    conversation_id: str, *, tenant: str = TENANT, page_size: int = 50, token: str | None = None
) -> dict[str, Any]:
    """A page of the transcript (get_transcript): the first, or the one `token` continues with."""
    event = _on_conversation("GET", BASE, conversation_id, None, tenant)
    route = f"{BASE}/conversation/{{conversationId}}/messages"
    query = {"PageSize": str(page_size)} | ({"ContinuationToken": token} if token else {})
    event.update(
        rawPath=f"{BASE}/conversation/{conversation_id}/messages",
        routeKey=f"GET {route}",
        rawQueryString=urlencode(query),
        queryStringParameters=query,
    )
    event["requestContext"].update(routeKey=f"GET {route}")
    event["requestContext"]["http"]["path"] = event["rawPath"]
    return event


def context_event(conversation_id: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """The context (get_context)."""
    event = transcript_event(conversation_id, tenant=tenant)
    route = f"{BASE}/conversation/{{conversationId}}/context"
    event.update(
        rawPath=f"{BASE}/conversation/{conversation_id}/context", routeKey=f"GET {route}", rawQueryString=""
    )
    event.pop("queryStringParameters")
    event["requestContext"].update(routeKey=f"GET {route}")
    event["requestContext"]["http"]["path"] = event["rawPath"]
    return event


def channel_event(*, tenant: str = TENANT, url: str = "https://93.184.215.14/messaging") -> dict[str, Any]:
    """Setting the webhook (channel_settings, PUT), by default to a public IP literal: no DNS lookup."""
    return api_event("PUT", f"{BASE}/channel", {"webhookUrl": url}, tenant=tenant)


def channel_get_event(*, tenant: str = TENANT) -> dict[str, Any]:
    return api_event("GET", f"{BASE}/channel", None, tenant=tenant)


def channel_rotate_event(*, tenant: str = TENANT) -> dict[str, Any]:
    return api_event("POST", f"{BASE}/channel/rotate-secret", None, tenant=tenant)


def _query(method: str, path: str, query: dict[str, str], tenant: str) -> dict[str, Any]:
    event = api_event(method, path, None, tenant=tenant)
    event["rawQueryString"] = urlencode(query)
    event["queryStringParameters"] = dict(query)
    return event


def _on_conversation(method: str, base: str, conversation_id: str, body: Any, tenant: str) -> dict[str, Any]:
    return api_event(
        method,
        f"{base}/conversation/{conversation_id}",
        body,
        tenant=tenant,
        route=f"{base}/conversation/{{conversationId}}",
        path_parameters={"conversationId": conversation_id},
    )


# A conversation's messages, as the bench sends and prices them: the customer's (after the start message
# of its create) and the representative's, alternating, while it is active.
CUSTOMER_MESSAGES = 5
REPRESENTATIVE_MESSAGES = 5
# The transcript page the warm requests read: smaller than the conversation's messages (start message + the
# ten), so a full page and a continuation token, as the lists answer.
TRANSCRIPT_PAGE = 10


@dataclass(frozen=True)
class Operation:
    """A benchmarked operation: the function (template folder) that serves it and its answer's status."""

    name: str
    function: str
    status: int
    description: str


OPERATIONS = {
    op.name: op
    for op in (
        Operation(
            "create", "create_conversation", 201, "a new conversation (customerid, context, start message)"
        ),
        Operation("endOfConversation", "consumer_activity", 200, "the consumer ends an open conversation"),
        Operation("accept", "representative_activity", 200, "open → active"),
        Operation("end", "representative_activity", 200, "active → wrapup, by the representative"),
        Operation("close", "representative_activity", 200, "wrapup → closed, by the representative"),
        Operation("get", "get_conversation", 200, "one conversation"),
        Operation("representative get", "representative_conversation", 200, "the representative's view"),
        Operation("list", "list_conversations", 200, "the consumer's live list, first page of 10"),
        Operation("representative list", "representative_conversations", 200, "the queue, first page of 25"),
        Operation("message", "consumer_activity", 200, "the customer's message, active conversation"),
        Operation(
            "representative message",
            "representative_activity",
            200,
            "the representative's message (delivered)",
        ),
        Operation("transcript", "get_transcript", 200, f"the transcript's first page of {TRANSCRIPT_PAGE}"),
    )
}


@dataclass(frozen=True)
class Fresh:
    """What a fresh request may need: a new customerid, a new open conversation (created by the product), a
    conversation to read (one of a few, reused)."""

    customer: Callable[[], str]
    open_conversation: Callable[[], str]
    existing: Callable[[], str]


# Every API function of the template: a request it answers on a fresh conversation (RSS workload).
FRESH_REQUESTS: dict[str, Callable[[Fresh], dict[str, Any]]] = {
    "create_conversation": lambda fresh: create_event(fresh.customer()),
    "consumer_activity": lambda fresh: end_of_conversation_event(fresh.open_conversation()),
    "get_conversation": lambda fresh: get_event(fresh.existing()),
    "list_conversations": lambda fresh: list_event(),
    "representative_activity": lambda fresh: representative_event(fresh.open_conversation(), "accept"),
    "representative_conversation": lambda fresh: representative_get_event(fresh.existing()),
    "representative_conversations": lambda fresh: queue_event(),
    "get_transcript": lambda fresh: transcript_event(fresh.existing()),
    "get_context": lambda fresh: context_event(fresh.existing()),
    "channel_settings": lambda fresh: channel_event(),
}


# Sample values of the API access log's $context variables, for the size of one line (bench.cost).
ACCESS_LOG_SAMPLE = {
    "requestId": "Jx3bUgNeoAMEMVw=",
    "identity.sourceIp": "203.0.113.10",
    "requestTime": "02/Dec/2026:05:13:33 +0000",
    "status": "200",
    "responseLength": "180",
    "integrationLatency": "25",
    "authorizer.error": "",
}


def access_log_values(function: str) -> dict[str, str]:
    """The access log's variables for a request to `function` (its first route) by the bench's tenant."""
    route = next(route for route in http_routes(TEMPLATE) if route.function_id == FUNCTION_IDS[function])
    claim = parameter_defaults(TEMPLATE).get("TenantClaim", "client_id")
    return {
        **ACCESS_LOG_SAMPLE,
        "routeKey": f"{route.method} {route.path}",
        f"authorizer.claims.{claim}": TENANT,
    }


def access_log_format() -> str:
    """The HTTP API stage's access log format, its ${Parameter} references resolved to their defaults."""
    apis = resources_of_type(TEMPLATE, "AWS::Serverless::HttpApi")
    settings = next(iter(apis.values()))["Properties"]["AccessLogSettings"]["Format"]
    text = str(settings["Fn::Sub"] if isinstance(settings, dict) else settings)
    defaults = parameter_defaults(TEMPLATE)
    return re.sub(r"\$\{([^}!.]+)\}", lambda match: str(defaults.get(match.group(1), "")), text)
