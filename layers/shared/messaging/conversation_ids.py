"""Conversation ids that name their own active lock.

A close must free the customer's active lock in the same single transaction that closes the conversation,
but the close request carries only the conversation id. So a conversation with a customerid gets a UUIDv8
whose top 96 custom bits are a fingerprint (SHA-256) of the customerid, and the lock is keyed by that
fingerprint: the id alone names the lock, with no read. A collision of two customerids needs 2^48 customers
of one tenant to become likely; the lock also stores the customerid, and a mismatch is refused.
Conversations without a customerid have no lock and get a plain random UUIDv4.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid

_FINGERPRINT_BITS = 96
_RANDOM_BITS = 26  # 122 custom bits in a UUIDv8, minus the fingerprint
_CANONICAL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def customer_fingerprint(customerid: str) -> str:
    digest = hashlib.sha256(customerid.encode("utf-8")).digest()
    return digest[: _FINGERPRINT_BITS // 8].hex()


def new_conversation_id(customerid: str | None) -> str:
    if customerid is None:
        return str(uuid.uuid4())
    custom = (int(customer_fingerprint(customerid), 16) << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
    # UUIDv8 layout: 48 custom bits, version (4), 12 custom bits, variant (2), 62 custom bits.
    value = (
        ((custom >> 74) << 80)
        | (0x8 << 76)
        | (((custom >> 62) & 0xFFF) << 64)
        | (0b10 << 62)
        | (custom & ((1 << 62) - 1))
    )
    return str(uuid.UUID(int=value))


def lock_fingerprint(conversation_id: str) -> str | None:
    """The fingerprint of the conversation's active lock, or None when it has none (UUIDv4)."""
    value = uuid.UUID(conversation_id)
    if value.version != 8:
        return None
    number = value.int
    custom = ((number >> 80) << 74) | (((number >> 64) & 0xFFF) << 62) | (number & ((1 << 62) - 1))
    return f"{custom >> _RANDOM_BITS:0{_FINGERPRINT_BITS // 4}x}"


def is_conversation_id(text: str) -> bool:
    return _CANONICAL.fullmatch(text) is not None
