"""Who is calling: the tenant is the OAuth client the JWT authorizer admitted (CONTRACT.md)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from messaging.domain import Tenant
from messaging.errors import Unauthenticated

TENANT_CLAIMS = ("client_id", "azp", "appid", "sub")
MAX_TENANT_LENGTH = 256  # keeps every key under DynamoDB's 2048-byte partition key limit


def tenant_from_claims(claims: Mapping[str, Any] | None) -> Tenant:
    for name in TENANT_CLAIMS:
        value = (claims or {}).get(name)
        if isinstance(value, str) and value.strip():
            if len(value) > MAX_TENANT_LENGTH:
                raise Unauthenticated(
                    f"the token's {name} claim is longer than {MAX_TENANT_LENGTH} characters"
                )
            return Tenant(value)
    raise Unauthenticated("the token carries no tenant claim (client_id, azp, appid or sub)")


def claims_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The claims API Gateway's JWT authorizer verified and passed in the event.

    `sam local start-api` runs no JWT authorizer and sends no authorizer block; only there (SAM sets
    AWS_SAM_LOCAL=true in its containers, the template never does, and a deployed route always carries the
    block) the bearer token's claims are read unverified, so the local run still has tenants.
    """
    authorizer = event.get("requestContext", {}).get("authorizer")
    if authorizer is not None:
        claims: Mapping[str, Any] | None = (authorizer.get("jwt") or {}).get("claims")
        return claims
    if os.environ.get("AWS_SAM_LOCAL") == "true":
        return _unverified_bearer_claims(event.get("headers") or {})
    return None


def _unverified_bearer_claims(headers: Mapping[str, str]) -> Mapping[str, Any] | None:
    # API Gateway lower-cases header names; `sam local` keeps the client's case.
    authorization = next((value for name, value in headers.items() if name.lower() == "authorization"), "")
    scheme, _, token = (authorization or "").partition(" ")
    parts = token.split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
