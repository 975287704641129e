"""No Scan anywhere in the product (README, "DynamoDB key design and access patterns"): every read route and
the timeout sweeper, over DynamoDB Local, with a botocore `before-call` hook on the very DynamoDB client each
function holds (the one its module built at load: `messaging.store.client.dynamodb_client()`); a Scan by
any of them fails the test. And each page of a list or a transcript is one Query, as the README's table says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from messaging.config import settings
from messaging.domain.ids import ConversationIds
from messaging.domain.tenant import Tenant
from messaging.store.client import dynamodb_client
from tests.api import CONSUMER, REPRESENTATIVE, InProcessApi
from tests.harness import Answer, environment, invoke_raw, load_handler


class DynamoDBCalls:
    """Every DynamoDB API call (one per call, whatever botocore's retries) of the clients it hooked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[str] = []
        self.clients: list[Any] = []

    def hook(self, _: ModuleType | None = None) -> None:
        """Hooks the client the function just loaded holds (cached until the next function is loaded)."""
        client = dynamodb_client()
        if any(client is hooked for hooked in self.clients):
            return
        client.meta.events.register("before-call.dynamodb", self._record)
        self.clients.append(client)

    def _record(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls.append(model.name)

    def during(self, request: Any) -> tuple[Any, list[str]]:
        """What `request()` answered, and the calls it made."""
        with self._lock:
            before = len(self.calls)
        answer = request()
        with self._lock:
            return answer, self.calls[before:]


@pytest.fixture
def calls(local_env: dict[str, str]) -> Iterator[DynamoDBCalls]:
    # PUT /channel to a local URL (refused as deployed: the SSRF guard), so that GET /channel reads an item
    with environment({"LOCAL_WEBHOOKS_ALLOWED": "true"}):
        yield DynamoDBCalls()


def pages(
    calls: DynamoDBCalls, api: InProcessApi, path: str, query: dict[str, str], token_field: str
) -> list[list[str]]:
    """Reads every page of a list or transcript, following its continuation token; each page's calls."""
    seen: list[list[str]] = []
    token: str | None = None
    while True:
        page_query = {**query, **({"ContinuationToken": token} if token else {})}
        answer, made = calls.during(lambda q=page_query: api.call("GET", path, query=q))
        assert answer.status == 200, answer.body
        seen.append(made)
        token = answer.body[token_field]
        if not token:
            return seen


def test_no_read_route_nor_the_sweeper_scans_and_each_page_is_one_query(calls: DynamoDBCalls) -> None:
    # Given a tenant with conversations in every listed status and a transcript of several pages, written
    # through the API, every function's DynamoDB client hooked as it is loaded
    api = InProcessApi("tenant-a", on_load=calls.hook)
    assert api.call("PUT", f"{CONSUMER}/channel", {"webhookUrl": "http://127.0.0.1:9"}).status == 200
    opened = [api.start(f"open-{n}") for n in range(2)]  # no message yet: an empty transcript
    active = api.start("active")
    assert api.event(active, "accept", representative="rep-7").status == 200
    for n in range(3):
        body = {"type": "message", "text": f"reply {n}", "from": {"id": "rep-7", "name": "Rep-7"}}
        assert api.call("POST", f"{REPRESENTATIVE}/conversation/{active}", body).status == 200
        assert (
            api.call("POST", f"{CONSUMER}/conversation/{active}", {"type": "message", "text": "ok"}).status
            == 200
        )
    waiting = api.start("waiting")
    for event in ("accept", "wait"):
        assert api.event(waiting, event, representative="rep-7").status == 200
    wrapup = api.start("wrapup")
    for event in ("accept", "end"):
        assert api.event(wrapup, event, representative="rep-8").status == 200

    # When every read route is called, each list and transcript read page by page (small pages)
    single: dict[str, tuple[Answer, list[str]]] = {
        name: calls.during(lambda p=path: api.call("GET", p))
        for name, path in {
            "consumer view": f"{CONSUMER}/conversation/{active}",
            "representative view": f"{REPRESENTATIVE}/conversation/{active}",
            "context": f"{CONSUMER}/conversation/{active}/context",
            "channel": f"{CONSUMER}/channel",
        }.items()
    }
    paged = {
        "consumer list": pages(
            calls, api, f"{CONSUMER}/conversations", {"PageSize": "2"}, "continuationtoken"
        ),
        **{
            f"representative list {status}": pages(
                calls,
                api,
                f"{REPRESENTATIVE}/conversations",
                {"status": status, "PageSize": "1"},
                "continuationToken",
            )
            for status in ("open", "active", "waiting", "wrapup")
        },
        "a representative's work": pages(
            calls,
            api,
            f"{REPRESENTATIVE}/conversations",
            {"status": "active", "representativeId": "rep-7", "PageSize": "1"},
            "continuationToken",
        ),
        **{
            f"{side} transcript": pages(
                calls, api, f"{root}/conversation/{active}/messages", {"PageSize": "2"}, "continuationToken"
            )
            for side, root in (("consumer", CONSUMER), ("representative", REPRESENTATIVE))
        },
        "empty transcript": pages(
            calls,
            api,
            f"{CONSUMER}/conversation/{opened[0]}/messages",
            {"PageSize": "2"},
            "continuationToken",
        ),
    }
    # And the transcript of a conversation that does not exist (a well-formed id of this tenant) is asked for
    never_created = ConversationIds(settings().id_secret).new(Tenant("tenant-a"), None)
    unknown, unknown_calls = calls.during(
        lambda: api.call("GET", f"{CONSUMER}/conversation/{never_created}/messages")
    )
    # And the timeout sweeper runs (one execution environment, its client hooked)
    sweeper = load_handler("timeout_sweeper")
    calls.hook(sweeper)
    swept, sweep_calls = calls.during(lambda: invoke_raw(sweeper, {}))

    # Then no call anywhere was a Scan: not the reads, not the sweeper, not the writes that set the data up
    assert calls.calls.count("Scan") == 0, f"Scans among the calls made: {calls.calls}"
    # And every read answered, each with the calls the README's table gives it
    for name, (answer, made) in single.items():
        assert answer.status == 200, (name, answer.body)
        assert made and "Scan" not in made, (name, made)
    assert single["consumer view"][1] == single["representative view"][1] == ["Query"]
    # And each page of a list or a transcript was one Query, over several pages
    for name, page_calls in paged.items():
        assert page_calls == [["Query"]] * len(page_calls), (name, page_calls)
    assert len(paged["consumer list"]) >= 3 and len(paged["representative list open"]) >= 2
    assert len(paged["consumer transcript"]) >= 3
    # And the first page's Query alone tells an unknown conversation (404) from an empty transcript
    assert (unknown.status, unknown_calls) == (404, ["Query"]), unknown.body
    # And the sweeper only queried (nothing was due)
    assert swept["timedOut"] == 0
    assert sweep_calls and set(sweep_calls) == {"Query"}, sweep_calls
    print(
        "\ncalls per read: "
        + ", ".join(f"{name} {made}" for name, (_, made) in single.items())
        + "; pages: "
        + ", ".join(f"{name} {len(page_calls)}" for name, page_calls in paged.items())
        + f"; sweeper {len(sweep_calls)} Queries; {len(calls.clients)} clients hooked, "
        + f"{len(calls.calls)} calls"
    )
