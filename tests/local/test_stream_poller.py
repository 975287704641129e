"""The dev server consumes a DynamoDB Local stream as Lambda's event source mapping would: from LATEST,
filtered, in batches, in order, retried from the first failed record, given up to the OnFailure
destination."""

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from local.dev_server import DevServer
from local.dynamodb_local import DynamoDBLocal, dynamodb_streams_client
from local.event_sources.definitions import StreamDefinition
from local.event_sources.dynamodb_stream import DynamoDBStreamSource
from local.event_sources.on_failure import OnFailureDestination
from local.tables import create_tables
from local.template import load_template
from tests.local.event_source_app import STREAM_TEMPLATE, eventually, logged, write_app

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Stream:
    def __init__(self, server: DevServer, dynamodb: "DynamoDBClient", log_dir: Path, failures: Path) -> None:
        self.server, self.dynamodb, self.log_dir, self.failures = server, dynamodb, log_dir, failures

    def put(self, pk: str, kind: str = "wanted") -> None:
        table = self.server.table_names["Table"]
        self.dynamodb.put_item(TableName=table, Item={"pk": {"S": pk}, "kind": {"S": kind}})

    def batches(self, count: int) -> list[list[str]]:
        """The keys of each batch the function got, once it got `count` batches."""
        path = self.log_dir / "batches.jsonl"
        batches: list[list[str]] = eventually(
            lambda: lines if len(lines := logged(path)) >= count else None, f"{count} batches in {path}"
        )
        return batches

    def given_up(self) -> dict[str, Any]:
        folder = self.failures / "FailedQueue"
        path = eventually(lambda: next(iter(sorted(folder.glob("*.json"))), None), f"a file in {folder}")
        document: dict[str, Any] = json.loads(path.read_text())
        return document


@pytest.fixture
def stream(
    dynamodb_local: DynamoDBLocal, dynamodb: "DynamoDBClient", tmp_path: Path, table_prefix: str
) -> Iterator[Stream]:
    template = write_app(tmp_path / "app", STREAM_TEMPLATE)
    log_dir, failures = tmp_path / "log", tmp_path / "on-failure"
    log_dir.mkdir()
    # Written before the server starts: LATEST must never deliver it.
    table = create_tables(dynamodb, load_template(template), table_prefix)["Table"]
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "before-start"}, "kind": {"S": "wanted"}})
    server = DevServer(
        template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"LogDir": str(log_dir)},
        table_prefix=table_prefix,
        workers=1,  # the consumer runs in a worker process, as the dev server runs it
        on_failure_dir=failures,
    )
    with server:
        yield Stream(server, dynamodb, log_dir, failures)
    dynamodb.delete_table(TableName=table)


def test_only_records_passing_the_filter_arrive_in_order_and_a_failed_one_is_retried_from_there(
    stream: Stream,
) -> None:
    # Given wanted inserts, with records the filter rejects in between (another kind, a MODIFY)
    stream.put("w1")
    stream.put("u1", kind="unwanted")
    stream.put("fail-once-2")
    stream.put("w1", kind="wanted")  # a MODIFY of w1: only INSERTs pass
    stream.put("w3")
    # When the function reports fail-once-2 as failed the first time
    batches = stream.batches(2)
    # Then the batch of the three wanted records is retried from fail-once-2 on, and nothing else came
    assert batches == [["w1", "fail-once-2", "w3"], ["fail-once-2", "w3"]]
    assert not list(stream.failures.glob("**/*.json"))


def test_records_still_failing_after_the_retries_go_to_the_on_failure_destination(stream: Stream) -> None:
    # Given a batch with a record the function always reports as failed
    for key in ("a1", "always-fail-2", "a3"):
        stream.put(key)
    # When the two retries the template allows are spent
    given_up = stream.given_up()
    # Then the batch was delivered once and retried twice from the failed record, which was then given up
    assert stream.batches(3) == [
        ["a1", "always-fail-2", "a3"],
        ["always-fail-2", "a3"],
        ["always-fail-2", "a3"],
    ]
    info = given_up["DDBStreamBatchInfo"]
    records = given_up["local"]["records"]
    assert (info["batchSize"], given_up["requestContext"]["condition"]) == (2, "RetryAttemptsExhausted")
    assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in records] == ["always-fail-2", "a3"]
    assert info["startSequenceNumber"] == records[0]["dynamodb"]["SequenceNumber"]
    assert info["streamArn"] == records[0]["eventSourceARN"]


def test_a_function_error_bisects_the_batch_until_the_bad_record_is_given_up_alone(stream: Stream) -> None:
    # Given a batch with a record that makes the function raise
    for key in ("b1", "explode-2", "b3"):
        stream.put(key)
    # When the function fails on every batch holding it
    given_up = stream.given_up()
    # Then the batch is split in halves, and halves again, until the bad record fails alone and is given up
    assert stream.batches(5) == [
        ["b1", "explode-2", "b3"],
        ["b1"],
        ["explode-2", "b3"],
        ["explode-2"],
        ["b3"],
    ]
    assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in given_up["local"]["records"]] == ["explode-2"]
    assert "the function failed" in given_up["local"]["error"]


def test_the_banner_describes_the_stream_source(stream: Stream) -> None:
    assert stream.server.event_sources is not None
    (line,) = stream.server.event_sources.describe()
    assert line.startswith("ConsumerFunction <- DynamoDB stream of Table (Changes): LATEST, batch 3")
    assert "ReportBatchItemFailures" in line and "on failure: SQS FailedQueue" in line


def test_from_trim_horizon_the_first_record_arrives_even_after_writes_to_other_tables(
    dynamodb_local: DynamoDBLocal, dynamodb: "DynamoDBClient", tmp_path: Path, table_prefix: str
) -> None:
    # Given a consumer reading an empty table's stream from TRIM_HORIZON (as the product's consumers do)
    template = write_app(
        tmp_path / "app",
        STREAM_TEMPLATE.replace("StartingPosition: LATEST", "StartingPosition: TRIM_HORIZON"),
    )
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    tables = create_tables(dynamodb, load_template(template), table_prefix)
    other = create_tables(dynamodb, load_template(template), f"{table_prefix}other-")["Table"]
    server = DevServer(
        template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"LogDir": str(log_dir)},
        table_prefix=table_prefix,
        workers=1,
        on_failure_dir=tmp_path / "on-failure",
    )
    with server:
        stream = Stream(server, dynamodb, log_dir, tmp_path / "on-failure")
        # When another table is written first (DynamoDB Local numbers stream records across tables), then
        # the consumer's table
        dynamodb.put_item(TableName=other, Item={"pk": {"S": "elsewhere"}, "kind": {"S": "wanted"}})
        for key in ("t1", "t2", "t3"):
            stream.put(key)
        # Then its records still arrive, the first one included
        assert stream.batches(1) == [["t1", "t2", "t3"]]
    for table in (tables["Table"], other):
        dynamodb.delete_table(TableName=table)


@pytest.mark.parametrize("position", ["TRIM_HORIZON", "LATEST"])
def test_a_shard_whose_first_record_follows_another_table_s_write_is_read(
    dynamodb_local: DynamoDBLocal,
    dynamodb: "DynamoDBClient",
    tmp_path: Path,
    table_prefix: str,
    position: str,
) -> None:
    # Given a source on an empty table's stream, polled once (DynamoDB Local numbers records across tables)
    template = load_template(write_app(tmp_path / "app", STREAM_TEMPLATE))
    table = create_tables(dynamodb, template, table_prefix)["Table"]
    other = create_tables(dynamodb, template, table_prefix + "other-")["Table"]
    definition = StreamDefinition("ConsumerFunction", "Changes", "Table", position)
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    destination = OnFailureDestination("ConsumerFunction", None, None, tmp_path)
    source = DynamoDBStreamSource(
        definition,
        dynamodb_streams_client(dynamodb_local.endpoint),
        stream_arn,
        destination,
        poll_interval=0.05,
    )
    source.start()
    stop = threading.Event()
    assert source.next_batch(stop) is None
    # When another table is written before this one gets its first record
    dynamodb.put_item(TableName=other, Item={"pk": {"S": "elsewhere"}})
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "first"}})
    # Then the record arrives (DynamoDB Local calls the first read "trimmed"; the source reads on)
    batch = eventually(lambda: source.next_batch(stop), "a batch")
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in batch.event["Records"]] == ["first"]
    for name in (table, other):
        dynamodb.delete_table(TableName=name)
