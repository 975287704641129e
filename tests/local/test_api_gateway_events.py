"""local.events: payload format 2.0 events as API Gateway builds them, and a Lambda context."""

import json
import re
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from local.events import http_api_event, lambda_context

CONVERSATION = "/api/v1.0/consumer/conversation/{conversationId}"
PATH = "/api/v1.0/consumer/conversation/0b6c5ab0-8a1b-4c3e-9d55-2f1f7c1e0a11"


def activity_event(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "method": "post",
        "raw_path": PATH,
        "route_key_path": CONVERSATION,
        "path_parameters": {"conversationId": "0b6c5ab0-8a1b-4c3e-9d55-2f1f7c1e0a11"},
        "headers": [
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "curl/8"),
        ],
        "body": b'{"type": "endOfConversation"}',
        "claims": {"client_id": "acme", "exp": 1_900_000_000, "aud": ["a", "b"], "admin": False},
        "now": 1_700_000_000.123,
    }
    arguments.update(overrides)
    return http_api_event(**arguments)


def test_the_event_has_the_payload_2_0_shape() -> None:
    event = activity_event()
    assert event["version"] == "2.0"
    assert event["routeKey"] == f"POST {CONVERSATION}"
    assert (event["rawPath"], event["rawQueryString"]) == (PATH, "")
    assert event["pathParameters"] == {"conversationId": "0b6c5ab0-8a1b-4c3e-9d55-2f1f7c1e0a11"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"type": "endOfConversation"}', False)
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": PATH,
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert (context["routeKey"], context["stage"]) == (f"POST {CONVERSATION}", "$default")
    assert (context["domainName"], context["accountId"], context["apiId"]) == (
        "127.0.0.1:3000",
        "123456789012",
        "local",
    )
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert context["timeEpoch"] == 1_700_000_000_123
    assert re.fullmatch(r"[0-9a-f-]{36}", context["requestId"])
    assert "queryStringParameters" not in event
    assert "cookies" not in event


def test_an_any_route_s_event_names_the_route_not_the_request_method() -> None:
    # As API Gateway's routeKey: the route's key ("ANY /path"); requestContext.http.method is the request's
    create = "/api/v1.0/consumer/conversation/create"
    event = activity_event(method="get", route_key_path=create, route_method="ANY")
    assert event["routeKey"] == event["requestContext"]["routeKey"] == f"ANY {create}"
    assert event["requestContext"]["http"]["method"] == "GET"


def test_claims_are_strings_the_way_the_jwt_authorizer_passes_them() -> None:
    authorizer = activity_event()["requestContext"]["authorizer"]
    assert authorizer == {
        "jwt": {
            "claims": {"client_id": "acme", "exp": "1900000000", "aud": "[a b]", "admin": "false"},
            "scopes": None,
        }
    }


def test_without_claims_there_is_no_authorizer() -> None:
    assert "authorizer" not in activity_event(claims=None)["requestContext"]


def test_headers_are_lower_case_and_repeats_are_comma_joined_while_cookies_get_their_own_list() -> None:
    event = activity_event(
        headers=[("X-Trace", "a"), ("x-trace", "b"), ("Cookie", "s=1; t=2"), ("Cookie", "u=3")]
    )
    assert event["headers"] == {"x-trace": "a,b"}
    assert event["cookies"] == ["s=1", "t=2", "u=3"]


def test_a_headers_mapping_is_accepted_too() -> None:
    assert activity_event(headers={"Content-Type": "text/plain"})["headers"] == {"content-type": "text/plain"}


def test_query_string_stays_raw_and_its_parameters_are_decoded_and_comma_joined() -> None:
    event = activity_event(query_string="a=1&a=2&b=x%20y&c=")
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y&c="
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "c": ""}


def test_a_body_that_is_not_utf8_is_base64_encoded() -> None:
    event = activity_event(body=b"\xff\xfe\x00")
    assert (event["body"], event["isBase64Encoded"]) == ("//4A", True)


def test_an_empty_body_and_no_path_parameters_leave_their_keys_out() -> None:
    event = activity_event(method="GET", body=b"", path_parameters={})
    assert "body" not in event
    assert "pathParameters" not in event
    assert event["isBase64Encoded"] is False


def test_every_event_has_its_own_request_id() -> None:
    ids = {activity_event()["requestContext"]["requestId"] for _ in range(50)}
    assert len(ids) == 50


def test_the_default_route_has_the_default_route_key() -> None:
    event = activity_event(route_key_path="$default")
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "$default"


def test_powertools_logger_reads_the_local_lambda_context(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a handler decorated the way the functions are
    logger = Logger(service="local-tests")

    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> int:
        logger.info("handled")
        return int(context.get_remaining_time_in_millis())

    context = lambda_context("CreateConversationFunction", timeout_seconds=10)
    # When it runs with the local context
    remaining = handler({}, context)
    # Then the log line carries the context's fields, and time remains
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["function_name"] == "CreateConversationFunction"
    assert line["function_request_id"] == context.aws_request_id
    assert line["function_arn"].endswith(":function:CreateConversationFunction")
    assert line["function_memory_size"] == 256
    assert 0 < remaining <= 10_000
