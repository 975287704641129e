"""Continuation tokens: DynamoDB's LastEvaluatedKey, signed so that only the query and tenant it came from
can continue with it.

A tenant cannot forge one to read another tenant's items: the token carries an HMAC (keyed by the
deployment's secret) over the tenant, the query and the key, and every key value it names must lie in the
caller's own key space. It is opaque to clients (base64url), not secret: it holds the caller's own ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from messaging.domain.errors import InvalidContinuationToken
from messaging.domain.tenant import Tenant

_SIGNATURE_BYTES = 16


class ContinuationTokens:
    def __init__(self, deployment_secret: bytes) -> None:
        # A key of its own, derived from the deployment's secret (which also keys conversation ids).
        self._key = hmac.new(deployment_secret, b"continuation-token", hashlib.sha256).digest()

    def issue(self, tenant: Tenant, query: str, key: dict[str, str] | None) -> str | None:
        if key is None:
            return None
        payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode("utf-8")
        signature = self._sign(tenant, query, payload)
        return _b64(payload) + "." + _b64(signature)

    def read(
        self, tenant: Tenant, query: str, token: str | None, tenant_prefix: str
    ) -> dict[str, str] | None:
        if token is None:
            return None
        encoded_payload, _, encoded_signature = token.partition(".")
        try:
            payload, signature = _unb64(encoded_payload), _unb64(encoded_signature)
        except (ValueError, binascii.Error):
            raise InvalidContinuationToken("the ContinuationToken is malformed") from None
        if not hmac.compare_digest(signature, self._sign(tenant, query, payload)):
            raise InvalidContinuationToken("the ContinuationToken was not issued for this query") from None
        key = json.loads(payload)
        if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
            raise InvalidContinuationToken("the ContinuationToken is malformed")
        if not all(v.startswith(tenant_prefix) or not v.startswith("TENANT#") for v in key.values()):
            raise InvalidContinuationToken("the ContinuationToken names another tenant's items")
        return key

    def _sign(self, tenant: Tenant, query: str, payload: bytes) -> bytes:
        message = json.dumps([tenant.id, query], separators=(",", ":")).encode("utf-8") + b"\x00" + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 4096:
        raise ValueError("empty or too long")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
