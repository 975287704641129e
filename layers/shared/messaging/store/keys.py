"""Key layout. Every key starts with the tenant, so one tenant can never address another's items.

Conversations table (pk, sk):
  TENANT#t#CONVERSATION#<id>  #STATE           the conversation's state (status, deadlines, counter)
                              #DETAILS         customer, contact, context, start message
                              MESSAGE#<13-digit messageId>   the transcript, in messageId order
  TENANT#t#LOCK#<fingerprint> #LOCK            the customer's active lock
Index keys on the state item (each present only while it applies; see items.index_attributes):
  byStatus          TENANT#t#STATUS#<status>   <enteredAt>#<id>            queue, status lists
  byRepresentative  TENANT#t#REP#<rep>         <status>#<enteredAt>#<id>   a representative's work
  live              TENANT#t#LIVE              <createdAt>#<id>            open/active/waiting, newest first
  due               DUE#<shard>                dueAt (number)              the timeout sweeper's work
"""

from __future__ import annotations

from messaging.domain.tenant import Tenant

STATE = "#STATE"
DETAILS = "#DETAILS"
LOCK = "#LOCK"
MESSAGE_PREFIX = "MESSAGE#"
DUE_SHARDS = 8  # the sweeper queries each; spreads the index's writes over partitions


def _escape(value: str) -> str:
    # '#' separates key parts; escaping it (and '%') keeps "a#CUSTOMER#b" as a tenant from colliding.
    return value.replace("%", "%25").replace("#", "%23")


def _unescape(value: str) -> str:
    return value.replace("%23", "#").replace("%25", "%")


def tenant_prefix(tenant: Tenant) -> str:
    return "TENANT#" + _escape(tenant.id)


def conversation_key(tenant: Tenant, conversation_id: str) -> str:
    return f"{tenant_prefix(tenant)}#CONVERSATION#{conversation_id}"


def active_lock_key(tenant: Tenant, customer_fingerprint: str) -> str:
    """Keyed by the customer's fingerprint, which every conversation id of that customer carries."""
    return f"{tenant_prefix(tenant)}#LOCK#{customer_fingerprint}"


def message_sort_key(message_id: int) -> str:
    return f"{MESSAGE_PREFIX}{message_id:013d}"


def status_key(tenant: Tenant, status: str) -> str:
    return f"{tenant_prefix(tenant)}#STATUS#{status}"


def representative_key(tenant: Tenant, representative_id: str) -> str:
    return f"{tenant_prefix(tenant)}#REP#{_escape(representative_id)}"


def representative_sort_key(status: str, entered_at_ms: int, conversation_id: str) -> str:
    """Status first: one representative's conversations of one status are a key range, oldest first."""
    return f"{status}#{since_key(entered_at_ms, conversation_id)}"


def live_key(tenant: Tenant) -> str:
    return f"{tenant_prefix(tenant)}#LIVE"


def since_key(epoch_ms: int, conversation_id: str) -> str:
    return f"{epoch_ms:013d}#{conversation_id}"


def due_shard(conversation_id: str) -> str:
    return f"DUE#{int(conversation_id[-4:], 16) % DUE_SHARDS}"


def contact_key(tenant: Tenant, contact_id: str) -> str:
    return f"{tenant_prefix(tenant)}#CONTACT#{contact_id}"


def email_key(tenant: Tenant, normalized_email: str) -> str:
    return f"{tenant_prefix(tenant)}#EMAIL#{normalized_email}"


def phone_key(tenant: Tenant, normalized_phone: str) -> str:
    return f"{tenant_prefix(tenant)}#PHONE#{normalized_phone}"


def tenant_of_key(key: str) -> Tenant:
    """The tenant of any tenant-prefixed key (the prefix is escaped, so the first '#' after it ends it)."""
    escaped = key.removeprefix("TENANT#").split("#", 1)[0]
    return Tenant(_unescape(escaped))
