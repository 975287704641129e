"""What a function hands back to API Gateway (the payload 2.0 proxy result): a success answer is the JSON
document as text, said to be JSON, and not base64 (API Gateway would decode it and send the client bytes)."""

from __future__ import annotations

import json

from local.events import lambda_context
from tests.harness import CREATE, api_event, load_handler


def test_a_success_answer_is_json_text_said_to_be_json_and_not_base64(moto_tables: dict[str, str]) -> None:
    # Given the create function
    handler = load_handler("create_conversation")
    # When a customer's conversation is created
    result = handler.lambda_handler(
        api_event("POST", CREATE, {"customercontext": {"customerid": "jdoe123"}}), lambda_context("create")
    )
    # Then API Gateway gets the status, a JSON content type, and the document as plain (not base64) text
    document = json.loads(result["body"])
    headers = {name.lower(): value for name, value in result["headers"].items()}
    assert (result["statusCode"], result["isBase64Encoded"], headers) == (
        201,
        False,
        {"content-type": "application/json"},
    )
    assert document == {"conversationId": document["conversationId"], "isNew": True}
