"""The contract's limits (CONTRACT.md), defined once: the models and use cases enforce them and the OpenAPI
document shows them, all from here."""

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
MESSAGE_TEXT_MAX = 6000
ACTIVITY_MAX_BYTES = 28 * 1024  # a message activity, whole (the vendor's limit in every channel)
ACTIVITY_FIELD_MAX = 256  # names, content types, event names
# The context, as stored with the conversation's details, must leave room in DynamoDB's 400 KB item for the
# customer, the start message (27 KB) and the keys: custom events cannot grow it past this.
CONTEXT_MAX_BYTES = 340 * 1024
TRANSCRIPT_PAGE_MAX = 100
LIST_PAGE_MAX = 250
