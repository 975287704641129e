"""Conversation ids name their customer's active lock without revealing or linking the customer: the
fingerprint is keyed per deployment and bound to the tenant."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from messaging.domain.ids import MIN_SECRET_BYTES, ConversationIds, lock_fingerprint
from messaging.domain.tenant import Tenant

SECRET = b"k" * MIN_SECRET_BYTES
CUSTOMERS = [f"customer-{n}" for n in range(200)] + ["jdoe123", "", "a" * 256, "émile"]


def common_prefix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=True):
        if a != b:
            break
        length += 1
    return length


def test_one_customer_in_two_tenants_gets_ids_that_share_nothing_but_chance() -> None:
    # Given one deployment's ids and two tenants
    ids = ConversationIds(SECRET)
    acme, globex = Tenant("acme"), Tenant("globex")
    # When each tenant starts a conversation for each of the same customers
    pairs = [(ids.new(acme, customer), ids.new(globex, customer)) for customer in CUSTOMERS]
    # Then no pair shares a prefix longer than chance gives (the first hex digit: 1 in 16), the lock
    # fingerprints differ, and on average pairs share less than a quarter of a hex digit more than random
    prefixes = [common_prefix(a, b) for a, b in pairs]
    assert max(prefixes) < 6, max(prefixes)  # 6 equal hex digits by chance: 1 in 16^6 per pair
    assert sum(prefixes) / len(prefixes) < 1 / 15 + 0.25
    assert all(lock_fingerprint(a) != lock_fingerprint(b) for a, b in pairs)


def test_one_customer_in_one_tenant_keeps_one_lock_and_new_conversations_get_new_ids() -> None:
    ids = ConversationIds(SECRET)
    tenant = Tenant("acme")
    first, second = ids.new(tenant, "jdoe123"), ids.new(tenant, "jdoe123")
    assert first != second
    assert lock_fingerprint(first) == lock_fingerprint(second) == ids.fingerprint(tenant, "jdoe123")
    assert uuid.UUID(first).version == 8


def test_without_the_deployment_s_secret_the_id_reveals_no_function_of_the_customerid() -> None:
    # Given the same tenant and customer in two deployments (two secrets)
    tenant = Tenant("acme")
    here, there = ConversationIds(SECRET), ConversationIds(os.urandom(MIN_SECRET_BYTES))
    # Then their fingerprints differ, and neither is the unkeyed hash of the customerid (or of tenant + it)
    assert here.fingerprint(tenant, "jdoe123") != there.fingerprint(tenant, "jdoe123")
    for unkeyed in (b"jdoe123", b"acmejdoe123", b"\x00\x00\x00\x04acmejdoe123"):
        digest = hashlib.sha256(unkeyed).hexdigest()
        assert digest[:24] != here.fingerprint(tenant, "jdoe123")
        assert digest[:8] not in here.new(tenant, "jdoe123").replace("-", "")


def test_a_tenant_and_customerid_cannot_be_shifted_into_another_pair() -> None:
    # "ab" + "c" and "a" + "bc" are different pairs, so different locks
    ids = ConversationIds(SECRET)
    assert ids.fingerprint(Tenant("ab"), "c") != ids.fingerprint(Tenant("a"), "bc")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ConversationIds(b"short")


def test_a_conversation_without_customerid_has_no_lock() -> None:
    conversation_id = ConversationIds(SECRET).new(Tenant("acme"), None)
    assert uuid.UUID(conversation_id).version == 4 and lock_fingerprint(conversation_id) is None
