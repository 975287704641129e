"""Configuration, read from the environment once and typed (the template sets every variable)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from messaging.domain.conversation import Timeouts

_MINUTE_MS = 60_000


def _minutes(env: Mapping[str, str], name: str, default: int) -> int:
    return int(env.get(name) or default) * _MINUTE_MS


@dataclass(frozen=True, slots=True)
class Settings:
    """The function's configuration, read once from its environment (template.yaml sets it)."""

    conversations_table: str
    contacts_table: str
    idempotency_table: str
    timeouts: Timeouts
    retention_seconds: int  # 0 keeps conversation records forever
    idempotency_window_seconds: int
    tenant_claim: str
    # `scope` (default): API Gateway requires each side's scope. `roles`: the functions do, as an app role in
    # the token's `roles` claim (Entra ID's client-credentials tokens carry no scope).
    scope_claim: str
    consumer_scope: str
    representative_scope: str
    id_secret: bytes  # per deployment; keys conversation-id fingerprints and continuation tokens
    channels_table: str
    webhook_queue_url: str
    webhook_retry_base_seconds: int
    # Webhooks to http://127.0.0.1 (a receiver on the developer's machine): set by the local tooling only,
    # never by the template (a test checks it), so a deployed stack cannot be pointed at itself.
    local_webhooks_allowed: bool

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            conversations_table=env["CONVERSATIONS_TABLE"],
            contacts_table=env.get("CONTACTS_TABLE", ""),
            idempotency_table=env.get("IDEMPOTENCY_TABLE", ""),
            timeouts=Timeouts(
                open_ms=_minutes(env, "OPEN_TIMEOUT_MINUTES", 1440),
                active_ms=_minutes(env, "ACTIVE_TIMEOUT_MINUTES", 1440),
                waiting_ms=_minutes(env, "WAITING_TIMEOUT_MINUTES", 10080),
                wrapup_ms=_minutes(env, "WRAPUP_TIMEOUT_MINUTES", 60),
            ),
            retention_seconds=int(env.get("RETENTION_DAYS", "90")) * 86_400,
            idempotency_window_seconds=int(env.get("IDEMPOTENCY_WINDOW_MINUTES", "60")) * 60,
            tenant_claim=env.get("TENANT_CLAIM") or "client_id",
            scope_claim=env.get("SCOPE_CLAIM") or "scope",
            consumer_scope=env.get("CONSUMER_SCOPE") or "messaging/conversations",
            representative_scope=env.get("REPRESENTATIVE_SCOPE") or "messaging/representative",
            id_secret=env["ID_SECRET"].encode("utf-8"),
            channels_table=env.get("CHANNELS_TABLE", ""),
            webhook_queue_url=env.get("WEBHOOK_QUEUE_URL", ""),
            webhook_retry_base_seconds=int(env.get("WEBHOOK_RETRY_BASE_SECONDS") or 30),
            local_webhooks_allowed=env.get("LOCAL_WEBHOOKS_ALLOWED") == "true",
        )


@cache
def settings() -> Settings:
    return Settings.from_environment(os.environ)
