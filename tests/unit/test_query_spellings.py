"""A query parameter in a spelling the reader leaves to its model (PageSize "02", " 2", "2.0"): the model
reads it (API Gateway passes every value as a string, and the model is lax), and the answer is the one the
plain spelling gets (messaging.http.endpoint.Input: the reader then takes the model's own values)."""

from __future__ import annotations

import pytest

from tests.api import InProcessApi


@pytest.mark.parametrize("spelling", ["02", " 2", "2.0"])
def test_a_page_size_spelled_otherwise_pages_as_its_plain_number(
    moto_tables: dict[str, str], spelling: str
) -> None:
    # Given a tenant with three conversations
    api = InProcessApi()
    for customer in ("c-1", "c-2", "c-3"):
        api.start(customer)
    # When it lists them with a page size spelled otherwise, and spelled plainly
    spelled = api.conversations({"PageSize": spelling})
    plain = api.conversations({"PageSize": "2"})
    # Then both are the same first page of two, with a token for the rest
    assert spelled.status == 200, spelled.body
    assert len(spelled.body["conversations"]) == 2
    assert spelled.body["continuationtoken"] is not None
    assert spelled.body["conversations"] == plain.body["conversations"]


@pytest.mark.parametrize("spelling", ["07", "+7"])
def test_the_representative_list_takes_a_page_size_spelled_otherwise(
    moto_tables: dict[str, str], spelling: str
) -> None:
    # Given one conversation in the queue
    api = InProcessApi()
    conversation_id = api.start("c-1")
    # When the representative lists the queue with a page size the reader leaves to the model
    answer = api.queue({"PageSize": spelling})
    # Then it is the queue
    assert answer.status == 200, answer.body
    assert [item["conversationId"] for item in answer.body["conversations"]] == [conversation_id]
