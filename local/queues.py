"""Creates the template's SQS queues on the local queue engine, from the template's own definitions (FIFO,
visibility timeout, retention, the redrive policy to its dead-letter queue), as local/tables.py does for
tables. KMS settings are skipped: the local engine does not encrypt."""

from typing import TYPE_CHECKING, Any

from local.template import Template, parameter_defaults, resources_of_type

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_PLAIN_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DeduplicationScope",
    "FifoThroughputLimit",
)
LOCAL_ACCOUNT = "123456789012"


def queue_name(prefix: str, logical_id: str, properties: dict[str, Any]) -> str:
    return prefix + logical_id + (".fifo" if properties.get("FifoQueue") else "")


def create_queues(
    client: "SQSClient",
    template: Template,
    prefix: str = "",
    parameter_overrides: dict[str, str] | None = None,
) -> dict[str, str]:
    """Every AWS::SQS::Queue of the template (dead-letter queues first); returns logical id -> queue URL."""
    queues = resources_of_type(template, "AWS::SQS::Queue")
    references = {**parameter_defaults(template), **(parameter_overrides or {})}
    urls: dict[str, str] = {}
    ordered = sorted(queues, key=lambda name: "RedrivePolicy" in (queues[name].get("Properties") or {}))
    for logical_id in ordered:
        properties: dict[str, Any] = queues[logical_id].get("Properties") or {}
        attributes: dict[str, Any] = {
            name: str(properties[name]) for name in _PLAIN_ATTRIBUTES if name in properties
        }
        if properties.get("FifoQueue"):
            attributes["FifoQueue"] = "true"
        redrive = properties.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            target_name = queue_name(prefix, target, queues[target].get("Properties") or {})
            receives = redrive["maxReceiveCount"]
            if isinstance(receives, dict):
                receives = references[receives["Ref"]]
            attributes["RedrivePolicy"] = (
                f'{{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT}:{target_name}", '
                f'"maxReceiveCount": "{receives}"}}'
            )
        name = queue_name(prefix, logical_id, properties)
        created = client.create_queue(QueueName=name, Attributes=attributes)  # type: ignore[arg-type]
        urls[logical_id] = created["QueueUrl"]
    return urls
