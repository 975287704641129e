"""Contacts: a tenant's customer records, found by normalized email and phone (record identification)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from messaging.domain.conversation import ContactMatch, CustomerDetails


@dataclass(frozen=True, slots=True)
class Contact:
    """An identified customer as stored: the contact's id and names, email and phone."""

    contact_id: str
    firstname: str | None = None
    lastname: str | None = None
    preferredname: str | None = None
    email: str | None = None
    phonenumber: str | None = None


@dataclass(frozen=True, slots=True)
class ContactIdentification:
    """How a create identified its customer: the contact id, the match, and what to write."""

    contact_id: str | None
    match: ContactMatch
    existing: Contact | None = None
    new_contact: Contact | None = None


def identify_contact(
    by_email: Contact | None, by_phone: Contact | None, customer: CustomerDetails, new_contact_id: str
) -> ContactIdentification:
    """Record identification (CONTRACT.md): one match links, two different matches link nothing,
    no match with an email or a phone creates a contact."""
    if by_email and by_phone and by_email.contact_id != by_phone.contact_id:
        return ContactIdentification(None, ContactMatch.AMBIGUOUS)
    existing = by_email or by_phone
    if existing is not None:
        return ContactIdentification(existing.contact_id, ContactMatch.MATCHED, existing=existing)
    if customer.email is None and customer.phonenumber is None:
        return ContactIdentification(None, ContactMatch.NONE)
    new_contact = Contact(
        contact_id=new_contact_id,
        firstname=customer.firstname,
        lastname=customer.lastname,
        preferredname=customer.preferredname,
        email=customer.email,
        phonenumber=customer.phonenumber,
    )
    return ContactIdentification(new_contact_id, ContactMatch.CREATED, new_contact=new_contact)


def names_from_contact(customer: CustomerDetails, contact: Contact) -> CustomerDetails:
    """The identified record's names win over the request's (where the record has them)."""
    return replace(
        customer,
        firstname=contact.firstname or customer.firstname,
        lastname=contact.lastname or customer.lastname,
        preferredname=contact.preferredname or customer.preferredname,
    )
