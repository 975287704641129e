"""Who is calling: the tenant is the value of ONE claim of the token the JWT authorizer admitted.

No fallback chain (CONTRACT.md, "Who is calling"): a token without that claim is no tenant, even if it
carries a `sub` (an end user's token) or an `azp` (a single-page app's). The claim is named by the template
parameter TenantClaim (env TENANT_CLAIM, default client_id).
"""

from __future__ import annotations

import os
import time
import unicodedata
from collections.abc import Mapping
from typing import Any

from messaging.config import settings
from messaging.domain.errors import Forbidden, Unauthenticated
from messaging.domain.tenant import Tenant
from messaging.http.bearer import BearerTokenError, claims_from_authorization
from messaging.http.paths import REPRESENTATIVE
from messaging.limits import MAX_TENANT_LENGTH
from messaging.observability import logger


def caller(event: Mapping[str, Any], route: str) -> Tenant:
    """The tenant of the request to `route` (its path as declared), once its token may call that route."""
    claims, config = claims_of(event), settings()
    tenant = tenant_from_claims(claims, config.tenant_claim)
    logger.append_keys(tenant=tenant.id)  # a client id, not personal data: on every later log line
    if config.scope_claim == "roles":
        required = config.representative_scope if route.startswith(REPRESENTATIVE) else config.consumer_scope
        if required not in app_roles(claims):
            raise Forbidden(f"the token's roles claim does not hold {required}, which this route requires")
    return tenant


def app_roles(claims: Mapping[str, Any] | None) -> frozenset[str]:
    """The token's app roles (`roles`): a JSON array in the token itself (local runs), or one string
    "[a b]" as API Gateway's JWT authorizer hands an array claim to the function. Role values hold no
    spaces (Entra ID refuses them)."""
    value = (claims or {}).get("roles")
    if isinstance(value, list):
        return frozenset(role for role in value if isinstance(role, str))
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return frozenset(text.split())
    return frozenset()


def tenant_from_claims(claims: Mapping[str, Any] | None, claim: str) -> Tenant:
    value = (claims or {}).get(claim)
    if not isinstance(value, str) or not value.strip():
        raise Unauthenticated(f"the token carries no {claim} claim (the tenant)")
    if len(value) > MAX_TENANT_LENGTH:
        raise Unauthenticated(f"the token's {claim} claim is longer than {MAX_TENANT_LENGTH} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Unauthenticated(f"the token's {claim} claim is not valid UTF-8 text") from None
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise Unauthenticated(f"the token's {claim} claim holds control characters")
    return Tenant(value)


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
    # API Gateway lower-cases header names and joins repeated ones with commas; `sam local` keeps the
    # client's case. The same checks as the dev server's authorizer emulation (messaging.http.bearer).
    values = [value for name, value in headers.items() if name.lower() == "authorization"]
    try:
        return claims_from_authorization(values, time.time())
    except BearerTokenError as error:
        raise Unauthenticated(str(error)) from None
