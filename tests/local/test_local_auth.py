"""local.token and local.auth: local tokens, and the emulated JWT authorizer's 401 reasons."""

import base64
import json
import subprocess
import sys
import time

import jwt
import pytest

from local.auth import Unauthorized, claims_from_authorization
from local.dynamodb_local import REPO_ROOT
from local.token import LOCAL_AUDIENCE, LOCAL_ISSUER, LOCAL_ONLY_SIGNING_KEY, mint_token


def test_a_local_token_carries_the_tenant_and_verifies_with_the_local_key() -> None:
    token = mint_token("acme", ttl_seconds=60)
    claims = jwt.decode(token, LOCAL_ONLY_SIGNING_KEY, algorithms=["HS256"], audience=LOCAL_AUDIENCE)
    assert claims["iss"] == LOCAL_ISSUER
    assert (claims["client_id"], claims["sub"], claims["scope"]) == (
        "acme",
        "acme",
        "messaging/conversations",
    )
    assert claims["exp"] - claims["iat"] == 60


def test_extra_claims_add_replace_and_remove_claims() -> None:
    token = mint_token("acme", extra_claims={"azp": "web", "scope": "other", "client_id": None})
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["azp"] == "web"
    assert claims["scope"] == "other"
    assert "client_id" not in claims


def test_make_token_prints_only_the_token() -> None:
    # When the CLI runs, as `TOKEN=$(make token CLIENT=acme)` does
    result = subprocess.run(
        [sys.executable, "-m", "local.token", "--client", "acme"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # Then stdout is one JWT and nothing else
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert jwt.decode(token, options={"verify_signature": False})["client_id"] == "acme"


def test_a_valid_bearer_token_gives_its_claims() -> None:
    claims = claims_from_authorization(f"Bearer {mint_token('acme')}", now=time.time())
    assert claims["client_id"] == "acme"


def test_the_signature_is_not_checked_locally() -> None:
    # Given a token signed with some other key (as a real identity provider's would be)
    token = jwt.encode({"client_id": "acme", "exp": time.time() + 60}, "x" * 32, algorithm="HS256")
    # Then the local authorizer still admits it: local runs only
    assert claims_from_authorization(f"bearer {token}", now=time.time())["client_id"] == "acme"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "Missing Authorization"),
        ("", "Missing Authorization"),
        ("   ", "Missing Authorization"),
        ("Basic dXNlcjpwYXNz", '"Bearer <token>"'),
        ("Bearer", '"Bearer <token>"'),
        ("Bearer a b", '"Bearer <token>"'),
        ("Bearer not-a-jwt", "Malformed bearer token"),
        ("Bearer a.b.c", "Malformed bearer token"),
    ],
)
def test_missing_or_malformed_authorization_is_unauthorized(header: str | None, reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        claims_from_authorization(header, now=time.time())


def test_an_expired_token_is_unauthorized() -> None:
    token = mint_token("acme", ttl_seconds=-1)
    with pytest.raises(Unauthorized, match="expired"):
        claims_from_authorization(f"Bearer {token}", now=time.time())


def test_a_token_expires_at_exactly_its_exp() -> None:
    token = mint_token("acme", extra_claims={"exp": 1_000})
    assert claims_from_authorization(f"Bearer {token}", now=999.0)["exp"] == 1_000
    with pytest.raises(Unauthorized, match="expired"):
        claims_from_authorization(f"Bearer {token}", now=1_000.0)


def test_a_token_without_exp_is_unauthorized() -> None:
    token = mint_token("acme", extra_claims={"exp": None})
    with pytest.raises(Unauthorized, match="no exp"):
        claims_from_authorization(f"Bearer {token}", now=time.time())


def test_a_token_whose_exp_is_not_a_number_is_unauthorized() -> None:
    # PyJWT refuses to mint this, so the payload is assembled by hand
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'exp': 'tomorrow'})}.c2ln"
    with pytest.raises(Unauthorized, match="not a number"):
        claims_from_authorization(f"Bearer {token}", now=time.time())


def test_a_token_used_before_its_nbf_is_unauthorized() -> None:
    token = mint_token("acme", extra_claims={"nbf": int(time.time()) + 600})
    with pytest.raises(Unauthorized, match="not valid yet"):
        claims_from_authorization(f"Bearer {token}", now=time.time())
