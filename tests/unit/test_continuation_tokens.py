"""ContinuationTokens: a list's or transcript's next-page key, signed for the tenant and query it came from.
A token reads back only for that tenant and query, names only the caller's own items, is base64url text
(it travels in a query string), and every refusal says why (the problem's detail and field error)."""

from __future__ import annotations

import re

import pytest

from messaging.domain.errors import InvalidContinuationToken
from messaging.domain.tenant import Tenant
from messaging.store.keys import tenant_prefix
from messaging.usecases.paging import ContinuationTokens

SECRET = b"s" * 32
ACME, GLOBEX = Tenant("acme"), Tenant("globex")
QUERY = "live:None"
OWN = tenant_prefix(ACME) + "#"
MALFORMED = "the ContinuationToken is malformed"
NOT_ISSUED = "the ContinuationToken was not issued for this query"
ANOTHER_TENANTS = "the ContinuationToken names another tenant's items"
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def a_key(extra: str = "") -> dict[str, str]:
    """A next-page key as the store gives it: the caller's own item keys, and values without a tenant."""
    return {
        "pk": f"{OWN}CONVERSATION#c-1{extra}",
        "liveKey": f"{OWN}LIVE",
        "status": "open",
        "createdAt": "1800000000000",
    }


# Keys of several lengths: their encodings need 0, 1 and 2 padding characters, which the token leaves out.
KEYS = [a_key("x" * n) for n in range(12)]


@pytest.mark.parametrize("key", KEYS, ids=lambda key: str(len(key["pk"])))
def test_a_token_reads_back_as_its_key_for_the_same_tenant_and_query(key: dict[str, str]) -> None:
    # Given a token issued for a page of acme's list
    tokens = ContinuationTokens(SECRET)
    token = tokens.issue(ACME, QUERY, key)
    assert token is not None
    # Then it is base64url text without padding, and another instance of the deployment reads it back
    assert URL_SAFE.fullmatch(token), token
    assert ContinuationTokens(SECRET).read(ACME, QUERY, token, OWN) == key


def test_the_last_page_has_no_token_and_no_token_is_the_first_page() -> None:
    tokens = ContinuationTokens(SECRET)
    assert tokens.issue(ACME, QUERY, None) is None
    assert tokens.read(ACME, QUERY, None, OWN) is None


@pytest.mark.parametrize(
    ("tenant", "query", "secret"),
    [
        (GLOBEX, QUERY, SECRET),  # another tenant replaying acme's token
        (ACME, "live:1800000000000", SECRET),  # the same tenant, another query
        (ACME, QUERY, b"t" * 32),  # another deployment
    ],
    ids=["another tenant", "another query", "another deployment"],
)
def test_a_token_is_refused_for_another_tenant_query_or_deployment(
    tenant: Tenant, query: str, secret: bytes
) -> None:
    token = ContinuationTokens(SECRET).issue(ACME, QUERY, a_key())
    assert token is not None
    with pytest.raises(InvalidContinuationToken) as refused:
        ContinuationTokens(secret).read(tenant, query, token, tenant_prefix(tenant) + "#")
    assert str(refused.value) == NOT_ISSUED


def test_a_token_whose_key_or_signature_was_changed_is_refused() -> None:
    tokens = ContinuationTokens(SECRET)
    token = tokens.issue(ACME, QUERY, a_key())
    other = tokens.issue(ACME, QUERY, a_key("y"))
    assert token is not None and other is not None
    payload, _, signature = token.partition(".")
    for forged in (other.partition(".")[0] + "." + signature, payload + "." + other.partition(".")[2]):
        with pytest.raises(InvalidContinuationToken) as refused:
            tokens.read(ACME, QUERY, forged, OWN)
        assert str(refused.value) == NOT_ISSUED


@pytest.mark.parametrize(
    "token",
    ["", ".", "abc", "abc.", ".abc", "a.b", "abcd.a", "A" * 4097 + ".abc", "abc." + "A" * 4097],
)
def test_a_token_that_is_no_token_is_refused_as_malformed(token: str) -> None:
    with pytest.raises(InvalidContinuationToken) as refused:
        ContinuationTokens(SECRET).read(ACME, QUERY, token, OWN)
    assert str(refused.value) == MALFORMED


@pytest.mark.parametrize("owner", [GLOBEX, Tenant("acmex")], ids=["globex", "acmex"])
def test_a_signed_key_naming_another_tenant_s_items_is_refused(owner: Tenant) -> None:
    # Given a token whose key names another tenant's items, signed for acme (defence in depth: the store
    # never hands acme such a key, and no one can sign one without the deployment's secret); "acmex" starts
    # like acme but is another key space
    tokens = ContinuationTokens(SECRET)
    foreign = {**a_key(), "pk": tenant_prefix(owner) + "#CONVERSATION#c-9"}
    token = tokens.issue(ACME, QUERY, foreign)
    assert token is not None
    # When acme continues with it, Then it is refused, saying so
    with pytest.raises(InvalidContinuationToken) as refused:
        tokens.read(ACME, QUERY, token, OWN)
    assert str(refused.value) == ANOTHER_TENANTS
