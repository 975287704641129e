"""The tenant is the value of ONE claim (TenantClaim, default client_id): no other claim stands in for it, and
a value no key can safely hold is refused. The unverified token fallback exists only under `sam local`."""

from __future__ import annotations

import time
from typing import Any

import pytest

from local.token import mint_token
from messaging.domain.errors import Unauthenticated
from messaging.http.claims import claims_of, tenant_from_claims
from tests.harness import CREATE, api_event


def _without_authorizer(header_name: str = "authorization") -> dict[str, object]:
    """An event as `sam local start-api` sends it: no authorizer block, headers in the client's case."""
    event = api_event("POST", CREATE, {})
    del event["requestContext"]["authorizer"]
    event["headers"] = {header_name: f"Bearer {mint_token('acme')}"}
    return event


def test_claims_come_from_the_authorizer_block() -> None:
    claims = claims_of(api_event("POST", CREATE, {}, tenant="acme"))
    assert tenant_from_claims(claims, "client_id").id == "acme"


def test_without_authorizer_block_outside_sam_local_there_are_no_claims(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    with pytest.raises(Unauthenticated):
        tenant_from_claims(claims_of(_without_authorizer()), "client_id")


@pytest.mark.parametrize("header_name", ["authorization", "Authorization", "AUTHORIZATION"])
def test_under_sam_local_the_bearer_token_names_the_tenant_whatever_the_header_case(
    monkeypatch: pytest.MonkeyPatch, header_name: str
) -> None:
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    assert tenant_from_claims(claims_of(_without_authorizer(header_name)), "client_id").id == "acme"


def _sam_local_event(*authorizations: str) -> dict[str, object]:
    """As `sam local start-api` sends it: no authorizer block; each value its own header (differing case)."""
    event = api_event("POST", CREATE, {})
    del event["requestContext"]["authorizer"]
    names = ("Authorization", "authorization", "AUTHORIZATION")
    event["headers"] = {names[i]: value for i, value in enumerate(authorizations)}
    return event


SAM_LOCAL_REFUSALS = {
    "expired": ((f"Bearer {mint_token('acme', ttl_seconds=-60)}",), "Bearer token has expired"),
    "exp NaN": (
        (f"Bearer {mint_token('acme', extra_claims={'exp': float('nan')})}",),
        "Malformed bearer token: its payload is not JSON (NaN is not JSON)",
    ),
    "exp Infinity": (
        (f"Bearer {mint_token('acme', extra_claims={'exp': float('inf')})}",),
        "Malformed bearer token: its payload is not JSON (Infinity is not JSON)",
    ),
    "not yet valid": (
        (f"Bearer {mint_token('acme', extra_claims={'nbf': int(time.time()) + 3600})}",),
        "Bearer token is not valid yet (nbf)",
    ),
    "two Authorization headers": (
        (f"Bearer {mint_token('acme')}", f"Bearer {mint_token('acme')}"),
        "More than one Authorization header (send exactly one: Bearer <token>)",
    ),
    "malformed": (
        ("Bearer not-a-jwt",),
        "Malformed bearer token: not three base64url parts separated by dots",
    ),
    "none": ((), "Missing Authorization header (expected: Bearer <token>)"),
}


@pytest.mark.parametrize(
    ("authorizations", "reason"), SAM_LOCAL_REFUSALS.values(), ids=SAM_LOCAL_REFUSALS.keys()
)
def test_under_sam_local_the_dev_servers_token_checks_apply(
    monkeypatch: pytest.MonkeyPatch, authorizations: tuple[str, ...], reason: str
) -> None:
    # Given a sam local run (no authorizer block), When the token is one the dev server refuses
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    # Then there is no tenant either (the same module checks both local paths), for the dev server's reason:
    # it becomes the 401's detail, so a client reads the same words from both local paths
    with pytest.raises(Unauthenticated) as caught:
        tenant_from_claims(claims_of(_sam_local_event(*authorizations)), "client_id")
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    "claims",
    [
        {"azp": "acme"},
        {"sub": "acme"},
        {"appid": "acme"},
        {"client_id": "", "sub": "acme"},
        {"client_id": "   ", "azp": "acme"},
        {"client_id": 42},
        {"client_id": ["acme"]},
    ],
    ids=["azp only", "sub only", "appid only", "empty client_id", "blank client_id", "number", "list"],
)
def test_no_other_claim_stands_in_for_the_tenant_claim(claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthenticated):
        tenant_from_claims(claims, "client_id")


def test_the_tenant_claim_is_the_one_the_deployment_names() -> None:
    claims = {"client_id": "not-this", "tenant_id": "acme"}
    assert tenant_from_claims(claims, "tenant_id").id == "acme"
    with pytest.raises(Unauthenticated):
        tenant_from_claims({"client_id": "acme"}, "tenant_id")


def test_the_tenant_claim_wins_over_every_other_claim_present() -> None:
    # Given a token with the tenant claim and, with other values, every claim that once stood in for it
    claims = {"azp": "by-azp", "appid": "by-appid", "sub": "by-sub", "client_id": "acme"}
    # When the tenant is read, Then it is the tenant claim's value, whatever the other claims say
    assert tenant_from_claims(claims, "client_id").id == "acme"
    assert tenant_from_claims({**claims, "tenant_id": "other"}, "tenant_id").id == "other"


def test_a_tenant_of_256_characters_is_accepted_and_257_refused() -> None:
    assert tenant_from_claims({"client_id": "x" * 256}, "client_id").id == "x" * 256
    with pytest.raises(Unauthenticated):
        tenant_from_claims({"client_id": "x" * 257}, "client_id")


@pytest.mark.parametrize(
    "tenant", ["\ud800s", "a\udfffb", "ac\x00me", "acme\n", "a\x1bb", "a\x7fb", "a\x85b"], ids=repr
)
def test_a_tenant_that_is_not_valid_utf8_or_holds_control_characters_is_refused(tenant: str) -> None:
    with pytest.raises(Unauthenticated):
        tenant_from_claims({"client_id": tenant}, "client_id")


def test_a_tenant_with_any_printable_unicode_is_accepted() -> None:
    assert tenant_from_claims({"client_id": "acme-é-😀 #%"}, "client_id").id == "acme-é-😀 #%"
