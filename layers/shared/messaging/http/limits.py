"""The contract's limits (CONTRACT.md), defined once: the models enforce them and the OpenAPI document shows
them, both from here."""

from __future__ import annotations

# A stored conversation must fit DynamoDB's 400 KB item: fields are stored as sent (numbers may grow by a
# few bytes), so a body of at most this size fits with room for keys (tests: test_largest_body_fits.py).
MAX_BODY_BYTES = 384 * 1024
NAME_MAX = 200  # customer names, email, phone, displayname, conversationrequestid, customerid
START_MESSAGE_MAX_BYTES = 27 * 1024
MAX_CONTEXT_ENTRIES = 100
CONTEXT_KEY_MAX = 100
CONTEXT_TEXT_MAX = 4000
MAX_SAFE_INTEGER = 2**53 - 1  # beyond it, JavaScript clients would read back another number
MAX_TENANT_LENGTH = 256  # keeps every key under DynamoDB's 2048-byte partition key limit
