"""The body cap keeps every accepted create within the 400 KB item limit (DynamoDB Local enforces it)."""

from __future__ import annotations

import json
from typing import Any

from messaging.limits import MAX_BODY_BYTES
from tests.harness import CREATE, api_event, invoke, load_handler

WIDE = "€"  # 3 bytes in UTF-8: stored as it is sent (no escapes), so the item is as large as the body


def _encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _largest_body() -> bytes:
    """Every field at its limit in 3-byte characters, then 4000-character context values up to the cap."""
    names = {name: WIDE * 200 for name in ("customerid", "firstname", "lastname", "preferredname")}
    context: dict[str, dict[str, Any]] = {}
    body = {
        "customercontext": names,
        "startmessage": {"message": WIDE * (27 * 1024 // 3), "displayname": WIDE * 200},
        "conversationcontext": context,
    }
    while len(context) < 99:
        context[f"k{len(context):03}"] = {"value": WIDE * 4000, "isDisplayable": True}
        if len(_encoded(body)) > MAX_BODY_BYTES:
            del context[f"k{len(context) - 1:03}"]
            break
    context["last"] = {"value": ""}
    context["last"]["value"] = WIDE * ((MAX_BODY_BYTES - len(_encoded(body))) // 3)
    return _encoded(body)


def test_a_body_at_the_cap_is_stored(local_env: dict[str, str]) -> None:
    raw = _largest_body()
    assert MAX_BODY_BYTES - 3 < len(raw) <= MAX_BODY_BYTES
    answer = invoke(load_handler("create_conversation"), api_event("POST", CREATE, raw))
    assert answer.status == 201, answer.body
