"""The template's event sources other than HttpApi, read into plain definitions (nothing kept by hand).

Values may be literals or `!Ref <Parameter>` (parameter defaults and the dev server's overrides). Event
types the dev server cannot run are reported, not fatal: the banner lists them as not run locally.
"""

from dataclasses import dataclass, field
from typing import Any

from local.template import Template, TemplateError, parameter_defaults, resources_of_type

SCHEDULE_TYPES = ("Schedule", "ScheduleV2")
LOCAL_TYPES = ("HttpApi", *SCHEDULE_TYPES, "DynamoDB", "SQS")


class EventSourceError(TemplateError):
    """An event source of the template that the dev server cannot run as written."""


@dataclass(frozen=True)
class ScheduleDefinition:
    function_id: str
    event_name: str
    event_type: str  # Schedule (an EventBridge rule) or ScheduleV2 (EventBridge Scheduler)
    expression: str  # rate(...) or cron(...)
    input: str | None  # the Input property: a JSON text sent as the event instead of the default one
    enabled: bool
    timezone: str | None = None  # ScheduleV2's ScheduleExpressionTimezone (cron only); None: UTC


@dataclass(frozen=True)
class StreamDefinition:
    """A DynamoDB event source mapping; defaults are Lambda's."""

    function_id: str
    event_name: str
    table_id: str  # the logical id of the template's table whose stream it reads
    starting_position: str  # LATEST or TRIM_HORIZON
    batch_size: int = 100
    batching_window_seconds: float = 0.0
    bisect_on_function_error: bool = False
    maximum_retry_attempts: int = -1  # -1: retry until the record expires
    report_batch_item_failures: bool = False
    on_failure: str | None = None  # the OnFailure destination's logical id
    on_failure_type: str | None = None  # SQS, SNS, S3
    filter_patterns: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class QueueDefinition:
    """An SQS event source mapping; defaults are Lambda's."""

    function_id: str
    event_name: str
    queue_id: str  # the logical id of the template's queue it reads
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass
class Definitions:
    schedules: list[ScheduleDefinition] = field(default_factory=list)
    streams: list[StreamDefinition] = field(default_factory=list)
    queues: list[QueueDefinition] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # "Function.Event (Type)" the dev server does not run

    @property
    def function_ids(self) -> list[str]:
        ids = [s.function_id for s in self.schedules] + [s.function_id for s in self.streams]
        ids += [q.function_id for q in self.queues]
        return list(dict.fromkeys(ids))


def read_definitions(template: Template, parameter_overrides: dict[str, str] | None = None) -> Definitions:
    parameters = {**parameter_defaults(template), **(parameter_overrides or {})}
    definitions = Definitions()
    for function_id, function in resources_of_type(template, "AWS::Serverless::Function").items():
        for event_name, event in ((function.get("Properties") or {}).get("Events") or {}).items():
            event_type = str(event.get("Type"))
            properties: dict[str, Any] = event.get("Properties") or {}
            where = f"{function_id}.{event_name}"
            if event_type in SCHEDULE_TYPES:
                schedule = _schedule(function_id, event_name, event_type, properties, parameters)
                definitions.schedules.append(schedule)
            elif event_type == "DynamoDB":
                stream = _stream(template, function_id, event_name, properties, parameters)
                definitions.streams.append(stream)
            elif event_type == "SQS":
                definitions.queues.append(_queue(template, function_id, event_name, properties, parameters))
            elif event_type not in LOCAL_TYPES:
                definitions.not_run.append(f"{where} ({event_type})")
    return definitions


def _schedule(
    function_id: str, event_name: str, event_type: str, properties: dict[str, Any], parameters: dict[str, str]
) -> ScheduleDefinition:
    where = f"{function_id}.{event_name}"
    expression_property = "ScheduleExpression" if event_type == "ScheduleV2" else "Schedule"
    expression = _value(properties.get(expression_property), parameters, where)
    state = str(_value(properties.get("State", "ENABLED"), parameters, where)).upper()
    enabled = _flag(properties.get("Enabled", True), parameters, where) and state == "ENABLED"
    raw_input = properties.get("Input")
    timezone = properties.get("ScheduleExpressionTimezone")
    return ScheduleDefinition(
        function_id,
        event_name,
        event_type,
        str(expression),
        None if raw_input is None else str(_value(raw_input, parameters, where)),
        enabled,
        None if timezone is None else str(_value(timezone, parameters, where)),
    )


def _stream(
    template: Template,
    function_id: str,
    event_name: str,
    properties: dict[str, Any],
    parameters: dict[str, str],
) -> StreamDefinition:
    where = f"{function_id}.{event_name}"
    table_id = _stream_table(template, properties.get("Stream"), where)
    position = str(_value(properties.get("StartingPosition", "LATEST"), parameters, where))
    if position not in ("LATEST", "TRIM_HORIZON"):
        raise EventSourceError(
            f"{where}: StartingPosition {position} (DynamoDB takes LATEST or TRIM_HORIZON)"
        )
    on_failure = (properties.get("DestinationConfig") or {}).get("OnFailure") or {}
    destination = on_failure.get("Destination")
    filters = (properties.get("FilterCriteria") or {}).get("Filters") or []

    def number(name: str, default: float) -> float:
        return float(_value(properties.get(name, default), parameters, where))

    return StreamDefinition(
        function_id,
        event_name,
        table_id,
        position,
        batch_size=int(number("BatchSize", 100)),
        batching_window_seconds=number("MaximumBatchingWindowInSeconds", 0),
        bisect_on_function_error=_flag(
            properties.get("BisectBatchOnFunctionError", False), parameters, where
        ),
        maximum_retry_attempts=int(number("MaximumRetryAttempts", -1)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (properties.get("FunctionResponseTypes") or []),
        on_failure=None if destination is None else _destination_name(destination),
        on_failure_type=None if destination is None else str(on_failure.get("Type", "SQS")),
        filter_patterns=tuple(str(_value(f.get("Pattern"), parameters, where)) for f in filters),
        enabled=_flag(properties.get("Enabled", True), parameters, where),
    )


def _stream_table(template: Template, stream: Any, where: str) -> str:
    attribute = stream.get("Fn::GetAtt") if isinstance(stream, dict) else None
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    if not (isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "StreamArn"):
        raise EventSourceError(
            f"{where}: Stream must be !GetAtt <Table>.StreamArn of a table of the template"
        )
    table_id = str(attribute[0])
    if table_id not in tables:
        raise EventSourceError(f"{where}: {table_id} is not an AWS::DynamoDB::Table of the template")
    if not (tables[table_id].get("Properties") or {}).get("StreamSpecification"):
        raise EventSourceError(f"{where}: table {table_id} has no StreamSpecification, so no stream")
    return table_id


def _destination_name(destination: Any) -> str:
    """`!GetAtt Queue.Arn` / `!Ref Topic` name the resource; anything else is shown as written."""
    if isinstance(destination, dict) and "Fn::GetAtt" in destination:
        return str(destination["Fn::GetAtt"][0])
    if isinstance(destination, dict) and "Ref" in destination:
        return str(destination["Ref"])
    return str(destination)


def _value(value: Any, parameters: dict[str, str], where: str) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"} and str(value["Ref"]) in parameters:
        return parameters[str(value["Ref"])]
    if isinstance(value, dict):
        raise EventSourceError(f"{where}: {value} cannot be resolved locally (a literal or !Ref <Parameter>)")
    return value


def _flag(value: Any, parameters: dict[str, str], where: str) -> bool:
    resolved = _value(value, parameters, where)
    return resolved is True or str(resolved).lower() == "true"


def _queue(
    template: Template,
    function_id: str,
    event_name: str,
    properties: dict[str, Any],
    parameters: dict[str, str],
) -> QueueDefinition:
    where = f"{function_id}.{event_name}"
    queue = properties.get("Queue")
    target = queue.get("Fn::GetAtt") if isinstance(queue, dict) else None
    if not (isinstance(target, list) and target[1:] == ["Arn"]):
        raise EventSourceError(f"{where}: Queue must be !GetAtt <Queue>.Arn of the template, not {queue!r}")
    if target[0] not in resources_of_type(template, "AWS::SQS::Queue"):
        raise EventSourceError(f"{where}: {target[0]} is not an AWS::SQS::Queue of the template")
    return QueueDefinition(
        function_id,
        event_name,
        str(target[0]),
        batch_size=int(_value(properties.get("BatchSize", 10), parameters, where)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (properties.get("FunctionResponseTypes") or []),
        enabled=_flag(properties.get("Enabled", True), parameters, where),
    )
