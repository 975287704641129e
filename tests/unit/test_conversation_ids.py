"""Conversation ids name their customer's active lock without revealing or linking the customer: the
fingerprint is keyed per deployment and bound to the tenant."""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

import pytest

from messaging.domain.ids import MIN_SECRET_BYTES, ConversationIds, is_conversation_id, lock_fingerprint
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


def test_a_secret_of_exactly_32_bytes_is_enough_and_one_byte_less_is_refused_saying_so() -> None:
    ConversationIds(b"k" * 32)
    with pytest.raises(ValueError, match=r"^the id secret must hold at least 32 bytes$"):
        ConversationIds(b"k" * 31)


def test_every_customer_s_id_is_a_standard_uuidv8_that_names_its_lock() -> None:
    # Given many customers (a fingerprint starting with a zero hex digit among them), and tenants
    ids = ConversationIds(SECRET)
    for tenant in (Tenant("acme"), Tenant("é")):
        for customer in CUSTOMERS:
            conversation_id = ids.new(tenant, customer)
            value = uuid.UUID(conversation_id)
            # Then each id is a canonical RFC 4122 UUID of version 8, whose lock is the customer's
            assert (value.variant, value.version) == (uuid.RFC_4122, 8)
            assert str(value) == conversation_id
            assert lock_fingerprint(conversation_id) == ids.fingerprint(tenant, customer)


def test_the_fingerprint_is_the_keyed_hash_of_the_length_prefixed_tenant_and_the_customerid() -> None:
    # Locks of live conversations are keyed by it: it must not change from one release to the next.
    ids = ConversationIds(SECRET)
    for tenant, customer in [("acme", "jdoe123"), ("é", "émile"), ("", "")]:
        tenant_bytes = tenant.encode("utf-8")
        message = len(tenant_bytes).to_bytes(4, "big") + tenant_bytes + customer.encode("utf-8")
        expected = hmac.new(SECRET, message, hashlib.sha256).hexdigest()[:24]
        assert ids.fingerprint(Tenant(tenant), customer) == expected


def test_a_customer_s_ids_differ_in_all_26_random_bits() -> None:
    # Given 200 ids of one customer: the bits below the fingerprint are random, each of them (a bit stuck at
    # 0 or 1 halves the ids one customer can get; all 200 equal by chance: 2^-199)
    ids = ConversationIds(SECRET)
    numbers = [uuid.UUID(ids.new(Tenant("acme"), "jdoe123")).int for _ in range(200)]
    for bit in range(26):
        assert {(number >> bit) & 1 for number in numbers} == {0, 1}, bit


def test_only_a_canonical_lower_case_uuid_is_a_conversation_id() -> None:
    ids = ConversationIds(SECRET)
    for issued in (ids.new(Tenant("acme"), "jdoe123"), ids.new(Tenant("acme"), None)):
        assert is_conversation_id(issued)
        for variant in (
            issued.upper(),
            "{" + issued + "}",
            issued.replace("-", ""),
            issued + "\n",
            issued[:-1],
        ):
            assert not is_conversation_id(variant), variant
