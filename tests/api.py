"""The whole API in this process: a request is routed by template.yaml's routes (as API Gateway would) to its
function's `lambda_handler`, loaded once per function as one execution environment.

For tests that talk to the API the way a client does, without a server: `api.post(path, body)`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

from local.routing import NoRoute, Router
from local.template import http_routes
from tests.harness import TEMPLATE, Answer, api_event, invoke, load_handler

CONSUMER = "/api/v1.0/consumer"
REPRESENTATIVE = "/api/v1.0/representative"


class InProcessApi:
    def __init__(self, tenant: str = "tenant-a", on_load: Callable[[ModuleType], None] | None = None) -> None:
        """`on_load` is called with each function's module once it is loaded (its clients built): e.g. to
        hook the DynamoDB client it holds (messaging.store.client.dynamodb_client(), cached until the next
        load)."""
        self.tenant = tenant
        self._on_load = on_load
        routes = http_routes(TEMPLATE)
        self._router = Router(routes)
        self._folders = {route.function_id: route.code_uri.strip("/").split("/")[-1] for route in routes}
        self._handlers: dict[str, ModuleType] = {}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        tenant: str | None = None,
        query: dict[str, str] | None = None,
    ) -> Answer:
        match = self._router.match(method, path)
        assert not isinstance(match, NoRoute), f"no route for {method} {path}"
        folder = self._folders[match.route.function_id]
        if folder not in self._handlers:
            self._handlers[folder] = load_handler(folder)
            if self._on_load is not None:
                self._on_load(self._handlers[folder])
        event = api_event(
            method,
            path,
            body,
            tenant=tenant or self.tenant,
            route=match.route.path,
            path_parameters=match.path_parameters,
        )
        if query:
            event["rawQueryString"] = urlencode(query)
            event["queryStringParameters"] = dict(query)
        return invoke(self._handlers[folder], event)

    # The operations, by what they do ----------------------------------------------------------------------

    def create(self, body: Any = None, **options: Any) -> Answer:
        return self.call(
            "POST", f"{CONSUMER}/conversations/create", body if body is not None else {}, **options
        )

    def start(self, customerid: str | None = "jdoe123", **options: Any) -> str:
        """A new conversation's id (asserting it is new)."""
        body = {"customercontext": {"customerid": customerid}} if customerid else {}
        answer = self.create(body, **options)
        assert answer.status == 201, answer.body
        conversation_id: str = answer.body["conversationId"]
        return conversation_id

    def get(self, conversation_id: str, **options: Any) -> Answer:
        return self.call("GET", f"{CONSUMER}/conversation/{conversation_id}", **options)

    def end(self, conversation_id: str, **options: Any) -> Answer:
        return self.call(
            "POST", f"{CONSUMER}/conversation/{conversation_id}", {"type": "endOfConversation"}, **options
        )

    def event(
        self, conversation_id: str, name: str, representative: str | None = "rep-1", **options: Any
    ) -> Answer:
        body: dict[str, Any] = {"type": "event", "name": name}
        if representative is not None:
            body["from"] = {"id": representative, "name": representative.title()}
        return self.call("POST", f"{REPRESENTATIVE}/conversation/{conversation_id}", body, **options)

    def representative_view(self, conversation_id: str, **options: Any) -> Answer:
        return self.call("GET", f"{REPRESENTATIVE}/conversation/{conversation_id}", **options)

    def queue(self, query: dict[str, str] | None = None, **options: Any) -> Answer:
        return self.call("GET", f"{REPRESENTATIVE}/conversations", query=query, **options)

    def conversations(self, query: dict[str, str] | None = None, **options: Any) -> Answer:
        return self.call("GET", f"{CONSUMER}/conversations", query=query, **options)
