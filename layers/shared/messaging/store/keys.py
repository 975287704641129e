"""Key layout. Every key starts with the tenant, so one tenant can never address another's items."""

from __future__ import annotations

from messaging.domain import Tenant


def _tenant_prefix(tenant: Tenant) -> str:
    # '#' separates key parts; escaping it (and '%') keeps "a#CUSTOMER#b" as a tenant from colliding.
    return "TENANT#" + tenant.id.replace("%", "%25").replace("#", "%23")


def conversation_key(tenant: Tenant, conversation_id: str) -> str:
    return f"{_tenant_prefix(tenant)}#CONVERSATION#{conversation_id}"


def active_lock_key(tenant: Tenant, customer_fingerprint: str) -> str:
    """Keyed by the customerid's fingerprint, which every conversation id of that customer carries."""
    return f"{_tenant_prefix(tenant)}#LOCK#{customer_fingerprint}"


def contact_key(tenant: Tenant, contact_id: str) -> str:
    return f"{_tenant_prefix(tenant)}#CONTACT#{contact_id}"


def email_key(tenant: Tenant, normalized_email: str) -> str:
    return f"{_tenant_prefix(tenant)}#EMAIL#{normalized_email}"


def phone_key(tenant: Tenant, normalized_phone: str) -> str:
    return f"{_tenant_prefix(tenant)}#PHONE#{normalized_phone}"
