"""The one DynamoDB client of a process, created once (module scope in Lambda) with deliberate retries."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast

import botocore.session
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Standard retry mode: exponential backoff with jitter on throttling and 5xx, capped so that a request
# still answers (503) well inside the API Gateway 30 s limit and the function timeout.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=2,
    read_timeout=4,
    tcp_keepalive=True,
)


@cache
def dynamodb_client() -> DynamoDBClient:
    # botocore's session directly, not boto3's: boto3 adds its resource and s3transfer layers to every cold
    # start and we use neither. The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set (DynamoDB Local),
    # the region from AWS_REGION/AWS_DEFAULT_REGION, as botocore reads them itself.
    client = botocore.session.get_session().create_client("dynamodb", config=CLIENT_CONFIG)
    return cast("DynamoDBClient", client)
