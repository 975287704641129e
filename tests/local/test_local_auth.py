"""local.token and local.auth: local tokens, and the emulated JWT authorizer's 401 and 403 reasons."""

import os
import subprocess
import sys
import time

import jwt
import pytest

from local.auth import Forbidden, Unauthorized, authorize, token_scopes
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


def test_the_scope_option_sets_the_tokens_scopes_and_blank_means_none() -> None:
    def scope_of(token: str) -> object:
        return jwt.decode(token, options={"verify_signature": False}).get("scope")

    assert scope_of(mint_token("acme", scope=" a   b ")) == "a b"
    assert scope_of(mint_token("acme", scope="")) is None
    assert scope_of(mint_token("acme", scope=None)) is None


def run_quietly(command: list[str]) -> subprocess.CompletedProcess[str]:
    # Without the make variables of an enclosing `make test`: a sub-make would print "Entering directory".
    environment = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=True, timeout=120
    )


@pytest.mark.parametrize(
    ("command", "scope"),
    [
        (["make", "token", "CLIENT=acme"], "messaging/conversations"),
        (
            ["make", "token", "CLIENT=acme", "SCOPE=messaging/representative other"],
            "messaging/representative other",
        ),
        ([sys.executable, "-m", "local.token", "--client", "acme", "--scope", "x y"], "x y"),
    ],
    ids=["make token: consumer scope by default", "make token SCOPE=", "local.token --scope"],
)
def test_make_token_with_scope_prints_only_a_token_holding_those_scopes(
    command: list[str], scope: str
) -> None:
    # When the command runs, as `TOKEN=$(make token CLIENT=acme SCOPE="...")` does
    result = run_quietly(command)
    # Then stdout is one JWT for that tenant with exactly those scopes
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["client_id"], claims["scope"]) == ("acme", scope)


@pytest.mark.parametrize(
    ("arguments", "scope", "roles"),
    [
        (["ROLES=messaging/conversations"], None, ["messaging/conversations"]),
        (["ROLES=a b", "SCOPE=x"], "x", ["a", "b"]),
    ],
    ids=["ROLES alone: no scope", "ROLES and SCOPE"],
)
def test_make_token_with_roles_prints_a_token_holding_those_app_roles(
    arguments: list[str], scope: str | None, roles: list[str]
) -> None:
    # When `make token ROLES="..."` runs (a token as Entra ID issues one, for ScopeClaim=roles)
    result = run_quietly(["make", "token", "CLIENT=acme", *arguments])
    # Then it is one JWT with those app roles, and a scope only when one was asked for
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert (claims["client_id"], claims.get("scope"), claims["roles"]) == ("acme", scope, roles)


def test_a_valid_bearer_token_gives_its_claims() -> None:
    claims = authorize([f"Bearer {mint_token('acme')}"], (), now=time.time())
    assert claims["client_id"] == "acme"


def test_the_signature_is_not_checked_locally() -> None:
    # Given a token signed with some other key (as a real identity provider's would be)
    token = jwt.encode({"client_id": "acme", "exp": time.time() + 60}, "x" * 32, algorithm="HS256")
    # Then the local authorizer still admits it: local runs only
    assert authorize([f"bearer {token}"], (), now=time.time())["client_id"] == "acme"


@pytest.mark.parametrize(
    ("values", "reason", "missing"),
    [
        ([], "Missing Authorization", True),
        ([""], "Missing Authorization", True),
        (["Basic dXNlcjpwYXNz"], '"Bearer <token>"', False),
        (["Bearer a b"], '"Bearer <token>"', False),
        (["Bearer not-a-jwt"], "Malformed bearer token", False),
        ([f"Bearer {mint_token('a')}"] * 2, "More than one Authorization header", False),
        ([f"Bearer {mint_token('a')},Bearer {mint_token('b')}"], "More than one Authorization header", False),
        ([f"Bearer {mint_token('a', ttl_seconds=-1)}"], "expired", False),
    ],
    ids=["none", "empty", "basic", "two words", "not a jwt", "two headers", "comma-joined", "expired"],
)
def test_an_unusable_token_is_unauthorized_saying_why(values: list[str], reason: str, missing: bool) -> None:
    # The token checks themselves are messaging.http.bearer's (tests/unit/test_bearer.py)
    with pytest.raises(Unauthorized, match=reason) as caught:
        authorize(values, (), now=time.time())
    assert caught.value.missing is missing


def test_a_route_with_scopes_admits_a_token_holding_any_one_of_them() -> None:
    token = mint_token("acme", scope="messaging/representative other")
    claims = authorize(
        [f"Bearer {token}"], ("messaging/conversations", "messaging/representative"), time.time()
    )
    assert claims["client_id"] == "acme"


@pytest.mark.parametrize(
    "scope_claims",
    [
        {"scope": "a messaging/representative"},
        {"scp": ["a", "messaging/representative"]},
        {"scp": "a messaging/representative"},
        {"scope": "a", "scp": ["messaging/representative"]},
    ],
    ids=["scope string", "scp list", "scp string", "scope and scp"],
)
def test_scopes_come_from_the_scope_or_the_scp_claim(scope_claims: dict[str, object]) -> None:
    token = mint_token("acme", scope=None, extra_claims=scope_claims)
    assert token_scopes(jwt.decode(token, options={"verify_signature": False})) >= {
        "messaging/representative"
    }
    authorize([f"Bearer {token}"], ("messaging/representative",), now=time.time())


@pytest.mark.parametrize(
    "scope_claims",
    [
        {},
        {"scope": "messaging/conversations"},
        {"scope": "messaging"},
        {"scp": [["messaging/representative"]]},
    ],
    ids=["no scope claim", "another scope", "a prefix of it", "a nested list"],
)
def test_a_token_without_any_of_the_routes_scopes_is_forbidden(scope_claims: dict[str, object]) -> None:
    token = mint_token("acme", scope=None, extra_claims=scope_claims)
    with pytest.raises(Forbidden, match="none of this route's scopes"):
        authorize([f"Bearer {token}"], ("messaging/representative",), now=time.time())


def test_an_unusable_token_is_unauthorized_before_its_scopes_are_looked_at() -> None:
    token = mint_token("acme", ttl_seconds=-1, scope="messaging/representative")
    with pytest.raises(Unauthorized):
        authorize([f"Bearer {token}"], ("messaging/representative",), now=time.time())
