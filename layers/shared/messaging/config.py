"""Configuration, read from the environment once and typed (the template sets every variable)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class Settings:
    conversations_table: str
    contacts_table: str
    idempotency_table: str
    conversation_timeout_ms: int
    retention_seconds: int  # 0 keeps conversation records forever
    idempotency_window_seconds: int
    tenant_claim: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            conversations_table=env["CONVERSATIONS_TABLE"],
            contacts_table=env["CONTACTS_TABLE"],
            idempotency_table=env.get("IDEMPOTENCY_TABLE", ""),
            conversation_timeout_ms=int(env.get("CONVERSATION_TIMEOUT_MINUTES", "1440")) * 60_000,
            retention_seconds=int(env.get("RETENTION_DAYS", "90")) * 86_400,
            idempotency_window_seconds=int(env.get("IDEMPOTENCY_WINDOW_MINUTES", "60")) * 60,
            tenant_claim=env.get("TENANT_CLAIM") or "client_id",
        )


@cache
def settings() -> Settings:
    return Settings.from_environment(os.environ)
