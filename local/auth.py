"""Emulates API Gateway's JWT authorizer for LOCAL runs only.

!!! LOCAL ONLY: THE TOKEN'S SIGNATURE IS NOT VERIFIED, nor its issuer or audience. !!!
Any well-formed, unexpired JWT is accepted and its claims are passed on, so that `make token` works
without an identity provider. Deployed, API Gateway verifies the token against the issuer's keys before
a function runs. Never use this module to protect anything.

Choosing the tenant among the claims is the product's job, not this module's.
"""

from typing import Any

import jwt


class Unauthorized(Exception):  # named after the HTTP answer it becomes
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def claims_from_authorization(header: str | None, now: float) -> dict[str, Any]:
    """The claims of the bearer JWT in an Authorization header, or Unauthorized saying what is wrong."""
    if header is None or not header.strip():
        raise Unauthorized("Missing Authorization header (expected: Bearer <token>)")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized('Authorization header must be "Bearer <token>"')
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise Unauthorized(f"Malformed bearer token: {error}") from None
    if "exp" not in claims:
        raise Unauthorized("Bearer token has no exp claim")
    if not _is_number(claims["exp"]):
        raise Unauthorized("Bearer token's exp claim is not a number")
    if claims["exp"] <= now:
        raise Unauthorized("Bearer token has expired")
    # API Gateway also refuses a token used before its nbf.
    if "nbf" in claims and (not _is_number(claims["nbf"]) or claims["nbf"] > now):
        raise Unauthorized("Bearer token is not valid yet (nbf)")
    return claims


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
