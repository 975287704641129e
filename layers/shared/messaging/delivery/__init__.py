"""Webhook delivery: the SSRF guard, signing, the POST and its retry policy. No DynamoDB, no routing."""
