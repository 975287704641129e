"""FilterCriteria patterns, matched as Lambda's event filtering (EventBridge patterns) matches them."""

from typing import Any

import pytest

from local.dynamodb_local import REPO_ROOT
from local.event_sources.definitions import read_definitions
from local.event_sources.filters import FilterError, RecordFilter
from local.event_sources.stream_records import TTL_IDENTITY, lambda_record
from local.template import load_template

RECORD: dict[str, Any] = {
    "eventName": "REMOVE",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    "dynamodb": {"Keys": {"sk": {"S": "#STATE"}}, "SizeBytes": 42},
    "tags": ["a", "b"],
    "nothing": None,
    "empty": "",
}


def matches(pattern: str, record: dict[str, Any] = RECORD) -> bool:
    return RecordFilter([pattern])(record)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{"eventName": ["REMOVE"]}', True),
        ('{"eventName": ["INSERT", "REMOVE"]}', True),
        ('{"eventName": ["INSERT"]}', False),
        ('{"eventName": ["remove"]}', False),
        ('{"dynamodb": {"Keys": {"sk": {"S": ["#STATE"]}}}}', True),
        ('{"dynamodb": {"Keys": {"sk": {"S": ["#LOCK"]}}}}', False),
        ('{"dynamodb": {"Keys": {"pk": {"S": ["#STATE"]}}}}', False),
        ('{"eventName": {"nested": ["x"]}}', False),
        ('{"tags": ["b"]}', True),
        ('{"tags": ["c"]}', False),
        ('{"nothing": [null]}', True),
        ('{"missing": [null]}', False),
        ('{"empty": [""]}', True),
        ('{"dynamodb": {"SizeBytes": [42.0]}}', True),
        ('{"dynamodb": {"SizeBytes": ["42"]}}', False),
    ],
)
def test_values(pattern: str, expected: bool) -> None:
    assert matches(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{"eventName": [{"prefix": "REM"}]}', True),
        ('{"eventName": [{"prefix": "INS"}]}', False),
        ('{"eventName": [{"suffix": "OVE"}]}', True),
        ('{"eventName": [{"equals-ignore-case": "remove"}]}', True),
        ('{"eventName": [{"anything-but": "INSERT"}]}', True),
        ('{"eventName": [{"anything-but": ["INSERT", "REMOVE"]}]}', False),
        ('{"eventName": [{"anything-but": {"prefix": "REM"}}]}', False),
        ('{"missing": [{"anything-but": "x"}]}', False),
        ('{"userIdentity": {"type": [{"exists": true}]}}', True),
        ('{"userIdentity": {"kind": [{"exists": true}]}}', False),
        ('{"userIdentity": {"kind": [{"exists": false}]}}', True),
        ('{"userIdentity": {"type": [{"exists": false}]}}', False),
        ('{"userIdentity": [{"exists": true}]}', False),  # exists matches leaves only
        ('{"dynamodb": {"SizeBytes": [{"numeric": [">", 40, "<=", 42]}]}}', True),
        ('{"dynamodb": {"SizeBytes": [{"numeric": ["<", 42]}]}}', False),
        ('{"eventName": [{"numeric": ["=", 1]}]}', False),
        ('{"$or": [{"eventName": ["INSERT"]}, {"tags": ["a"]}]}', True),
        ('{"$or": [{"eventName": ["INSERT"]}, {"tags": ["z"]}]}', False),
    ],
)
def test_operators(pattern: str, expected: bool) -> None:
    assert matches(pattern) is expected


def test_a_record_passes_when_any_filter_matches_and_every_record_without_filters() -> None:
    assert RecordFilter(['{"eventName": ["INSERT"]}', '{"eventName": ["REMOVE"]}'])(RECORD)
    assert RecordFilter([])(RECORD)


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ('{"eventName": [{"wildcard": "R*"}]}', "'wildcard' is not supported"),
        ('{"eventName": [{"cidr": "10.0.0.0/24"}]}', "'cidr' is not supported"),
        ('{"eventName": "REMOVE"}', "must be a list"),
        ('{"eventName": []}', "empty list"),
        ('{"eventName": [{"prefix": 1}]}', "prefix takes a string"),
        ('{"eventName": [{"numeric": ["~", 1]}]}', "numeric comparison"),
        ('{"eventName": [{"prefix": "a", "suffix": "b"}]}', "exactly one operator"),
        ('["REMOVE"]', "not a JSON object"),
        ("{eventName", "not JSON"),
    ],
)
def test_patterns_the_local_filter_does_not_understand_are_refused_by_name(pattern: str, says: str) -> None:
    with pytest.raises(FilterError, match=says):
        RecordFilter([pattern])


def dynamodb_local_record(event_name: str, sk: str, **extra: Any) -> dict[str, Any]:
    """A record as DynamoDB Local's GetRecords returns it (through boto3)."""
    keys = {"pk": {"S": "TENANT#t#CONVERSATION#c"}, "sk": {"S": sk}}
    return {
        "eventID": "1",
        "eventName": event_name,
        "dynamodb": {"Keys": keys, "SequenceNumber": "7"},
        **extra,
    }


def test_the_templates_purge_filter_passes_only_ttl_removals_of_a_conversations_state() -> None:
    # Given the purge consumer's filter, as template.yaml has it
    streams = read_definitions(load_template(REPO_ROOT / "template.yaml")).streams
    (purge,) = [stream for stream in streams if stream.function_id == "PurgeConversationsFunction"]
    passes = RecordFilter(purge.filter_patterns)

    def seen(raw: dict[str, Any]) -> bool:
        return passes(lambda_record(raw, "arn:stream"))

    # Then a TTL deletion of a #STATE passes, as DynamoDB Local sends it too (REMOVE + identity restored)
    assert seen(dynamodb_local_record("UNKNOWN_TO_SDK_VERSION", "#STATE"))
    assert seen(dynamodb_local_record("REMOVE", "#STATE", userIdentity=TTL_IDENTITY))
    # And our own deletions, TTL deletions of other items and other changes do not
    assert not seen(dynamodb_local_record("REMOVE", "#STATE"))
    assert not seen(dynamodb_local_record("UNKNOWN_TO_SDK_VERSION", "#LOCK"))
    assert not seen(dynamodb_local_record("MODIFY", "#STATE"))
