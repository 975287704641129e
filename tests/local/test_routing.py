"""local.routing: HTTP API route matching, most specific route first."""

import pytest

from local.routing import NoRoute, RouteMatch, Router
from local.template import Route


def route(method: str, path: str) -> Route:
    return Route(method, path, function_id=f"{method} {path}", code_uri="f/", handler="app.lambda_handler")


ROUTER = Router(
    [
        route("POST", "/api/v1.0/consumer/conversation/{conversationId}"),
        route("GET", "/api/v1.0/consumer/conversation/{conversationId}"),
        route("POST", "/api/v1.0/consumer/conversation/create"),
        route("ANY", "/files/{path+}"),
        route("GET", "/files/special/{name}"),
    ]
)


def matched(method: str, path: str) -> RouteMatch:
    match = ROUTER.match(method, path)
    assert isinstance(match, RouteMatch), match
    return match


def test_a_static_route_wins_over_a_parameterised_one() -> None:
    assert matched("POST", "/api/v1.0/consumer/conversation/create").route.path.endswith("/create")


def test_a_path_parameter_takes_one_segment_and_is_url_decoded() -> None:
    match = matched("GET", "/api/v1.0/consumer/conversation/abc%20d")
    assert match.route.path.endswith("/{conversationId}")
    assert match.path_parameters == {"conversationId": "abc d"}
    assert isinstance(ROUTER.match("GET", "/api/v1.0/consumer/conversation/a/b"), NoRoute)


def test_a_greedy_parameter_takes_the_rest_and_loses_to_a_more_specific_route() -> None:
    assert matched("DELETE", "/files/a/b/c").path_parameters == {"path": "a/b/c"}
    assert matched("GET", "/files/special/x").route.path == "/files/special/{name}"
    assert matched("POST", "/files/special/x").route.path == "/files/{path+}"


def test_a_known_path_with_another_method_lists_the_allowed_methods() -> None:
    assert ROUTER.match("DELETE", "/api/v1.0/consumer/conversation/abc") == NoRoute(("GET", "POST"))


def test_allow_lists_the_methods_of_the_most_specific_path_only() -> None:
    # /conversation/{conversationId} matches .../conversation/create too, but the static path is the one the
    # request names (OpenAPI's path item for it lists POST only)
    assert ROUTER.match("PUT", "/api/v1.0/consumer/conversation/create") == NoRoute(("POST",))
    assert ROUTER.match("OPTIONS", "/api/v1.0/consumer/conversation/create") == NoRoute(("POST",))
    # A path that only the variable route matches still lists that route's methods
    assert ROUTER.match("PUT", "/api/v1.0/consumer/conversation/abc") == NoRoute(("GET", "POST"))


def test_an_unknown_path_has_no_route_and_no_allowed_methods() -> None:
    assert ROUTER.match("GET", "/api/v1.0/consumer/conversations") == NoRoute(())


def test_methods_are_matched_case_insensitively_and_paths_exactly() -> None:
    assert matched("post", "/api/v1.0/consumer/conversation/create")
    assert isinstance(ROUTER.match("POST", "/api/v1.0/consumer/conversation/create/"), NoRoute)


@pytest.mark.parametrize("path", ["/", "/anything/at/all"])
def test_the_default_route_catches_what_nothing_else_matches(path: str) -> None:
    router = Router([route("ANY", "$default"), route("GET", "/health")])
    assert matched_in(router, "GET", "/health").route.path == "/health"
    assert matched_in(router, "POST", path).route.path == "$default"


def matched_in(router: Router, method: str, path: str) -> RouteMatch:
    match = router.match(method, path)
    assert isinstance(match, RouteMatch), match
    return match
