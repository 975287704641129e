"""Record identification (CONTRACT.md): contacts per tenant, found by normalized email and phone."""

from __future__ import annotations

from typing import Any

import boto3

from tests.unit.conftest import CreateCall


def _conversation(tables: dict[str, str], tenant: str, conversation_id: str) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName=tables["ConversationsTable"],
        Key={"pk": {"S": f"TENANT#{tenant}#CONVERSATION#{conversation_id}"}, "sk": {"S": "#DETAILS"}},
    )["Item"]
    return item


def _create(create: CreateCall, tenant: str = "tenant-a", **customer: str) -> str:
    answer = create({"customercontext": customer}, tenant=tenant)
    assert answer.status == 201
    conversation_id: str = answer.body["conversationId"]
    return conversation_id


def test_new_email_creates_a_contact_and_links_it(create: CreateCall, moto_tables: dict[str, str]) -> None:
    item = _conversation(moto_tables, "tenant-a", _create(create, email="new@example.com"))
    assert item["contactMatch"] == {"S": "created"}
    assert "contactId" in item


def test_email_matches_case_insensitively_and_stored_names_win(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    # Given a contact created as John Doe
    first = _conversation(
        moto_tables, "tenant-a", _create(create, email="John.Doe@Email.com", firstname="John")
    )
    # When another conversation brings the same email in other case, with another first name
    second = _conversation(
        moto_tables, "tenant-a", _create(create, email="john.doe@email.COM", firstname="Jon")
    )
    # Then it links the same contact, and the contact's name wins
    assert second["contactMatch"] == {"S": "matched"}
    assert second["contactId"] == first["contactId"]
    assert second["customer"]["M"]["firstname"] == {"S": "John"}


def test_phone_matches_on_its_digits_with_the_plus(create: CreateCall, moto_tables: dict[str, str]) -> None:
    first = _conversation(moto_tables, "tenant-a", _create(create, phonenumber="+1 (234) 567-890"))
    same = _conversation(moto_tables, "tenant-a", _create(create, phonenumber="+1234567890"))
    other = _conversation(moto_tables, "tenant-a", _create(create, phonenumber="1234567890"))
    assert same["contactId"] == first["contactId"]
    assert other["contactId"] != first["contactId"]


def test_email_and_phone_of_different_contacts_link_nothing(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    _create(create, email="a@example.com")
    _create(create, phonenumber="555 0100")
    item = _conversation(
        moto_tables, "tenant-a", _create(create, email="a@example.com", phonenumber="5550100")
    )
    assert item["contactMatch"] == {"S": "ambiguous"}
    assert "contactId" not in item


def test_email_and_phone_of_the_same_contact_link_it(create: CreateCall, moto_tables: dict[str, str]) -> None:
    first = _conversation(
        moto_tables, "tenant-a", _create(create, email="b@example.com", phonenumber="555 0101")
    )
    item = _conversation(
        moto_tables, "tenant-a", _create(create, email="B@example.com", phonenumber="5550101")
    )
    assert (item["contactMatch"], item["contactId"]) == ({"S": "matched"}, first["contactId"])


def test_no_email_and_no_phone_means_no_contact(create: CreateCall, moto_tables: dict[str, str]) -> None:
    item = _conversation(moto_tables, "tenant-a", _create(create, customerid="c", firstname="Ann"))
    assert item["contactMatch"] == {"S": "none"}


def test_another_tenants_contact_is_never_matched(create: CreateCall, moto_tables: dict[str, str]) -> None:
    theirs = _conversation(moto_tables, "tenant-b", _create(create, tenant="tenant-b", email="c@example.com"))
    mine = _conversation(moto_tables, "tenant-a", _create(create, tenant="tenant-a", email="c@example.com"))
    assert mine["contactMatch"] == {"S": "created"}
    assert mine["contactId"] != theirs["contactId"]


def test_every_name_of_the_identified_contact_wins_and_the_request_fills_what_it_lacks(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    # Given a contact created as John Doe, without a preferred name
    _create(create, email="jd@example.com", firstname="John", lastname="Doe")
    # When another conversation brings the same email with other first and last names, and a preferred name
    item = _conversation(
        moto_tables,
        "tenant-a",
        _create(create, email="jd@example.com", firstname="Jon", lastname="Dough", preferredname="JD"),
    )
    # Then the contact's first and last names win; the preferred name it lacks is the request's
    customer = item["customer"]["M"]
    assert item["contactMatch"] == {"S": "matched"}
    assert (customer["firstname"], customer["lastname"], customer["preferredname"]) == (
        {"S": "John"},
        {"S": "Doe"},
        {"S": "JD"},
    )


def test_a_contact_and_its_lookups_are_keyed_under_its_tenant(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    # Given a tenant with no contact yet
    tenant = "tenant-a"
    # When a conversation with an email and a phone creates a contact
    item = _conversation(
        moto_tables,
        tenant,
        _create(create, tenant=tenant, email="Ann@Example.com", phonenumber="+1 555 0100"),
    )
    # Then the contact and both lookups are keyed under the tenant, and nothing else was written
    contact_id = item["contactId"]["S"]
    scanned = boto3.client("dynamodb").scan(TableName=moto_tables["ContactsTable"])["Items"]
    assert sorted(scanned_item["pk"]["S"] for scanned_item in scanned) == sorted(
        [
            f"TENANT#tenant-a#CONTACT#{contact_id}",
            "TENANT#tenant-a#EMAIL#ann@example.com",
            "TENANT#tenant-a#PHONE#+15550100",
        ]
    )


def test_another_tenants_contact_is_never_matched_by_phone(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    theirs = _conversation(
        moto_tables, "tenant-b", _create(create, tenant="tenant-b", phonenumber="555 0199")
    )
    mine = _conversation(moto_tables, "tenant-a", _create(create, tenant="tenant-a", phonenumber="555 0199"))
    assert mine["contactMatch"] == {"S": "created"}
    assert mine["contactId"] != theirs["contactId"]


def test_the_identified_contact_s_preferred_name_wins_over_the_request_s(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    # Given a contact created with a preferred name
    _create(create, email="pn@example.com", firstname="John", preferredname="Johnny")
    # When another conversation brings the same email with another preferred name
    item = _conversation(moto_tables, "tenant-a", _create(create, email="pn@example.com", preferredname="JD"))
    # Then the stored preferred name is the conversation's (the record's names win, each of them)
    assert item["customer"]["M"]["preferredname"] == {"S": "Johnny"}
