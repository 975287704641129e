"""How a 400 names a field from pydantic's error location: the labels pydantic puts in a location for a
member of a union checked by a function validator ("function-after[check(), str]") name no field, while a
field or a dict key that merely looks like one is kept as sent."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, ValidationError

from messaging.http.errors import field_errors


def _refuse(_value: str) -> str:
    raise ValueError("must be something else")


class Model(BaseModel):
    # a union whose string member has a function validator: pydantic labels each member's error with it
    field: Annotated[str, AfterValidator(_refuse)] | list[int]
    keyed: dict[str, int] = {}


def _fields(body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Model.model_validate(body)
    return [error.field for error in field_errors(caught.value.errors())]


def test_a_function_validators_label_in_the_location_names_no_field() -> None:
    # Given pydantic's own location for the union member's error: ("field", "function-after[_refuse(), str]")
    # When the field is named
    fields = _fields({"field": "x"})
    # Then the label is left out (the list member's label, list[int], is no function validator: kept)
    assert fields == ["field", "field.list[int]"]


@pytest.mark.parametrize("key", ["function-x", "function-x]x", "x]", "FUNCTION-x]"])
def test_a_dict_key_is_kept_unless_it_is_exactly_a_validators_label(key: str) -> None:
    # Given a dict key shaped almost like a function validator's label
    # When its value breaks the rule
    fields = _fields({"field": [1], "keyed": {key: "not a number"}})
    # Then the key is named as sent
    assert fields == [f"keyed.{key}"]


def test_a_dict_key_exactly_like_a_validators_label_is_taken_for_one() -> None:
    # The one ambiguity: a key that is "function-…]" reads as pydantic's label (no real key looks like it)
    assert _fields({"field": [1], "keyed": {"function-x]": "not a number"}}) == ["keyed"]
