"""What template.yaml promises, read from the template itself: least privilege, data safety, local-only
switches that can never be on in a deployed stack."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.harness import REPO, TEMPLATE

RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
TABLES = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::DynamoDB::Table"}
LOG_GROUPS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Logs::LogGroup"}
QUEUES = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::SQS::Queue"}
TOPICS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::SNS::Topic"}
NO_VALUE = {"Ref": "AWS::NoValue"}
# The optional customer-managed key (KmsKeyArn): the key's ARN when given, else what stands in its place.
CMK_OR_NOTHING = {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, NO_VALUE]}
# The one policy entry besides inline statements: use of that key, attached only when it is given.
CMK_POLICY = {"Fn::If": ["HasKmsKey", {"Ref": "CustomerManagedKeyPolicy"}, NO_VALUE]}

# The DynamoDB actions each function's code performs, and on which tables: nothing more may be granted.
EXPECTED_DYNAMODB_GRANTS = {
    "CreateConversationFunction": {
        ("ConversationsTable", "dynamodb:BatchGetItem"),
        ("ConversationsTable", "dynamodb:PutItem"),
        ("ConversationsTable", "dynamodb:UpdateItem"),
        ("ContactsTable", "dynamodb:BatchGetItem"),
        ("ContactsTable", "dynamodb:PutItem"),
        ("IdempotencyTable", "dynamodb:GetItem"),
        ("IdempotencyTable", "dynamodb:PutItem"),
        ("IdempotencyTable", "dynamodb:UpdateItem"),
        ("IdempotencyTable", "dynamodb:DeleteItem"),
    },
    "ConsumerActivityFunction": {
        ("ConversationsTable", "dynamodb:UpdateItem"),
        ("ConversationsTable", "dynamodb:PutItem"),
        ("ConversationsTable", "dynamodb:DeleteItem"),
        ("ConversationsTable", "dynamodb:GetItem"),
    },
    "GetTranscriptFunction": {
        ("ConversationsTable", "dynamodb:Query"),
        ("ConversationsTable", "dynamodb:GetItem"),
    },
    "GetContextFunction": {("ConversationsTable", "dynamodb:GetItem")},
    "ChannelSettingsFunction": {
        ("ChannelsTable", "dynamodb:GetItem"),
        ("ChannelsTable", "dynamodb:UpdateItem"),
    },
    "DispatchWebhooksFunction": set(),
    "DeliverWebhooksFunction": {
        ("ChannelsTable", "dynamodb:GetItem"),
        ("ConversationsTable", "dynamodb:GetItem"),
    },
    "GetConversationFunction": {("ConversationsTable", "dynamodb:Query")},
    "ListConversationsFunction": {("ConversationsTable/index/live", "dynamodb:Query")},
    "RepresentativeConversationsFunction": {
        ("ConversationsTable/index/byStatus", "dynamodb:Query"),
        ("ConversationsTable/index/byRepresentative", "dynamodb:Query"),
    },
    "RepresentativeConversationFunction": {("ConversationsTable", "dynamodb:Query")},
    "RepresentativeActivityFunction": {
        ("ConversationsTable", "dynamodb:UpdateItem"),
        ("ConversationsTable", "dynamodb:PutItem"),
        ("ConversationsTable", "dynamodb:DeleteItem"),
    },
    "TimeoutSweeperFunction": {
        ("ConversationsTable/index/due", "dynamodb:Query"),
        ("ConversationsTable", "dynamodb:UpdateItem"),
        ("ConversationsTable", "dynamodb:DeleteItem"),
    },
    "PurgeConversationsFunction": {
        ("ConversationsTable", "dynamodb:Query"),
        ("ConversationsTable", "dynamodb:BatchWriteItem"),
    },
}


def _resources_of(statement: dict[str, Any]) -> list[str]:
    resources = statement["Resource"]
    resources = resources if isinstance(resources, list) else [resources]
    tables = []
    for resource in resources:
        if isinstance(resource, dict) and "Fn::Sub" in resource:
            # An index: !Sub ${Table.Arn}/index/<name>
            table, _, index = resource["Fn::Sub"].removeprefix("${").partition(".Arn}")
            tables.append(table + index)
            continue
        assert isinstance(resource, dict) and "Fn::GetAtt" in resource, f"not a table reference: {resource}"
        target = resource["Fn::GetAtt"]
        target = target.split(".") if isinstance(target, str) else target
        tables.append(target[0])
    return tables


def _dynamodb_grants(function: dict[str, Any]) -> set[tuple[str, str]]:
    grants = set()
    for policy in function["Properties"].get("Policies", []):
        if policy == CMK_POLICY:
            continue  # KMS only (checked below)
        assert isinstance(policy, dict) and "Statement" in policy, f"only inline statements, not {policy}"
        for statement in policy["Statement"]:
            actions = [a for a in statement["Action"] if a.startswith("dynamodb:")]
            if actions:
                assert statement["Effect"] == "Allow"
                grants |= {(table, action) for table in _resources_of(statement) for action in actions}
    return grants


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_is_granted_exactly_the_dynamodb_actions_it_uses(name: str) -> None:
    assert _dynamodb_grants(FUNCTIONS[name]) == EXPECTED_DYNAMODB_GRANTS[name]


def test_no_wildcards_and_no_managed_crud_policies() -> None:
    text = repr(TEMPLATE)
    assert "DynamoDBCrudPolicy" not in text and "dynamodb:*" not in text


def test_every_table_is_safe_to_keep() -> None:
    for name, table in TABLES.items():
        properties = table["Properties"]
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain", name
        assert properties["BillingMode"] == "PAY_PER_REQUEST", name
        assert properties["SSESpecification"]["SSEEnabled"] is True, name
        assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
        assert properties["DeletionProtectionEnabled"] is True, name


def test_only_locks_and_purgeable_records_carry_ttl_and_contacts_never_expire() -> None:
    assert TABLES["ConversationsTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"] == "ttl"
    assert "TimeToLiveSpecification" not in TABLES["ContactsTable"]["Properties"]


def test_the_api_requires_the_jwt_authorizer_by_default_and_is_throttled_and_logged() -> None:
    api = RESOURCES["MessagingApi"]["Properties"]
    authorizer = api["Auth"]["Authorizers"][api["Auth"]["DefaultAuthorizer"]]
    expected = {"issuer": {"Ref": "JwtIssuer"}, "audience": {"Ref": "JwtAudience"}}
    assert authorizer["JwtConfiguration"] == expected
    assert set(api["DefaultRouteSettings"]) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    assert "DestinationArn" in api["AccessLogSettings"]
    for function in FUNCTIONS.values():
        for event in function["Properties"].get("Events", {}).values():
            # A route may name its scopes; none may name another authorizer (or NONE) and opt out.
            assert set(event["Properties"].get("Auth", {})) <= {"AuthorizationScopes"}


def test_the_local_only_switches_are_never_set_by_the_template() -> None:
    # Unverified tokens (sam local) and webhooks to 127.0.0.1 (a developer's receiver) are local runs' only.
    assert "AWS_SAM_LOCAL" not in repr(TEMPLATE)
    assert "LOCAL_WEBHOOKS_ALLOWED" not in repr(TEMPLATE)


def test_runtime_architecture_and_layer_build_for_arm64() -> None:
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert TEMPLATE["Parameters"]["Architecture"]["Default"] == "arm64"
    assert RESOURCES["SharedLayer"]["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}


def test_every_function_has_a_log_group_with_retention() -> None:
    groups = [r for r in RESOURCES.values() if r["Type"] == "AWS::Logs::LogGroup"]
    named = {str(g["Properties"].get("LogGroupName")) for g in groups}
    for name in FUNCTIONS:
        assert any(name in group for group in named), name
    assert all("RetentionInDays" in g["Properties"] for g in groups)


def test_alarms_watch_5xx_throttles_the_stream_consumer_and_its_failure_queue() -> None:
    alarms = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    watched = {a.get("MetricName") for a in alarms} | {
        m["MetricStat"]["Metric"]["MetricName"]
        for a in alarms
        for m in a.get("Metrics", [])
        if "MetricStat" in m
    }
    assert {"5xx", "Throttles", "Errors", "IteratorAge", "ApproximateNumberOfMessagesVisible"} <= watched
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)


def test_every_consumer_route_requires_the_consumer_scope() -> None:
    assert TEMPLATE["Parameters"]["ConsumerScope"]["Default"] == "messaging/conversations"
    routes = [
        event["Properties"]
        for function in FUNCTIONS.values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and event["Properties"]["Path"].startswith("/api/v1.0/consumer/")
    ]
    assert routes
    # Required by API Gateway unless ScopeClaim=roles moves the check into the functions (tests/local)
    in_roles = {"Fn::If": ["ScopesInRoles", {"Ref": "AWS::NoValue"}, {"Ref": "ConsumerScope"}]}
    assert all(route["Auth"]["AuthorizationScopes"] == [in_roles] for route in routes)


def test_the_tenant_is_one_claim_named_by_a_parameter_and_logged_as_such() -> None:
    assert TEMPLATE["Parameters"]["TenantClaim"]["Default"] == "client_id"
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["TENANT_CLAIM"] == {
        "Ref": "TenantClaim"
    }
    log_format = RESOURCES["MessagingApi"]["Properties"]["AccessLogSettings"]["Format"]["Fn::Sub"]
    assert '"tenant":"$context.authorizer.claims.${TenantClaim}"' in log_format


def test_the_optional_customer_managed_key_reaches_every_table_log_group_queue_and_topic() -> None:
    assert TEMPLATE["Parameters"]["KmsKeyArn"]["Default"] == ""
    assert TEMPLATE["Conditions"]["HasKmsKey"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "KmsKeyArn"}, ""]}]}
    for name, table in TABLES.items():
        sse = table["Properties"]["SSESpecification"]
        # Without the key: SSEEnabled alone, the AWS-managed key, exactly as before the parameter existed.
        assert sse == {
            "SSEEnabled": True,
            "SSEType": {"Fn::If": ["HasKmsKey", "KMS", NO_VALUE]},
            "KMSMasterKeyId": CMK_OR_NOTHING,
        }, name
    for name, group in LOG_GROUPS.items():
        assert group["Properties"]["KmsKeyId"] == CMK_OR_NOTHING, name
    for name, queue in QUEUES.items():
        expected = {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, "alias/aws/sqs"]}
        assert queue["Properties"]["KmsMasterKeyId"] == expected, name
        assert "SqsManagedSseEnabled" not in queue["Properties"], name
    for name, topic in TOPICS.items():
        # Never alias/aws/sns: CloudWatch alarms cannot publish to a topic under that key.
        assert topic["Properties"]["KmsMasterKeyId"] == CMK_OR_NOTHING, name


def test_every_function_may_use_the_customer_managed_key_through_dynamodb_and_sqs_only() -> None:
    for name, function in FUNCTIONS.items():
        assert CMK_POLICY in function["Properties"]["Policies"], name
    policy = RESOURCES["CustomerManagedKeyPolicy"]
    assert policy["Condition"] == "HasKmsKey"
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Resource"] == {"Ref": "KmsKeyArn"}
    assert statement["Condition"] == {
        "StringEquals": {
            "kms:ViaService": [
                {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"},
                {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"},
            ]
        }
    }


def test_the_api_s_conversation_writers_take_the_optional_reserved_concurrency() -> None:
    assert TEMPLATE["Parameters"]["ReservedConcurrency"]["Default"] == ""
    capped = {
        name
        for name, function in FUNCTIONS.items()
        if function["Properties"].get("ReservedConcurrentExecutions")
        == {"Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, NO_VALUE]}
    }
    writers = {
        name
        for name, function in FUNCTIONS.items()
        if any(event["Type"] == "HttpApi" for event in function["Properties"]["Events"].values())
        and any(
            table == "ConversationsTable" and action.endswith(("PutItem", "UpdateItem"))
            for table, action in EXPECTED_DYNAMODB_GRANTS[name]
        )
    }
    assert (
        capped
        == writers
        == {
            "CreateConversationFunction",
            "ConsumerActivityFunction",
            "RepresentativeActivityFunction",
        }
    )


def test_snapstart_is_a_parameter_off_by_default_for_every_api_function_and_only_those() -> None:
    parameter = TEMPLATE["Parameters"]["SnapStart"]
    assert parameter["Default"] == "Off"  # a string: YAML would read a bare Off as false
    assert parameter["AllowedValues"] == ["Off", "PublishedVersions"]
    on = {"Fn::Equals": [{"Ref": "SnapStart"}, "PublishedVersions"]}
    assert TEMPLATE["Conditions"]["HasSnapStart"] == on
    snapstart = {
        name
        for name, function in FUNCTIONS.items()
        if function["Properties"].get("SnapStart")
        == {"ApplyOn": {"Fn::If": ["HasSnapStart", "PublishedVersions", "None"]}}
        # SnapStart applies to published versions only: the routes must call the alias, on or off.
        and function["Properties"].get("AutoPublishAlias") == "live"
    }
    api = {
        name
        for name, function in FUNCTIONS.items()
        if any(event["Type"] == "HttpApi" for event in function["Properties"]["Events"].values())
    }
    assert snapstart == api
    assert not any("SnapStart" in FUNCTIONS[name]["Properties"] for name in FUNCTIONS.keys() - api)


# checkov reads `checkov:skip=<ID>[,<ID>...][: reason]` in a resource's lines; `make checkov` fails on any
# check that is neither met nor skipped there.
CHECKOV_SKIP = re.compile(r"#\s*checkov:skip=(?P<ids>[A-Z][A-Z0-9_]*(?:,[A-Z][A-Z0-9_]*)*):(?P<reason>.*)$")


def test_every_checkov_skip_in_the_template_gives_its_reason() -> None:
    lines = (REPO / "template.yaml").read_text(encoding="utf-8").splitlines()
    skips = [(number, line) for number, line in enumerate(lines, 1) if "checkov:" in line]
    assert skips, "the template's accepted checkov findings are gone: update this test and the README"
    for number, line in skips:
        match = CHECKOV_SKIP.search(line)
        assert match, f"template.yaml:{number}: not a `# checkov:skip=<ID>: <reason>` comment: {line.strip()}"
        reason = match["reason"].strip()
        assert len(reason) >= 20, f"template.yaml:{number}: {match['ids']} needs a reason, not {reason!r}"
