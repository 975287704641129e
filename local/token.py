"""Mints bearer tokens for local runs: `python -m local.token --client acme [--scope "a b"]` prints one.

The key below is public and local-only. Deployed, API Gateway's JWT authorizer checks tokens from the
real issuer; locally the dev server does not check signatures at all (see local.auth).
"""

import argparse
import time
from typing import Any

import jwt

# Not a secret: it is in the repository, and nothing deployed trusts it.
LOCAL_ONLY_SIGNING_KEY = "local-only-NOT-A-SECRET-messaging-api-dev-signing-key"
LOCAL_ISSUER = "http://127.0.0.1/local-issuer"
LOCAL_AUDIENCE = "messaging-api-local"
# The consumer scope (template parameter ConsumerScope's default): what a channel backend's token holds.
LOCAL_SCOPE = "messaging/conversations"


def mint_token(
    client_id: str,
    *,
    ttl_seconds: int = 3600,
    scope: str | None = LOCAL_SCOPE,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """An HS256 JWT shaped like a client-credentials token for tenant `client_id`.

    `scope` is the space-separated `scope` claim (None or blank: no scope claim at all). `extra_claims` adds
    or replaces claims; a claim set to None is removed (e.g. a token with no client_id). A negative
    `ttl_seconds` mints an already expired token.
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "sub": client_id,
        "client_id": client_id,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if scope is not None and scope.strip():
        claims["scope"] = " ".join(scope.split())
    for name, value in (extra_claims or {}).items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return jwt.encode(claims, LOCAL_ONLY_SIGNING_KEY, algorithm="HS256")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a local-only bearer token (and nothing else).")
    parser.add_argument("--client", default="local-client", help="tenant: the token's client_id and sub")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until the token expires")
    parser.add_argument(
        "--scope",
        default=LOCAL_SCOPE,
        help=f'space-separated scopes, e.g. "{LOCAL_SCOPE} messaging/representative" (default: %(default)s)',
    )
    parser.add_argument(
        "--roles",
        default="",
        help="space-separated app roles (a `roles` claim, as Entra ID issues; for ScopeClaim=roles), e.g. "
        '"messaging/conversations"; with them and no --scope, the token carries no scope (default: none)',
    )
    args = parser.parse_args(argv)
    roles = args.roles.split()
    extra = {"roles": roles} if roles else None
    print(mint_token(args.client, ttl_seconds=args.ttl, scope=args.scope, extra_claims=extra))


if __name__ == "__main__":
    main()
