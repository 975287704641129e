"""A message's attachments, stored with it (one JSON string on the message's item), come back in the
transcript as they were sent: each one's content type, URL and name (none when it had none), in their order,
whatever characters they hold. On moto, through the API as a client calls it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import CONSUMER, InProcessApi

SENT = [
    {"contentType": "image/png", "contentUrl": "https://files.example.com/a.png", "name": "Façade, été.png"},
    {"contentType": "application/pdf", "contentUrl": "https://files.example.com/b.pdf"},
    {"contentType": "text/plain", "contentUrl": "data:text/plain;base64,SGk=", "name": '注文 "1":2, 3.txt'},
]


@pytest.mark.parametrize("text", ["See the files", None], ids=["with text", "attachments only"])
def test_a_message_s_attachments_come_back_in_the_transcript_as_sent(
    moto_tables: dict[str, str], text: str | None
) -> None:
    # Given a conversation, and a customer's message with three attachments (one without a name; names with
    # accents, CJK, quotes, commas and colons)
    api = InProcessApi()
    conversation_id = api.start()
    message: dict[str, Any] = {"type": "message", "attachments": SENT} | ({"text": text} if text else {})
    sent = api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", message)
    assert sent.status == 200, sent.body
    # When the transcript is read
    page = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/messages")
    # Then the message is there with its attachments as they were sent, a missing name as none
    assert page.status == 200, page.body
    [stored] = page.body["messages"]
    assert stored["attachments"] == [{"name": None} | attachment for attachment in SENT]
    assert stored.get("text") == text
