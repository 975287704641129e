"""Standard Webhooks signatures, checked by the spec's own library as a business's receiver would."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from messaging.delivery.signing import SECRET_PREFIX, new_secret, signature_headers

BODY = json.dumps({"type": "message", "text": "Grüße 👋", "from": {"name": "Rep"}}, ensure_ascii=False)


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith(SECRET_PREFIX)
        assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)) == 32


def test_the_headers_verify_with_the_library() -> None:
    secret = new_secret()
    now = datetime.now(UTC)
    headers = signature_headers("msg_2f8a", now, BODY, [secret])
    assert headers["webhook-id"] == "msg_2f8a"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert " " not in headers["webhook-signature"]
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert Webhook(secret).verify(BODY.encode("utf-8"), headers) == json.loads(BODY)  # the bytes on the wire


def test_during_a_rotation_both_secrets_verify_and_a_wrong_one_does_not() -> None:
    new, previous, wrong = new_secret(), new_secret(), new_secret()
    headers = signature_headers("msg_1", datetime.now(UTC), BODY, [new, previous])
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(signature.startswith("v1,") for signature in signatures)
    for secret in (new, previous):
        Webhook(secret).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(wrong).verify(BODY, headers)


def test_a_changed_body_id_or_timestamp_fails_verification() -> None:
    secret = new_secret()
    now = datetime.now(UTC)
    headers = signature_headers("msg_1", now, BODY, [secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("Rep", "Rap"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**headers, "webhook-id": "msg_2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**headers, "webhook-timestamp": str(int(now.timestamp()) - 1)})


def test_a_timestamp_in_another_zone_signs_the_same_instant() -> None:
    # The library reads a datetime's wall clock as UTC; signature_headers converts first.
    secret = new_secret()
    now = datetime.now(UTC)
    in_berlin = now.astimezone(timezone(timedelta(hours=2)))
    assert signature_headers("msg_1", in_berlin, BODY, [secret]) == signature_headers(
        "msg_1", now, BODY, [secret]
    )
    Webhook(secret).verify(BODY, signature_headers("msg_1", in_berlin, BODY, [secret]))


def test_the_signature_does_not_depend_on_the_process_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a process whose local time zone is not UTC (Lambda's is; a local run's may not be)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        # When a delivery is signed, Then the library verifies it: the instant, not the local wall clock
        secret, now = new_secret(), datetime.now(UTC)
        in_berlin = now.astimezone(timezone(timedelta(hours=2)))
        Webhook(secret).verify(BODY, signature_headers("msg_1", in_berlin, BODY, [secret]))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_old_signature_is_refused_by_receivers_so_each_retry_signs_anew() -> None:
    secret = new_secret()
    stale = signature_headers("msg_1", datetime.now(UTC) - timedelta(minutes=6), BODY, [secret])
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, stale)


def test_the_same_secret_twice_signs_once() -> None:
    secret = new_secret()
    headers = signature_headers("msg_1", datetime.now(UTC), BODY, [secret, secret])
    assert len(headers["webhook-signature"].split(" ")) == 1


class NoOffset(tzinfo):
    """A time zone that does not know its offset (allowed by datetime: the datetime is then naive)."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


BAD_ID = "a webhook id is 1 to 256 visible ASCII characters"
NO_SECRET = "signing needs a sequence of at least one secret"
BAD_SECRET = "a signing secret is whsec_ followed by non-empty base64"


@pytest.mark.parametrize(
    ("webhook_id", "timestamp", "secrets", "words"),
    [
        ("", datetime.now(UTC), ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], BAD_ID),
        ("msg\r\nX-Injected: 1", datetime.now(UTC), ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], BAD_ID),
        ("msg 1", datetime.now(UTC), ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], BAD_ID),
        ("m" * 257, datetime.now(UTC), ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], BAD_ID),
        (
            "msg_1",
            datetime.now(),
            ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "the signature timestamp must be timezone-aware",
        ),
        (  # a tzinfo that knows no offset leaves the datetime naive
            "msg_1",
            datetime.now().replace(tzinfo=NoOffset()),
            ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "the signature timestamp must be timezone-aware",
        ),
        ("msg_1", datetime.now(UTC), [], NO_SECRET),
        ("msg_1", datetime.now(UTC), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NO_SECRET),
        ("msg_1", datetime.now(UTC), ["whsec_"], BAD_SECRET),
        ("msg_1", datetime.now(UTC), ["whsec_not*base64"], BAD_SECRET),
    ],
)
def test_mistakes_are_value_errors_saying_which(
    webhook_id: str, timestamp: datetime, secrets: list[str], words: str
) -> None:
    with pytest.raises(ValueError) as mistake:
        signature_headers(webhook_id, timestamp, BODY, secrets)
    assert str(mistake.value) == words
