"""local.template: CloudFormation short tags, routes, parameters and the functions' environment."""

from pathlib import Path

import pytest

from local.dynamodb_local import REPO_ROOT
from local.template import (
    Route,
    TemplateError,
    function_environment,
    http_routes,
    layer_dirs,
    load_template,
    local_secret,
    parameter_defaults,
)
from tests.local.conftest import write_throwaway_app

SHORT_TAGS = """
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Thing:
    Properties:
      Name: !Ref Stage
      Arn: !GetAtt Table.Arn
      StreamArn: !GetAtt [Table, StreamArn]
      Url: !Sub https://${Api}.execute-api.${AWS::Region}.amazonaws.com
      Pick: !If [IsProd, !Select [0, !Split [",", !Ref Names]], none]
      Joined: !Join ["-", [a, !Ref Stage]]
      Mapped: !FindInMap {MapName: M, Key: !Ref Stage}
      Gate: !Condition IsProd
"""


def test_short_tags_load_as_their_long_form(tmp_path: Path) -> None:
    # Given a template written with short tags
    path = tmp_path / "template.yaml"
    path.write_text(SHORT_TAGS)
    # When it is loaded
    template = load_template(path)
    # Then every tag is the JSON template's long form
    properties = template["Resources"]["Thing"]["Properties"]
    assert template["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert properties["Name"] == {"Ref": "Stage"}
    assert properties["Arn"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert properties["StreamArn"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert properties["Url"] == {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.amazonaws.com"}
    assert properties["Pick"] == {
        "Fn::If": ["IsProd", {"Fn::Select": [0, {"Fn::Split": [",", {"Ref": "Names"}]}]}, "none"]
    }
    assert properties["Joined"] == {"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}
    assert properties["Mapped"] == {"Fn::FindInMap": {"MapName": "M", "Key": {"Ref": "Stage"}}}
    assert properties["Gate"] == {"Condition": "IsProd"}


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("- just a list\n")
    with pytest.raises(TemplateError, match="not a CloudFormation template"):
        load_template(path)


def test_the_projects_template_routes_every_http_event_to_a_handler() -> None:
    # Given the project's own template.yaml
    template = load_template(REPO_ROOT / "template.yaml")
    # When its routes are read
    routes = http_routes(template)
    # Then there are some, and each names a method, a path under the API and a handler in a function folder
    assert routes
    for route in routes:
        assert route.method in {"GET", "POST", "PUT", "PATCH", "DELETE", "ANY"}
        assert route.path.startswith(("/api/v1.0/consumer/", "/api/v1.0/representative/"))
        assert (REPO_ROOT / route.code_uri).is_dir()
        assert route.handler == "app.lambda_handler"
    assert "POST /api/v1.0/consumer/conversations/create" in {f"{r.method} {r.path}" for r in routes}


def test_routes_take_handler_from_globals_and_path_parameters_verbatim(tmp_path: Path) -> None:
    template = load_template(write_throwaway_app(tmp_path))
    routes = http_routes(template)
    assert (
        Route(
            method="GET",
            path="/api/v1.0/consumer/conversation/{conversationId}",
            function_id="EchoFunction",
            code_uri="functions/echo/",
            handler="app.lambda_handler",
        )
        in routes
    )
    assert {r.function_id for r in routes} == {"EchoFunction", "OtherFunction"}


def test_parameter_defaults_are_strings_and_parameters_without_default_are_absent(tmp_path: Path) -> None:
    template = load_template(write_throwaway_app(tmp_path))
    assert parameter_defaults(template) == {
        "TimeoutMinutes": "1440",
        "ConsumerScope": "messaging/conversations",
        "RepresentativeScope": "messaging/representative",
        "RequiredScope": "",
    }


def test_function_environment_merges_globals_with_the_functions_own_and_resolves_refs(tmp_path: Path) -> None:
    # Given the throw-away template, its table named locally, and no override
    template = load_template(write_throwaway_app(tmp_path))
    # When the echo function's environment is resolved
    environment = function_environment(template, "EchoFunction", {"Table": "t1-Table"}, {})
    # Then the table is its local name, the parameter its default, and !Sub is substituted
    assert environment == {"TABLE": "t1-Table", "TIMEOUT_MINUTES": "1440", "WHERE": "us-east-1/t1-Table"}


def test_a_parameter_override_wins_over_the_default(tmp_path: Path) -> None:
    template = load_template(write_throwaway_app(tmp_path))
    environment = function_environment(template, "OtherFunction", {"Table": "T"}, {"TimeoutMinutes": "2"})
    assert environment == {"TABLE": "T", "TIMEOUT_MINUTES": "2"}


def test_a_ref_with_no_local_value_names_the_way_to_give_one(tmp_path: Path) -> None:
    # Given a function whose environment refers to a parameter without default
    template = load_template(write_throwaway_app(tmp_path))
    template["Globals"]["Function"]["Environment"]["Variables"]["ISSUER"] = {"Ref": "Issuer"}
    # When it is resolved without an override, Then the error says how to pass one
    with pytest.raises(TemplateError, match=r"--param Issuer=<value>.*PARAM_Issuer"):
        function_environment(template, "EchoFunction", {"Table": "T"}, {})


def test_the_projects_functions_see_their_tables_by_local_name() -> None:
    template = load_template(REPO_ROOT / "template.yaml")
    tables = {"ConversationsTable": "p-Conv", "ContactsTable": "p-Cont", "IdempotencyTable": "p-Idem"}
    tables["ChannelsTable"] = "p-Chan"
    function_id = http_routes(template)[0].function_id
    environment = function_environment(template, function_id, tables, {"OpenTimeoutMinutes": "2"})
    assert environment["CONVERSATIONS_TABLE"] == "p-Conv"
    assert environment["OPEN_TIMEOUT_MINUTES"] == "2"
    # A secret the stack generates is a fixed local stand-in; a queue is the local engine's URL
    assert environment["ID_SECRET"] == local_secret("IdSecret")
    queued = function_environment(template, function_id, tables, {}, {"WebhookQueue": "http://q/1"})
    assert queued["WEBHOOK_QUEUE_URL"] == "http://q/1"
    assert layer_dirs(template, function_id) == ["layers/shared/"]
