"""A channel's signing secrets: after a rotation, deliveries carry a signature with the new secret and, for
ROTATION_GRACE_MS, one with the previous secret too (Standard Webhooks allows several), so a receiver can
switch over without refusing a delivery; POST /channel/rotate-secret answers the new secret."""

from __future__ import annotations

import boto3

from messaging.domain.channel import ROTATION_GRACE_MS, Channel
from messaging.domain.time import now_ms
from tests.api import CONSUMER, InProcessApi

URL = "https://93.184.216.34/messaging"  # a public address: no name to resolve


def test_without_a_rotation_a_delivery_is_signed_with_the_one_secret() -> None:
    assert Channel(URL, "whsec_new").signing_secrets(now_ms=1_000) == ["whsec_new"]


def test_during_the_grace_period_both_secrets_sign_and_from_its_end_only_the_new_one() -> None:
    # Given a channel rotated at t=0 (the previous secret kept until the grace period ends)
    channel = Channel(URL, "whsec_new", previous_secret="whsec_old", previous_until_ms=ROTATION_GRACE_MS)
    # Then deliveries inside the grace period are signed with both, the new one first
    assert channel.signing_secrets(now_ms=0) == ["whsec_new", "whsec_old"]
    assert channel.signing_secrets(now_ms=ROTATION_GRACE_MS - 1) == ["whsec_new", "whsec_old"]
    # And from its last millisecond on, with the new one only
    assert channel.signing_secrets(now_ms=ROTATION_GRACE_MS) == ["whsec_new"]


def test_a_previous_secret_without_an_end_or_an_end_without_a_secret_is_not_used() -> None:
    assert Channel(URL, "whsec_new", previous_secret="whsec_old").signing_secrets(now_ms=0) == ["whsec_new"]
    assert Channel(URL, "whsec_new", previous_until_ms=10).signing_secrets(now_ms=0) == ["whsec_new"]


def test_rotating_answers_a_new_secret_and_keeps_the_webhook(moto_tables: dict[str, str]) -> None:
    # Given a tenant's channel
    api = InProcessApi()
    first = api.call("PUT", f"{CONSUMER}/channel", {"webhookUrl": URL})
    assert first.status == 200, first.body
    # When its secret is rotated
    rotated_at_ms = now_ms()
    rotated = api.call("POST", f"{CONSUMER}/channel/rotate-secret")
    # Then the answer is a new secret for the same webhook, and a PUT again keeps the rotated one
    assert rotated.status == 200, rotated.body
    assert rotated.body["webhookUrl"] == URL
    assert rotated.body["signingSecret"].startswith("whsec_")
    assert rotated.body["signingSecret"] != first.body["signingSecret"]
    again = api.call("PUT", f"{CONSUMER}/channel", {"webhookUrl": URL})
    assert again.body["signingSecret"] == rotated.body["signingSecret"]
    # And the stored channel keeps the previous secret for the grace period from the rotation on
    (item,) = boto3.client("dynamodb").scan(TableName=moto_tables["ChannelsTable"])["Items"]
    assert item["previousSecret"]["S"] == first.body["signingSecret"]
    assert 0 <= int(item["previousUntil"]["N"]) - ROTATION_GRACE_MS - rotated_at_ms <= 60_000


def test_rotating_without_a_channel_is_404_channel_not_found(moto_tables: dict[str, str]) -> None:
    answer = InProcessApi("tenant-without-channel").call("POST", f"{CONSUMER}/channel/rotate-secret")
    assert (answer.status, answer.body["code"]) == (404, "channel_not_found")
