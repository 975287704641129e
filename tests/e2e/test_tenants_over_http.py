"""Tenant isolation on the routes over HTTP: to tenant B, tenant A's conversations and transcripts do not
exist (404), never appear in B's lists, and A's continuation tokens (lists, transcripts) are refused to B
(400)."""

from __future__ import annotations

import pytest

from tests.e2e.api_client import (
    ACCEPT,
    CUSTOMER_ENDS,
    END,
    REP_1,
    WAIT,
    Journey,
    Step,
    TenantApi,
    is_problem,
)
from tests.e2e.conftest import HttpAnswer

# For each representative event, a status it applies to: a missing tenant check would change something.
APPLIES_FROM = {
    "accept": (),
    "release": (ACCEPT,),
    "wait": (ACCEPT,),
    "resume": (ACCEPT, WAIT),
    "end": (ACCEPT,),
    "close": (ACCEPT,),
}


def test_another_tenants_conversation_is_not_found_by_the_representative_view(
    api: TenantApi, other_api: TenantApi
) -> None:
    # Given tenant A's conversation
    journey = Journey(api)

    # When tenant B reads it on either side
    representative_view, consumer_view = other_api.view(journey.id), other_api.get(journey.id)

    # Then it does not exist for B
    assert is_problem(representative_view, 404, "conversation_not_found"), representative_view.body
    assert is_problem(consumer_view, 404, "conversation_not_found"), consumer_view.body


@pytest.mark.parametrize(("event", "given"), list(APPLIES_FROM.items()), ids=list(APPLIES_FROM))
def test_another_tenants_event_is_a_404_and_changes_nothing(
    api: TenantApi, other_api: TenantApi, event: str, given: tuple[Step, ...]
) -> None:
    # Given tenant A's conversation in a status the event applies to
    journey = Journey(api, *given)
    before = journey.views()

    # When tenant B sends the event to it
    answer = other_api.event(journey.id, event, by=REP_1)

    # Then it does not exist for B, and A's conversation is unchanged
    assert is_problem(answer, 404, "conversation_not_found"), answer.body
    assert journey.views() == before


def test_another_tenants_end_of_conversation_is_a_404_and_changes_nothing(
    api: TenantApi, other_api: TenantApi
) -> None:
    # Given tenant A's active conversation
    journey = Journey(api, ACCEPT)
    before = journey.views()

    # When tenant B ends it on the consumer side
    answer = other_api.end_of_conversation(journey.id)

    # Then it does not exist for B, and A's conversation is unchanged
    assert is_problem(answer, 404, "conversation_not_found"), answer.body
    assert journey.views() == before


def _one_in_each_listed_status(api: TenantApi) -> dict[str, str]:
    """A conversation in open, active, waiting and wrapup (REP_1's where accepted), and a closed one: by
    status, their ids."""
    return {
        "open": Journey(api).id,
        "active": Journey(api, ACCEPT).id,
        "waiting": Journey(api, ACCEPT, WAIT).id,
        "wrapup": Journey(api, ACCEPT, END).id,
        "closed": Journey(api, CUSTOMER_ENDS).id,
    }


def test_lists_hold_only_the_callers_own_conversations(api: TenantApi, other_api: TenantApi) -> None:
    # Given two tenants with a conversation in every status, accepted by the same representative id
    tenants = {
        api.tenant: _one_in_each_listed_status(api),
        other_api.tenant: _one_in_each_listed_status(other_api),
    }

    for caller in (api, other_api):
        own = tenants[caller.tenant]
        # When the tenant lists its work by status, and by status and representative
        for status in ("open", "active", "waiting", "wrapup"):
            by_status = caller.walk_work(page_size=50, status=status)
            # Then it sees exactly its own conversation in that status
            assert by_status == [own[status]], (caller.tenant, status)
            if status != "open":
                mine = caller.walk_work(page_size=50, status=status, representative_id=REP_1.id)
                assert mine == [own[status]], (caller.tenant, status)
        # And the consumer list holds exactly its own open, active and waiting ones (newest first)
        assert caller.walk_live(page_size=50) == [own["waiting"], own["active"], own["open"]]


LISTINGS = ("queue", "active-of-representative", "consumer")


def _first_page_or_next(listing: str, api: TenantApi, token: str | None) -> HttpAnswer:
    """One page of one item of the listing: its first, or the one `token` continues to."""
    if listing == "queue":
        return api.work(page_size=1, token=token)
    if listing == "active-of-representative":
        return api.work(status="active", representative_id=REP_1.id, page_size=1, token=token)
    return api.live(page_size=1, token=token)


def _token_and_ids(answer: HttpAnswer) -> tuple[str | None, list[str]]:
    """The page's continuation token and ids, whichever side's spelling the list uses."""
    body = answer.body
    token = body["continuationtoken"] if "continuationtoken" in body else body["continuationToken"]
    ids = [item.get("conversationId") or item["conversationid"] for item in body["conversations"]]
    return token, ids


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_continuation_token_of_one_tenant_is_refused_to_another(
    api: TenantApi, other_api: TenantApi, listing: str
) -> None:
    # Given tenant A with two conversations on the list, and the token of A's first page (one item)
    given = (ACCEPT,) if listing == "active-of-representative" else ()
    mine = {Journey(api, *given).id, Journey(api, *given).id}
    Journey(other_api, *given)  # B has one of its own: its list is not empty
    first = _first_page_or_next(listing, api, None)
    token, first_ids = _token_and_ids(first)
    assert first.status == 200 and isinstance(token, str), first.body

    # When tenant B continues the same query with A's token
    refused = _first_page_or_next(listing, other_api, token)

    # Then B is refused
    assert is_problem(refused, 400, "invalid_continuation_token"), refused.body
    # And A itself continues to its other conversation
    continued = _first_page_or_next(listing, api, token)
    assert continued.status == 200, continued.body
    assert set(first_ids + _token_and_ids(continued)[1]) == mine


def test_another_tenants_transcript_is_not_found_and_cannot_be_written_to(
    api: TenantApi, other_api: TenantApi
) -> None:
    # Given tenant A's conversation with a customer message
    journey = Journey(api)
    assert api.message(journey.id, "private").status == 200

    # When tenant B reads its transcript, or writes to it
    transcript, written = other_api.transcript(journey.id), other_api.message(journey.id, "intruder")

    # Then it does not exist for B
    assert is_problem(transcript, 404, "conversation_not_found"), transcript.body
    assert is_problem(written, 404, "conversation_not_found"), written.body
    # And A's transcript is unchanged
    assert [m["text"] for m in api.transcript(journey.id).body["messages"]] == ["Hello", "private"]


def test_a_transcript_continuation_token_of_one_tenant_is_refused_to_another(
    api: TenantApi, other_api: TenantApi
) -> None:
    # Given A's conversation with two messages after the start message, and the token of its first page
    journey = Journey(api)
    for text in ("one", "two"):
        assert api.message(journey.id, text).status == 200
    first = api.transcript(journey.id, page_size=1)
    token = first.body["continuationToken"]
    assert [m["text"] for m in first.body["messages"]] == ["Hello"] and isinstance(token, str)
    # And B's own conversation
    own = Journey(other_api)

    # When B continues with A's token, on A's conversation and on its own
    for conversation_id in (journey.id, own.id):
        refused = other_api.transcript(conversation_id, page_size=1, token=token)
        # Then it is refused, and reads nothing
        assert is_problem(refused, 400, "invalid_continuation_token"), refused.body
        assert "messages" not in refused.body

    # And the token is not A's for another conversation either, while A continues its own with it
    other_conversation = Journey(api)
    refused = api.transcript(other_conversation.id, page_size=1, token=token)
    assert is_problem(refused, 400, "invalid_continuation_token"), refused.body
    continued = api.transcript(journey.id, page_size=1, token=token)
    assert [m["text"] for m in continued.body["messages"]] == ["one"]
