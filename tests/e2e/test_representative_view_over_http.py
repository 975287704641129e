"""What a representative sees of a conversation, over HTTP: only the context variables marked isDisplayable,
and the customer's names with preferredname as the display name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.api_client import ACCEPT, CUSTOMER_ENDS, END, Journey, TenantApi

MIXED_CONTEXT = {
    "productname": {"value": "XBox", "isDisplayable": True},
    "ordertotal": {"value": 59.9, "isDisplayable": True},
    "isPremium": {"value": False, "isDisplayable": True},
    "internalScore": {"value": "hidden-value-7f3a", "isDisplayable": False},
    "accountId": {"value": 918273645},  # isDisplayable defaults to false
}
NONE_DISPLAYABLE = {
    "internalScore": {"value": "hidden-value-7f3a", "isDisplayable": False},
    "accountId": {"value": 918273645},
}


def displayable(context: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: entry["value"] for name, entry in context.items() if entry.get("isDisplayable") is True}


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(MIXED_CONTEXT, id="mixed"),
        pytest.param(NONE_DISPLAYABLE, id="none-displayable"),
        pytest.param({}, id="empty"),
    ],
)
def test_the_representative_view_shows_exactly_the_displayable_context_variables(
    api: TenantApi, context: dict[str, dict[str, Any]]
) -> None:
    # Given a conversation created with context variables, some not displayable
    journey = Journey(api, conversationcontext=context)

    # When a representative reads it, before and after taking it on and ending it
    views = [journey.api.view(journey.id)]
    journey.advance(ACCEPT)
    views.append(journey.api.view(journey.id))
    journey.advance(END)
    views.append(journey.api.view(journey.id))

    # Then the view holds exactly the displayable ones, with their values
    for view in views:
        assert view.status == 200, view.body
        assert view.body["conversationcontext"] == displayable(context)
        # And no hidden value appears anywhere in it
        assert "hidden-value-7f3a" not in json.dumps(view.body)
        assert "918273645" not in json.dumps(view.body)

    # While the consumer's own view keeps every variable, with its flag
    consumer = api.get(journey.id).body["conversationcontext"]
    assert consumer == {
        name: {"value": entry["value"], "isDisplayable": entry.get("isDisplayable", False)}
        for name, entry in context.items()
    }


def test_the_representative_view_shows_the_customers_names_with_preferredname_as_display_name(
    api: TenantApi,
) -> None:
    # Given a conversation whose customer gave a first, last and preferred name
    names = {"firstname": "Jonathan", "lastname": "Doe", "preferredname": "Johnny"}
    journey = Journey(api, customercontext={"customerid": f"names-{api.tenant}", **names})

    # When a representative reads it
    view = api.view(journey.id)

    # Then the customer is shown by their preferred name, with every name given
    assert view.status == 200, view.body
    assert view.body["customer"] == {"displayName": "Johnny", **names}


def test_without_a_preferredname_the_display_name_is_the_first_and_last_names(api: TenantApi) -> None:
    # Given a customer who gave no preferred name
    journey = Journey(
        api, customercontext={"customerid": f"names-{api.tenant}", "firstname": "Jane", "lastname": "Roe"}
    )

    # When a representative reads the conversation
    view = api.view(journey.id)

    # Then the display name is made of the first and last names (the API description's rule)
    assert view.body["customer"] == {
        "displayName": "Jane Roe",
        "firstname": "Jane",
        "lastname": "Roe",
        "preferredname": None,
    }


def test_an_identified_contacts_stored_names_win_in_the_representative_view(api: TenantApi) -> None:
    # Given a contact created by an earlier conversation, under its email
    email = "jonathan.doe@example.com"
    first = Journey(
        api,
        CUSTOMER_ENDS,
        customercontext={
            "customerid": f"first-{api.tenant}",
            "email": email,
            "firstname": "Jonathan",
            "preferredname": "Johnny",
        },
    )
    contact_id = api.get(first.id).body["contactId"]
    assert isinstance(contact_id, str)

    # When the same person (same email, matched case-insensitively) starts a conversation under other names
    second = Journey(
        api,
        customercontext={
            "customerid": f"second-{api.tenant}",
            "email": email.upper(),
            "firstname": "John",
            "lastname": "Doe",
            "preferredname": "JD",
        },
    )
    view = api.view(second.id)

    # Then the representative sees the contact, with its stored names (the request's fill the gaps)
    assert view.body["contactId"] == contact_id
    assert view.body["customer"] == {
        "displayName": "Johnny",
        "firstname": "Jonathan",
        "lastname": "Doe",
        "preferredname": "Johnny",
    }
