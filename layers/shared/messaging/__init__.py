"""Messaging API shared package: models, use cases and data access (shipped in the shared Lambda layer)."""
