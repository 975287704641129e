"""The cold-init floor: a function module that only imports boto3 and creates its DynamoDB client."""

import boto3

client = boto3.client("dynamodb")
