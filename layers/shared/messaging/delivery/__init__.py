"""Webhook delivery's self-contained parts: SSRF guard, Standard Webhooks signing, pinned POST, backoff.

No DynamoDB, no SQS, no routing here: the delivery pipeline (outbox → stream → SQS FIFO → delivery Lambda) and
the channel routes call these, so that each rule lives once and is tested without AWS.
"""
