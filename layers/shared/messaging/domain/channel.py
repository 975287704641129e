"""A tenant's channel: where the representative's activities and the state changes are delivered (its
webhook), and the secret its deliveries are signed with."""

from __future__ import annotations

from dataclasses import dataclass

# After a rotation, deliveries are signed with the new and the previous secret for this long, so that a
# receiver can switch over without refusing a delivery.
ROTATION_GRACE_MS = 24 * 3_600_000


@dataclass(frozen=True, slots=True)
class Channel:
    """A tenant's webhook settings: the URL and the signing secret (the previous one during a rotation)."""

    webhook_url: str
    secret: str
    previous_secret: str | None = None
    previous_until_ms: int | None = None

    def signing_secrets(self, now_ms: int) -> list[str]:
        """The secrets a delivery made now is signed with (Standard Webhooks: one signature per secret)."""
        previous = self.previous_secret and self.previous_until_ms and now_ms < self.previous_until_ms
        return [self.secret, self.previous_secret] if previous and self.previous_secret else [self.secret]
