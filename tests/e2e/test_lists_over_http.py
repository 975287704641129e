"""The lists over HTTP: the representative's queue and work (oldest first), the consumer's live
conversations (newest first, StartTimeStamp), paging with continuation tokens, and PageSize's bounds.

Each test has a tenant of its own, so its lists hold exactly what it made.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.e2e.api_client import (
    ACCEPT,
    CONSUMER_LIST,
    CUSTOMER_ENDS,
    END,
    REP_1,
    REP_2,
    REPRESENTATIVE_LIST,
    REPRESENTATIVE_SCOPE,
    WAIT,
    Journey,
    TenantApi,
    is_problem,
    with_query,
)
from tests.e2e.conftest import Send


def ids(answer_body: dict[str, list[dict[str, str]]]) -> list[str]:
    return [item["conversationId"] for item in answer_body["conversations"]]


def test_the_queue_is_oldest_first_and_accept_and_release_move_a_conversation_out_and_back(
    api: TenantApi,
) -> None:
    # Given three conversations queued one after the other
    first, second, third = Journey(api).id, Journey(api).id, Journey(api).id

    # When a representative looks at the queue (status=open is the default)
    queue = api.work()

    # Then it holds them oldest first
    assert queue.status == 200, queue.body
    assert ids(queue.body) == [first, second, third]
    assert api.work(status="open").body == queue.body
    assert queue.body["continuationToken"] is None

    # When a representative accepts the second
    accepted = api.event(second, "accept", by=REP_1)
    assert accepted.status == 200, accepted.body

    # Then it leaves the queue
    assert ids(api.work().body) == [first, third]
    # And it is listed as active, and as that representative's active work (not another's)
    active = api.work(status="active").body["conversations"]
    assert [(c["conversationId"], c["status"], c["representativeId"]) for c in active] == [
        (second, "active", REP_1.id)
    ]
    assert ids(api.work(status="active", representative_id=REP_1.id).body) == [second]
    assert ids(api.work(status="active", representative_id=REP_2.id).body) == []
    assert ids(api.work(status="waiting", representative_id=REP_1.id).body) == []

    # When the representative releases it
    released = api.event(second, "release", by=REP_1)
    assert released.status == 200, released.body

    # Then it is back in the queue, behind those that waited longer in it, and no one's work
    assert ids(api.work().body) == [first, third, second]
    assert ids(api.work(status="active").body) == []
    assert ids(api.work(status="active", representative_id=REP_1.id).body) == []


def test_each_status_lists_its_conversations_oldest_first(api: TenantApi) -> None:
    # Given conversations in every listed status, some of them two
    waiting = [Journey(api, ACCEPT, WAIT).id, Journey(api, ACCEPT, WAIT).id]
    wrapup = [Journey(api, ACCEPT, END).id, Journey(api, ACCEPT, CUSTOMER_ENDS).id]
    Journey(api, CUSTOMER_ENDS)  # closed: on no list

    # When a representative lists each status, and their own work in it
    # Then each list holds that status's conversations, oldest in the status first
    assert ids(api.work(status="waiting").body) == waiting
    assert ids(api.work(status="waiting", representative_id=REP_1.id).body) == waiting
    assert ids(api.work(status="wrapup").body) == wrapup
    assert ids(api.work(status="wrapup", representative_id=REP_1.id).body) == wrapup
    assert ids(api.work().body) == []
    assert ids(api.work(status="active").body) == []


@pytest.mark.parametrize("status", ["open", "active", "waiting", "wrapup"])
def test_paging_one_by_one_walks_every_item_and_ends_with_a_null_token(api: TenantApi, status: str) -> None:
    # Given four conversations in the status
    given = {"open": (), "active": (ACCEPT,), "waiting": (ACCEPT, WAIT), "wrapup": (ACCEPT, END)}[status]
    made = [Journey(api, *given).id for _ in range(4)]

    # When the list is walked a page of one at a time (asserting each page's size), to a null token
    walked = api.walk_work(page_size=1, status=status)
    walked_mine = api.walk_work(page_size=1, status=status, representative_id=REP_1.id) if given else made

    # Then every conversation comes once, in the order of one full page
    assert walked == made
    assert walked_mine == made
    assert ids(api.work(status=status, page_size=250).body) == made


def test_the_consumer_list_walks_page_by_page_newest_first(api: TenantApi) -> None:
    made = [Journey(api).id for _ in range(3)]
    assert api.walk_live(page_size=1) == made[::-1]
    assert api.walk_live(page_size=2) == made[::-1]


@pytest.mark.parametrize("page_size", ["0", "251", "-1", "ten"])
@pytest.mark.parametrize("path", [REPRESENTATIVE_LIST, CONSUMER_LIST], ids=["representative", "consumer"])
def test_a_page_size_out_of_1_to_250_is_a_400_naming_page_size(send: Send, path: str, page_size: str) -> None:
    # When a list is asked for a page size out of its bounds
    scope = REPRESENTATIVE_SCOPE if path == REPRESENTATIVE_LIST else None
    options = {"scope": scope} if scope else {}
    answer = send("GET", with_query(path, PageSize=page_size), **options)

    # Then it is a 400 validation_failed naming PageSize
    assert is_problem(answer, 400, "validation_failed"), answer.body
    assert [error["field"] for error in answer.body["errors"]] == ["PageSize"]


def test_the_consumer_list_holds_open_active_and_waiting_newest_first_from_start_timestamp(
    api: TenantApi,
) -> None:
    # Given conversations in every status, created one after the other
    opened = Journey(api).id
    active = Journey(api, ACCEPT).id
    waiting = Journey(api, ACCEPT, WAIT).id
    Journey(api, ACCEPT, END)  # wrapup: not listed
    Journey(api, CUSTOMER_ENDS)  # closed: not listed

    # When the consumer lists its conversations
    listed = api.live()

    # Then it gets the open, active and waiting ones, newest first, with their status and creation time
    assert listed.status == 200, listed.body
    items = listed.body["conversations"]
    assert [(item["conversationid"], item["status"]) for item in items] == [
        (waiting, "waiting"),
        (active, "active"),
        (opened, "open"),
    ]
    assert listed.body["continuationtoken"] is None
    created = {item["conversationid"]: item["timestamp"] for item in items}
    assert created == {c: api.get(c).body["createdAt"] for c in (opened, active, waiting)}
    assert len(set(created.values())) == 3, (
        "created in the same millisecond: StartTimeStamp cannot split them"
    )

    # When it lists from the active one's creation time (inclusive)
    since_active = api.live(start=created[active])
    # Then the older one is left out
    assert [item["conversationid"] for item in since_active.body["conversations"]] == [waiting, active]

    # And from just after the newest one's, nothing; from long before, all three
    just_after = _iso(datetime.fromisoformat(created[waiting]) + timedelta(milliseconds=1))
    assert api.live(start=just_after).body["conversations"] == []
    long_before = api.live(start="2000-01-01T00:00:00Z")
    assert long_before.body["conversations"] == items
    # And a StartTimeStamp with an offset means the same instant
    shifted = _iso(datetime.fromisoformat(created[active]).astimezone(_PLUS_TWO))
    assert api.live(start=shifted).body == since_active.body


def test_start_timestamp_must_be_iso_8601(api: TenantApi) -> None:
    answer = api.live(start="yesterday")
    assert is_problem(answer, 400, "validation_failed"), answer.body
    assert [error["field"] for error in answer.body["errors"]] == ["StartTimeStamp"]


_PLUS_TWO = datetime.fromisoformat("2000-01-01T00:00:00+02:00").tzinfo


def _iso(moment: datetime) -> str:
    text = moment.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
