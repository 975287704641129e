"""Use cases: a tenant's channel settings (its webhook URL, checked against SSRF, and its signing secret)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from messaging.delivery.signing import new_secret
from messaging.delivery.url_guard import UnsafeWebhookUrl, check_webhook_url
from messaging.domain.channel import ROTATION_GRACE_MS, Channel
from messaging.domain.errors import ChannelNotFound, InvalidRequest
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms


class ChannelStore(Protocol):
    def get(self, tenant: Tenant) -> Channel | None: ...

    def set_webhook(self, tenant: Tenant, webhook_url: str, secret_if_new: str, now_ms: int) -> Channel: ...

    def rotate_secret(self, tenant: Tenant, secret: str, now_ms: int, grace_ms: int) -> Channel | None: ...


class ChannelSettings:
    def __init__(self, store: ChannelStore, *, allow_local: bool, clock: Callable[[], int] = now_ms) -> None:
        self._store = store
        self._allow_local = allow_local  # only ever true in local runs (README, Webhooks)
        self._clock = clock

    def set_webhook(self, tenant: Tenant, webhook_url: str) -> Channel:
        try:
            target = check_webhook_url(webhook_url, allow_local=self._allow_local)
        except UnsafeWebhookUrl as unsafe:
            raise InvalidRequest("validation_failed", f"webhookUrl {unsafe}", ("webhookUrl",)) from None
        return self._store.set_webhook(tenant, target.base_url, new_secret(), self._clock())

    def get(self, tenant: Tenant) -> Channel:
        channel = self._store.get(tenant)
        if channel is None:
            raise ChannelNotFound(tenant.id)
        return channel

    def rotate_secret(self, tenant: Tenant) -> Channel:
        channel = self._store.rotate_secret(tenant, new_secret(), self._clock(), ROTATION_GRACE_MS)
        if channel is None:
            raise ChannelNotFound(tenant.id)
        return channel
