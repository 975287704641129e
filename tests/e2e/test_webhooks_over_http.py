"""Webhooks over HTTP, end to end: PUT /channel with a local receiver's URL, then what the representative's
side does arrives there, signed, in order (CONTRACT.md, "Webhook delivery").

The dev server runs the whole pipeline as deployed: the state's outbox → DynamoDB Local's stream →
DispatchWebhooksFunction → the local SQS FIFO queue → DeliverWebhooksFunction → a signed POST to the
business. The business is `local.webhook_receiver.WebhookReceiver` on 127.0.0.1, which accepts only what
verifies with the channel's signing secret (the `standardwebhooks` package, as a business would check).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from local.dynamodb_local import free_port
from local.webhook_receiver import Delivery, WebhookReceiver
from messaging.delivery.signing import new_secret
from tests.e2e.api_client import (
    ACCEPT,
    CLOSE,
    CUSTOMER_ENDS,
    END,
    RELEASE,
    REP_1,
    RESUME,
    WAIT,
    Journey,
    Step,
    TenantApi,
    is_problem,
    message_id,
)
from tests.e2e.conftest import HttpAnswer

DELIVERY_DEADLINE_S = 120.0  # generous: 2 cores shared with other suites; a delivery takes ~1-3 s


@dataclass(frozen=True)
class Business:
    """A tenant whose channel points at its own receiver."""

    api: TenantApi
    receiver: WebhookReceiver
    secret: str


def start_business(api: TenantApi, base_path: str = "") -> tuple[WebhookReceiver, str]:
    """PUT /channel with a free loopback port's URL, then a receiver there holding the answered secret."""
    port = free_port()
    answer = api.set_channel(f"http://127.0.0.1:{port}{base_path}")
    assert answer.status == 200, answer.body
    secret = answer.body["signingSecret"]
    assert secret.startswith("whsec_")
    return WebhookReceiver(secret, port=port).start(), secret


@pytest.fixture
def business(api: TenantApi) -> Iterator[Business]:
    receiver, secret = start_business(api)
    try:
        yield Business(api, receiver, secret)
    finally:
        receiver.close()


def of_conversation(deliveries: list[Delivery], conversation_id: str) -> list[Delivery]:
    """One conversation's deliveries in arrival order, each webhook-id once (delivery is at least once)."""
    seen: set[str] = set()
    mine = []
    for delivery in deliveries:
        if delivery.conversation_id == conversation_id and delivery.webhook_id not in seen:
            seen.add(delivery.webhook_id)
            mine.append(delivery)
    return mine


def distinct(deliveries: list[Delivery]) -> list[Delivery]:
    """Every delivery once, by webhook-id."""
    return list({d.webhook_id: d for d in deliveries}.values())


def wait_for_counts(receiver: WebhookReceiver, expected: dict[str, int]) -> list[Delivery]:
    """Every conversation's deliveries once `expected[id]` distinct ones have arrived for each."""
    return receiver.wait_for(
        lambda received: all(len(of_conversation(received, c)) >= n for c, n in expected.items()),
        DELIVERY_DEADLINE_S,
    )


def assert_all_verified(receiver: WebhookReceiver) -> None:
    """No request reached the receiver that its secret did not verify (a 401 would show here)."""
    assert [arrival for arrival in receiver.arrivals if arrival.outcome != "200"] == []


# A representative's message reaches the business, signed ----------------------------------------------------


def test_a_representatives_message_reaches_the_webhook_signed_with_the_channels_secret(
    business: Business,
) -> None:
    # Given a conversation a representative accepted
    journey = Journey(business.api, ACCEPT)

    # When the representative writes
    sent = business.api.representative_message(journey.id, "How can I help?", by=REP_1)
    assert sent.status == 200, sent.body
    sent_id = message_id(sent)

    # Then it arrives at {webhookUrl}/v3/conversations/{id}/activities, after the accept
    received = wait_for_counts(business.receiver, {journey.id: 2})
    accepted, message = of_conversation(received, journey.id)
    assert message.path == f"/v3/conversations/{journey.id}/activities"
    assert (accepted.activity["type"], accepted.activity["name"]) == ("event", "ConversationAccepted")
    # As the Bot Framework activity of the message, its webhook-id stable per activity
    assert message.activity == {
        "type": "message",
        "id": str(sent_id),
        "timestamp": message.activity["timestamp"],
        "conversation": {"id": journey.id},
        "from": {"id": REP_1.id, "name": REP_1.name, "role": "representative"},
        "text": "How can I help?",
    }
    assert message.webhook_id == f"{journey.id}-{sent_id}"
    # And signed: the channel's secret verifies the bytes received; another secret does not
    assert Webhook(business.secret).verify(message.body, message.headers) == message.activity
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(message.body, message.headers)
    assert message.headers["Content-Type"] == "application/json"
    assert abs(int(message.timestamp) - time.time()) < 300
    assert_all_verified(business.receiver)


def test_a_webhook_url_with_a_base_path_receives_under_that_path(api: TenantApi) -> None:
    # Given a channel whose URL has a path (and a trailing slash)
    receiver, _ = start_business(api, "/hooks/acme/")
    try:
        assert api.channel().body["webhookUrl"] == f"http://127.0.0.1:{receiver.port}/hooks/acme"

        # When a representative accepts a conversation
        journey = Journey(api, ACCEPT)

        # Then the event arrives under the base path
        (delivery,) = of_conversation(wait_for_counts(receiver, {journey.id: 1}), journey.id)
        assert delivery.path == f"/hooks/acme/v3/conversations/{journey.id}/activities"
        assert delivery.activity["name"] == "ConversationAccepted"
    finally:
        receiver.close()


# Every state change arrives as its event, in order, per conversation ----------------------------------------


@dataclass(frozen=True)
class CustomerMessage:
    """The customer writes (consumer side): to a waiting conversation, it brings it back to the queue."""

    text: str = "Hello?"


@dataclass(frozen=True)
class Retry:
    """The same event again, with the same result: 200, nothing changed, nothing delivered."""

    step: Step


type Act = Step | CustomerMessage | Retry

# Each journey: what is done, and the events the business must receive for it, as (name, status), in order.
JOURNEYS: dict[str, tuple[tuple[Act, tuple[str, str] | None], ...]] = {
    "accept-release-accept-wait-resume-end-close": (
        (ACCEPT, ("ConversationAccepted", "active")),
        (Retry(ACCEPT), None),
        (RELEASE, ("ConversationReleased", "open")),
        (ACCEPT, ("ConversationAccepted", "active")),
        (WAIT, ("ConversationWaiting", "waiting")),
        (RESUME, ("ConversationResumed", "active")),
        (END, ("ConversationEnded", "wrapup")),
        (Retry(END), None),
        (CLOSE, ("ConversationClosed", "closed")),
    ),
    "customer-revives-waiting-then-ends-and-representative-closes": (
        (ACCEPT, ("ConversationAccepted", "active")),
        (CustomerMessage(), None),  # a message to an active conversation changes no state
        (WAIT, ("ConversationWaiting", "waiting")),
        (CustomerMessage(), ("ConversationResumed", "open")),
        (ACCEPT, ("ConversationAccepted", "active")),
        (CUSTOMER_ENDS, ("ConversationEnded", "wrapup")),
        (CLOSE, ("ConversationClosed", "closed")),
    ),
    "customer-ends-while-open": ((CUSTOMER_ENDS, ("ConversationClosed", "closed")),),
    "customer-ends-while-waiting": (
        (ACCEPT, ("ConversationAccepted", "active")),
        (WAIT, ("ConversationWaiting", "waiting")),
        (CUSTOMER_ENDS, ("ConversationClosed", "closed")),
    ),
    "end-from-waiting-then-close": (
        (ACCEPT, ("ConversationAccepted", "active")),
        (WAIT, ("ConversationWaiting", "waiting")),
        (END, ("ConversationEnded", "wrapup")),
        (CLOSE, ("ConversationClosed", "closed")),
    ),
    "representative-closes-while-active": (
        (ACCEPT, ("ConversationAccepted", "active")),
        (CLOSE, ("ConversationClosed", "closed")),
    ),
    "representative-closes-while-open": ((CLOSE, ("ConversationClosed", "closed")),),
}
# Each journey runs in two conversations at once: one with a customerid (events that take or free the
# customer's lock are transactions), one anonymous (single updates).
CUSTOMER_KINDS = (False, True)  # anonymous?


@dataclass
class Run:
    """One conversation taken through a journey; `ids[i]` is the messageId the i-th delivered event got."""

    name: str
    journey: Journey
    ids: list[int]


def act(journey: Journey, action: Act) -> HttpAnswer:
    if isinstance(action, CustomerMessage):
        return journey.api.message(journey.id, action.text)
    if isinstance(action, Retry):
        return journey.send(action.step)
    return journey.send(action)


def take(api: TenantApi, name: str, anonymous: bool) -> Run:
    journey = Journey(api, anonymous=anonymous)
    ids: list[int] = []
    for action, expected in JOURNEYS[name]:
        answer = act(journey, action)
        assert answer.status == 200, (name, action, answer.body)
        if expected is not None:
            ids.append(message_id(answer))
        if isinstance(action, Retry):
            assert message_id(answer) == (ids[-1] if ids else journey.last_message_id), (name, action)
    return Run(name, journey, ids)


def in_parallel[T](calls: Sequence[Callable[[], T]]) -> list[T]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_every_state_change_arrives_as_its_event_in_order_per_conversation_with_conversations_in_parallel(
    business: Business, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given every journey through the state table, each in two conversations, all taken at the same time
    calls = [
        partial(take, business.api, name, anonymous) for name in JOURNEYS for anonymous in CUSTOMER_KINDS
    ]
    runs = in_parallel(calls)

    # When the business's webhook has received each conversation's events
    expected = {run.journey.id: len(run.ids) for run in runs}
    received = wait_for_counts(business.receiver, expected)

    # Then each conversation's events arrived in the order they happened, named as the contract names them,
    # with the status each left, as the activity (id = the answer's messageId) the answer announced
    for run in runs:
        events = of_conversation(received, run.journey.id)
        wanted = [step for _, step in JOURNEYS[run.name] if step is not None]
        got = [(d.activity["name"], d.activity["value"]["status"]) for d in events]
        assert got == wanted, (run.name, got)
        assert [d.activity["type"] for d in events] == ["event"] * len(events)
        assert [int(d.activity["id"]) for d in events] == run.ids, run.name
        assert run.ids == sorted(run.ids) and len(set(run.ids)) == len(run.ids)
        assert [d.webhook_id for d in events] == [f"{run.journey.id}-{i}" for i in run.ids]
        assert all(d.path == f"/v3/conversations/{run.journey.id}/activities" for d in events)
        for delivery in events:
            if delivery.activity["name"] == "ConversationAccepted":
                assert delivery.activity["from"]["id"] == REP_1.id
    # And nothing else arrived: no event for a retry, nor for a message that changed no state
    everything = business.receiver.received
    assert {d.conversation_id for d in everything} == set(expected)
    assert len(distinct(everything)) == sum(expected.values())
    assert_all_verified(business.receiver)
    lags = [int(d.timestamp) - epoch_seconds(d.activity["timestamp"]) for d in distinct(everything)]
    with capsys.disabled():
        print(
            f"\nwebhooks: {len(runs)} conversations at once, {len(distinct(everything))} events, each "
            f"conversation's in order; event -> signed POST at most {max(lags):.1f} s; "
            f"{len(everything) - len(distinct(everything))} duplicate deliveries"
        )


def epoch_seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_a_representatives_concurrent_messages_arrive_in_messageid_order(business: Business) -> None:
    # Given an active conversation
    journey = Journey(business.api, ACCEPT)

    # When the representative sends 24 messages at once, while the customer sends 24
    texts = [f"r{index:02d}" for index in range(24)]
    calls = [partial(business.api.representative_message, journey.id, text) for text in texts]
    calls += [partial(business.api.message, journey.id, f"c{index:02d}") for index in range(24)]
    answers = in_parallel(calls)
    assert [answer.status for answer in answers] == [200] * len(calls), [a.body for a in answers]
    ids = {text: message_id(answer) for text, answer in zip(texts, answers, strict=False)}

    # Then the business receives the accept, then the representative's 24 (not the customer's), in
    # messageId order
    received = of_conversation(wait_for_counts(business.receiver, {journey.id: 25}), journey.id)
    assert received[0].activity["name"] == "ConversationAccepted"
    messages = received[1:]
    assert [d.activity["text"] for d in messages] == sorted(texts, key=ids.__getitem__)
    assert [int(d.activity["id"]) for d in messages] == sorted(ids.values())
    assert_all_verified(business.receiver)


# The SSRF guard, even locally -------------------------------------------------------------------------------

# The dev server admits http(s) to exactly 127.0.0.1, [::1] or localhost (LOCAL_WEBHOOKS_ALLOWED): every other
# private, link-local or metadata address stays refused, http or https.
FORBIDDEN_EVEN_LOCALLY = [
    "http://10.0.0.1:4000",
    "https://10.0.0.1/hooks",
    "http://169.254.169.254/latest/meta-data",
    "https://169.254.169.254/",
    "https://192.168.1.10:8443/",
    "https://172.16.0.1/",
    "http://127.0.0.2:4000",
    "https://[fd00:ec2::254]/",
    "https://[::ffff:169.254.169.254]/",
]


def assert_refused_naming_webhook_url(answer: HttpAnswer) -> None:
    assert is_problem(answer, 400, "validation_failed"), answer.body
    assert [error["field"] for error in answer.body["errors"]] == ["webhookUrl"], answer.body


@pytest.mark.parametrize("url", FORBIDDEN_EVEN_LOCALLY)
def test_even_locally_a_private_or_metadata_address_is_refused_as_a_webhook(api: TenantApi, url: str) -> None:
    # Given a tenant without a channel
    # When it sets a webhook to a private, link-local or metadata address
    answer = api.set_channel(url)

    # Then it is refused with a 400 naming webhookUrl, and no channel was stored
    assert_refused_naming_webhook_url(answer)
    assert is_problem(api.channel(), 404, "channel_not_found")


def test_a_refused_webhook_url_leaves_the_channel_as_it_was(business: Business) -> None:
    # Given a tenant whose channel points at its receiver
    before = business.api.channel()
    assert before.status == 200, before.body

    # When it tries to point it at the metadata address
    assert_refused_naming_webhook_url(business.api.set_channel("http://169.254.169.254/"))

    # Then the channel is unchanged, and deliveries still reach the receiver with the same secret
    assert business.api.channel().body == before.body
    journey = Journey(business.api, ACCEPT)
    (delivery,) = of_conversation(wait_for_counts(business.receiver, {journey.id: 1}), journey.id)
    assert Webhook(business.secret).verify(delivery.body, delivery.headers) == delivery.activity
    assert_all_verified(business.receiver)
