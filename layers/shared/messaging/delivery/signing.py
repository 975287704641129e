"""Standard Webhooks signatures (CONTRACT.md, "Webhook delivery"), made by the spec's reference library.

Signing with `standardwebhooks` (the spec authors' package, stdlib-only) rather than our own HMAC code means
that the receiver's copy of that library, in any language, verifies what we send: the signed content is
`{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256 under the base64-decoded secret, sent as `v1,<base64>`.

During a secret rotation a delivery is signed with every current secret (new and previous), space-separated in
one `webhook-signature` header: a receiver that still has the old secret, or already the new one, accepts it.

Receivers refuse a `webhook-timestamp` more than 5 minutes away from their clock (replay protection), so every
attempt, retries included, is signed anew at its own time; only `webhook-id` stays the same across retries.
"""

from __future__ import annotations

import base64
import math
import re
import secrets as random_bytes
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret
SECRET_BYTES = 32
# A header value: visible ASCII, so that no id can inject a header; the spec sets no other limit.
_WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,256}")


def new_secret() -> str:
    """A fresh signing secret: "whsec_" + base64 of 32 random bytes (the spec asks for 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(SECRET_BYTES)).decode("ascii")


def signature_headers(
    webhook_id: str, timestamp: datetime, body: str, secrets: Sequence[str]
) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` for `body` (a `v1,` entry per secret).

    `body` is the exact text that is sent (as UTF-8). `timestamp` must be timezone-aware: the library reads a
    datetime's wall clock as UTC, so it is converted first, and the header carries the same whole second.
    """
    if _WEBHOOK_ID.fullmatch(webhook_id) is None:
        raise ValueError("a webhook id is 1 to 256 visible ASCII characters")
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError("the signature timestamp must be timezone-aware")
    if isinstance(secrets, str) or not secrets:
        raise ValueError("signing needs a sequence of at least one secret")
    utc = timestamp.astimezone(UTC)
    signatures = [
        _signer(secret).sign(msg_id=webhook_id, timestamp=utc, data=body) for secret in dict.fromkeys(secrets)
    ]
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(utc.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def _signer(secret: str) -> Webhook:
    try:
        return Webhook(secret)
    except (EmptyWebhookSecretError, ValueError):  # ValueError: binascii.Error, not base64
        raise ValueError("a signing secret is whsec_ followed by non-empty base64") from None
