"""Conversation ids that name their customer's active lock, without revealing or linking the customer.

A transition that frees or takes the customerid must change the lock in the same transaction as the
conversation, but a request carries only the conversation id. So a conversation with a customerid gets a
UUIDv8 whose top 96 custom bits are a fingerprint of tenant + customerid, and the lock is keyed by that
fingerprint: the id alone names the lock, with no read.

The fingerprint is an HMAC-SHA256 under a per-deployment secret (template: a generated Secrets Manager
secret), over the tenant and the customerid: without the secret, an id reveals nothing about the customerid
(no offline guessing), and one customer's ids in two tenants share nothing. The secret must never change for a
deployment: locks of live conversations are keyed by it. A collision of two customerids needs ~2^48
customers of one tenant to become likely; the lock also stores the customerid, and a mismatch is refused.
Conversations without a customerid have no lock and get a plain random UUIDv4.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid

from messaging.domain.tenant import Tenant

_FINGERPRINT_BITS = 96
_RANDOM_BITS = 26  # 122 custom bits in a UUIDv8, minus the fingerprint
_CANONICAL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MIN_SECRET_BYTES = 32


class ConversationIds:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the id secret must hold at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret

    def fingerprint(self, tenant: Tenant, customerid: str) -> str:
        # Length-prefixed, so that no (tenant, customerid) pair reads as another.
        tenant_bytes = tenant.id.encode("utf-8")
        message = len(tenant_bytes).to_bytes(4, "big") + tenant_bytes + customerid.encode("utf-8")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return digest[: _FINGERPRINT_BITS // 8].hex()

    def new(self, tenant: Tenant, customerid: str | None) -> str:
        if customerid is None:
            return str(uuid.uuid4())
        fingerprint = int(self.fingerprint(tenant, customerid), 16)
        custom = (fingerprint << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
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
