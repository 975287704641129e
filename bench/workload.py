"""What the bench sends: the sample create (events/create_conversation.with-context-and-startmessage.json
without email and idempotency key, i.e. the idempotency-less main path), the close activity, and the
environment each function gets from template.yaml."""

from __future__ import annotations

from typing import Any

from bench.functions import functions_of
from local.template import function_environment, load_template, resources_of_type
from tests.harness import BASE, CREATE, REPO, api_event

TEMPLATE = load_template(REPO / "template.yaml")
CONVERSATION_ROUTE = f"{BASE}/conversation/{{conversationId}}"
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


def lambda_environment(function: str, table_names: dict[str, str]) -> dict[str, str]:
    """The variables Lambda sets for the function: the runtime's own, then the template's."""
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
            TEMPLATE, FUNCTION_IDS.get(function, FUNCTION_IDS["create_conversation"]), table_names, {}
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


def create_event(customerid: str, **contact: str | None) -> dict[str, Any]:
    return api_event("POST", CREATE, create_body(customerid, **contact), tenant=TENANT)


def close_event(conversation_id: str) -> dict[str, Any]:
    body = {"type": "endOfConversation", "channelId": "web", "conversation": {"id": conversation_id}}
    return _on_conversation("POST", conversation_id, body)


def get_event(conversation_id: str) -> dict[str, Any]:
    return _on_conversation("GET", conversation_id, None)


def _on_conversation(method: str, conversation_id: str, body: Any) -> dict[str, Any]:
    return api_event(
        method,
        f"{BASE}/conversation/{conversation_id}",
        body,
        tenant=TENANT,
        route=CONVERSATION_ROUTE,
        path_parameters={"conversationId": conversation_id},
    )
