"""The tenant is the calling OAuth client; the unverified fallback exists only under `sam local`."""

from __future__ import annotations

import pytest

from local.token import mint_token
from messaging.errors import Unauthenticated
from messaging.tenant import claims_of, tenant_from_claims
from tests.harness import CREATE, api_event


def _without_authorizer(header_name: str = "authorization") -> dict[str, object]:
    """An event as `sam local start-api` sends it: no authorizer block, headers in the client's case."""
    event = api_event("POST", CREATE, {})
    del event["requestContext"]["authorizer"]
    event["headers"] = {header_name: f"Bearer {mint_token('acme')}"}
    return event


def test_claims_come_from_the_authorizer_block() -> None:
    assert tenant_from_claims(claims_of(api_event("POST", CREATE, {}, tenant="acme"))).id == "acme"


def test_without_authorizer_block_outside_sam_local_there_are_no_claims(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    event = _without_authorizer()
    with pytest.raises(Unauthenticated):
        tenant_from_claims(claims_of(event))


@pytest.mark.parametrize("header_name", ["authorization", "Authorization", "AUTHORIZATION"])
def test_under_sam_local_the_bearer_token_names_the_tenant_whatever_the_header_case(
    monkeypatch: pytest.MonkeyPatch, header_name: str
) -> None:
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    assert tenant_from_claims(claims_of(_without_authorizer(header_name))).id == "acme"


def test_a_long_tenant_claim_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        tenant_from_claims({"client_id": "x" * 257})
