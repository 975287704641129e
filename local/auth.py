"""Emulates API Gateway's JWT authorizer for LOCAL runs only: 401 for an unusable token, 403 for its scopes.

!!! LOCAL ONLY: THE TOKEN'S SIGNATURE IS NOT VERIFIED, nor its issuer or audience. !!!
Any well-formed, unexpired JWT is accepted and its claims are passed on, so that `make token` works
without an identity provider. Deployed, API Gateway verifies the token against the issuer's keys before
a function runs. Never use this module to protect anything.

The token's shape and times are checked by `messaging.http.bearer`, the module the product's own `sam local`
fallback uses, so both local paths refuse the same tokens. Scopes are checked as API Gateway does: a route
with authorization scopes admits a token holding ANY ONE of them, from its `scope` claim (space-separated)
or its `scp` claim (a list, or a space-separated string). Choosing the tenant among the claims is the
product's job, not this module's.
"""

from collections.abc import Sequence
from typing import Any

import local.product_layer  # noqa: F401 - puts the layer's `messaging` package on sys.path
from messaging.http.bearer import BearerTokenError, claims_from_authorization


class Unauthorized(Exception):  # named after the HTTP answer it becomes (401)
    def __init__(self, message: str, *, missing: bool = False):
        super().__init__(message)
        self.message = message
        self.missing = missing  # no credentials at all: RFC 6750's bare `WWW-Authenticate: Bearer`


class Forbidden(Exception):  # 403: a valid token without any of the route's scopes
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def authorize(authorization: Sequence[str], required_scopes: Sequence[str], now: float) -> dict[str, Any]:
    """The claims of the request's bearer token (every Authorization header value it carried), if the
    authorizer would admit it to a route requiring `required_scopes` (empty: any valid token)."""
    try:
        claims = claims_from_authorization(authorization, now)
    except BearerTokenError as error:
        raise Unauthorized(error.message, missing=error.missing) from None
    if required_scopes and not token_scopes(claims) & set(required_scopes):
        raise Forbidden(f"The token holds none of this route's scopes ({' '.join(required_scopes)})")
    return claims


def token_scopes(claims: dict[str, Any]) -> set[str]:
    """Every scope the token grants, from `scope` and `scp`, each a space-separated string or a list."""
    scopes: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            scopes.update(value.split())
        elif isinstance(value, list):
            scopes.update(item for item in value if isinstance(item, str))
    return scopes
