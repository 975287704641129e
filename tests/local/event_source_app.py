"""Throw-away apps for the event source tests: a scheduled function, and a stream consumer whose records
say how it should behave (their pk's prefix), each logging what it received to files under LOG_DIR."""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEDULE_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  LogDir: {Type: String}
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Environment: {Variables: {LOG_DIR: !Ref LogDir}}
Resources:
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/tick/
      Timeout: 30
      Events:
        Plain: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 minute)}}
        WithInput:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(5 minutes), Input: '{"job": "report"}'}
        Rule: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
        Off: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 minute), State: DISABLED}}
"""

STREAM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  LogDir: {Type: String}
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Environment: {Variables: {LOG_DIR: !Ref LogDir}}
Resources:
  ConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/consumer/
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            # Three records make a batch; the window is long enough never to cut one short in a test.
            BatchSize: 3
            MaximumBatchingWindowInSeconds: 300
            MaximumRetryAttempts: 2
            BisectBatchOnFunctionError: true
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt FailedQueue.Arn}}
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["wanted"]}}}}'
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  FailedQueue:
    Type: AWS::SQS::Queue
"""

TICK_HANDLER = """
import json
import os


def lambda_handler(event, context):
    line = {"event": event, "function": context.function_name, "pid": os.getpid()}
    with open(os.path.join(os.environ["LOG_DIR"], "ticks.jsonl"), "a") as log:
        log.write(json.dumps(line) + "\\n")
"""

# pk prefixes: fail-once (reported failed on its first delivery), always-fail (reported failed every time),
# explode (the function raises while it is in the batch); anything else succeeds.
CONSUMER_HANDLER = """
import json
import os


def lambda_handler(event, context):
    directory = os.environ["LOG_DIR"]
    keys = [record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"]]
    with open(os.path.join(directory, "batches.jsonl"), "a") as log:
        log.write(json.dumps(keys) + "\\n")
    if any(key.startswith("explode") for key in keys):
        raise RuntimeError("the function failed")
    failed = []
    for key, record in zip(keys, event["Records"]):
        marker = os.path.join(directory, "failed-" + key)
        if key.startswith("always-fail") or (key.startswith("fail-once") and not os.path.exists(marker)):
            open(marker, "a").close()
            failed.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failed}
"""


def write_app(root: Path, template: str) -> Path:
    for folder, source in (("functions/tick", TICK_HANDLER), ("functions/consumer", CONSUMER_HANDLER)):
        (root / folder).mkdir(parents=True)
        (root / folder / "app.py").write_text(source)
    path = root / "template.yaml"
    path.write_text(template)
    return path


def logged(path: Path) -> list[Any]:
    """The JSON lines a function appended to `path` so far."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def eventually[T](probe: Callable[[], T | None], what: str, timeout_s: float = 60.0) -> T:
    """Polls `probe` until it returns something (not None, not False); fails after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = probe()
        if answer is not None and answer is not False:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.05)  # poll interval; the loop ends on the awaited state, not on time
