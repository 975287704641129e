"""Context variables a representative may see (CONTRACT.md): only those sent with isDisplayable true; a
variable sent without the flag is hidden, whether it came with the create or with a custom event."""

from __future__ import annotations

import json

from tests.api import CONSUMER, InProcessApi


def test_a_context_variable_without_isdisplayable_is_hidden_from_the_representative(
    moto_tables: dict[str, str],
) -> None:
    # Given a conversation created with one variable flagged displayable and one sent without the flag
    api = InProcessApi()
    context = {"shown": {"value": "gold", "isDisplayable": True}, "unflagged": {"value": "secret"}}
    created = api.create({"conversationcontext": context})
    assert created.status == 201, created.body
    conversation_id = created.body["conversationId"]
    # When a custom event adds another variable without the flag
    event = {
        "type": "event",
        "name": "context",
        "channelData": {"customEventValue": json.dumps({"n": {"value": 3}})},
    }
    assert api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", event).status == 200
    # Then the representative sees only the flagged one, and the consumer's context says which is hidden
    assert api.representative_view(conversation_id).body["conversationcontext"] == {"shown": "gold"}
    stored = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/context").body["context"]
    assert sorted(stored, key=lambda variable: variable["name"]) == [
        {"name": "n", "value": 3, "isDisplayable": False},
        {"name": "shown", "value": "gold", "isDisplayable": True},
        {"name": "unflagged", "value": "secret", "isDisplayable": False},
    ]
