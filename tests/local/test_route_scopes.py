"""Scopes as API Gateway enforces them: each route's from template.yaml; a token with none of them: 403."""

from pathlib import Path
from typing import Any

import pytest

from local.dev_server import DevServer
from local.dynamodb_local import REPO_ROOT, DynamoDBLocal
from local.scopes import route_scopes
from local.template import TemplateError, load_template
from local.token import mint_token
from tests.local.http_client import assert_problem, bearer, call

CONSUMER = "messaging/conversations"
REPRESENTATIVE = "messaging/representative"
SCOPED = ("GET", "/api/v1.0/consumer/scoped")  # on the API, no Auth of its own: the default authorizer's
REPRESENTATIVE_ROUTE = ("GET", "/api/v1.0/representative/conversations")
EITHER = ("GET", "/api/v1.0/either")
IMPLICIT = ("GET", "/api/v1.0/consumer/together")  # the implicit API: no authorizer scopes at all


def test_a_routes_own_scopes_win_and_parameters_resolve_to_their_defaults(throwaway_template: Path) -> None:
    # Given the throw-away template with no override
    scopes = route_scopes(load_template(throwaway_template), {})
    # Then each route requires its event's scopes, and the default authorizer's !If gave AWS::NoValue
    assert scopes[REPRESENTATIVE_ROUTE] == (REPRESENTATIVE,)
    assert scopes[EITHER] == (CONSUMER, REPRESENTATIVE)
    assert scopes[SCOPED] == ()
    assert scopes[IMPLICIT] == ()


def test_an_override_turns_the_default_authorizers_condition_on(throwaway_template: Path) -> None:
    # Given RequiredScope set, so HasRequiredScope is true
    overrides = {"RequiredScope": "x/all", "RepresentativeScope": "x/rep"}
    scopes = route_scopes(load_template(throwaway_template), overrides)
    # Then a route without its own scopes requires the default authorizer's, and overrides reach events
    assert scopes[SCOPED] == ("x/all",)
    assert scopes[REPRESENTATIVE_ROUTE] == ("x/rep",)
    assert scopes[IMPLICIT] == ()


def api_template(authorizer_scopes: Any, event_auth: Any = None, parameters: Any = None) -> dict[str, Any]:
    event: dict[str, Any] = {"ApiId": {"Ref": "Api"}, "Method": "post", "Path": "/x"}
    if event_auth is not None:
        event["Auth"] = event_auth
    return {
        "Parameters": parameters or {},
        "Conditions": {
            "On": {"Fn::Equals": ["a", "a"]},
            "Off": {"Fn::Not": [{"Condition": "On"}]},
            "Both": {
                "Fn::And": [{"Condition": "On"}, {"Fn::Or": [{"Condition": "Off"}, {"Condition": "On"}]}]
            },
        },
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::HttpApi",
                "Properties": {
                    "Auth": {
                        "DefaultAuthorizer": "Jwt",
                        "Authorizers": {"Jwt": {"AuthorizationScopes": authorizer_scopes}, "Other": {}},
                    }
                },
            },
            "Function": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Events": {"E": {"Type": "HttpApi", "Properties": event}}},
            },
        },
    }


@pytest.mark.parametrize(
    ("authorizer_scopes", "event_auth", "expected"),
    [
        (["a", "b"], None, ("a", "b")),
        (["a"], {"AuthorizationScopes": ["c"]}, ("c",)),
        (["a"], {"AuthorizationScopes": []}, ()),
        (["a"], {"Authorizer": "Other"}, ()),
        (["a"], {"Authorizer": "NONE"}, ()),
        ([{"Fn::If": ["Both", "yes", "no"]}], None, ("yes",)),
        ([{"Fn::If": ["Off", "yes", {"Ref": "AWS::NoValue"}]}, "kept"], None, ("kept",)),
        ({"Fn::Split": [",", "a,b"]}, None, ("a", "b")),
        ([{"Fn::Sub": "${AWS::Region}/read"}], None, ("us-east-1/read",)),
        ([""], None, ()),
    ],
    ids=[
        "default authorizer",
        "event's own",
        "event's empty list",
        "another authorizer",
        "no authorizer",
        "If and/or/not",
        "NoValue dropped",
        "Split",
        "Sub",
        "empty string",
    ],
)
def test_scopes_resolve_as_sam_and_cloudformation_would(
    authorizer_scopes: Any, event_auth: Any, expected: tuple[str, ...]
) -> None:
    assert route_scopes(api_template(authorizer_scopes, event_auth), {}) == {("POST", "/x"): expected}


def test_a_list_parameter_gives_one_scope_per_item() -> None:
    parameters = {"Scopes": {"Type": "CommaDelimitedList", "Default": "a, b"}}
    template = api_template({"Ref": "Scopes"}, parameters=parameters)
    assert route_scopes(template, {})[("POST", "/x")] == ("a", "b")
    assert route_scopes(template, {"Scopes": "c"})[("POST", "/x")] == ("c",)


@pytest.mark.parametrize(
    ("authorizer_scopes", "message"),
    [
        ([{"Fn::GetAtt": ["X", "Y"]}], "cannot be resolved locally"),
        ([{"Ref": "Missing"}], "--param Missing"),
        ([{"Fn::If": ["Nowhere", "a", "b"]}], "condition 'Nowhere'"),
        ([{"Fn::Sub": "${Other.Arn}"}], "other than a parameter"),
    ],
    ids=["GetAtt", "unknown parameter", "unknown condition", "Sub of a resource"],
)
def test_what_cannot_be_resolved_is_an_error_not_an_open_route(authorizer_scopes: Any, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        route_scopes(api_template(authorizer_scopes), {})


def test_the_projects_template_requires_each_side_s_scope_on_its_routes() -> None:
    template = load_template(REPO_ROOT / "template.yaml")
    scopes = route_scopes(template, {})
    assert {scopes[route] for route in scopes if route[1].startswith("/api/v1.0/consumer/")} == {(CONSUMER,)}
    assert {scopes[route] for route in scopes if route[1].startswith("/api/v1.0/representative/")} == {
        ("messaging/representative",)
    }
    overridden = route_scopes(template, {"RepresentativeScope": "desk/work"})
    assert ("desk/work",) in set(overridden.values())


def test_with_scopes_in_roles_api_gateway_requires_no_scope_the_functions_do() -> None:
    # Given the template deployed with ScopeClaim=roles (Entra ID's app-only tokens carry roles, no scope)
    template = load_template(REPO_ROOT / "template.yaml")
    scopes = route_scopes(template, {"ScopeClaim": "roles"})
    # Then no route requires a scope of API Gateway's authorizer (it could never find one)
    assert set(scopes.values()) == {()}
    # And every function learns where the scopes are and what each side's is
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert (variables["SCOPE_CLAIM"], variables["CONSUMER_SCOPE"], variables["REPRESENTATIVE_SCOPE"]) == (
        {"Ref": "ScopeClaim"},
        {"Ref": "ConsumerScope"},
        {"Ref": "RepresentativeScope"},
    )


def get(server: DevServer, route: tuple[str, str], token: str) -> Any:
    return call(server.base_url, route[0], route[1], headers=bearer(token))


@pytest.mark.parametrize(
    "token_scopes",
    [
        {"scope": REPRESENTATIVE},
        {"scope": f"other {REPRESENTATIVE}"},
        {"scope": None, "scp": [REPRESENTATIVE]},
        {"scope": None, "scp": f"x {REPRESENTATIVE}"},
    ],
    ids=["scope", "one of several", "scp list", "scp string"],
)
def test_a_token_holding_the_routes_scope_reaches_the_function(
    local_api: DevServer, token_scopes: dict[str, Any]
) -> None:
    token = mint_token("acme", scope=token_scopes.pop("scope"), extra_claims=token_scopes)
    assert get(local_api, REPRESENTATIVE_ROUTE, token).status == 200


@pytest.mark.parametrize(
    "scope",
    [CONSUMER, None, f"{REPRESENTATIVE}x", REPRESENTATIVE.upper()],
    ids=["the consumer scope", "no scope claim", "a longer scope", "other case"],
)
def test_a_valid_token_without_the_routes_scope_gets_403_problem_json_with_insufficient_scope(
    local_api: DevServer, scope: str | None
) -> None:
    # Given a consumer's token (or one with no or a near-miss scope), When it calls a representative route
    answer = get(local_api, REPRESENTATIVE_ROUTE, mint_token("acme", scope=scope))
    # Then the authorizer refuses it as API Gateway does, before the function runs
    assert_problem(answer, 403, "forbidden")
    assert answer.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'


def test_a_route_requiring_two_scopes_admits_a_token_holding_either(local_api: DevServer) -> None:
    assert get(local_api, EITHER, mint_token("a", scope=CONSUMER)).status == 200
    assert get(local_api, EITHER, mint_token("a", scope=REPRESENTATIVE)).status == 200
    assert_problem(get(local_api, EITHER, mint_token("a", scope="neither")), 403, "forbidden")


def test_an_expired_token_is_401_even_with_the_right_scope(local_api: DevServer) -> None:
    answer = get(local_api, REPRESENTATIVE_ROUTE, mint_token("a", scope=REPRESENTATIVE, ttl_seconds=-1))
    assert_problem(answer, 401, "unauthorized")


def test_routes_without_scopes_admit_any_valid_token(local_api: DevServer) -> None:
    assert get(local_api, SCOPED, mint_token("a", scope=None)).status == 200


def test_the_required_scope_parameter_is_enforced_on_the_default_authorizers_routes(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> None:
    # Given the server started with RequiredScope overridden
    server = DevServer(
        throwaway_template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"RequiredScope": "x/all"},
        table_prefix=table_prefix,
    )
    with server:
        # Then a route of the default authorizer needs it, and holding it is enough
        assert_problem(get(server, SCOPED, mint_token("a")), 403, "forbidden")
        assert get(server, SCOPED, mint_token("a", scope="x/all")).status == 200
