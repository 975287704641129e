"""How a 400 names a field from pydantic's error location: the labels pydantic puts in a location for a
member of a union checked by a function validator ("function-after[check(), str]") name no field, while a
field or a dict key that merely looks like one is kept as sent."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

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


class Cat(BaseModel):
    kind: Literal["cat"]


class Dog(BaseModel):
    kind: Literal["dog"]


class Owner(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


@pytest.mark.parametrize(
    ("pet", "rule"), [({"kind": "fish"}, "union_tag_invalid"), ({}, "union_tag_not_found")]
)
def test_a_nested_unions_bad_or_missing_tag_is_named_by_the_tags_path(pet: dict[str, str], rule: str) -> None:
    # Given a discriminated union below the top (pydantic locates a tag's error at the union: ("pet",))
    with pytest.raises(ValidationError) as caught:
        Owner.model_validate({"pet": pet})
    # When its field is named
    (error,) = field_errors(caught.value.errors())
    # Then it is the tag below the union's path
    assert (error.field, error.code) == ("pet.kind", rule)


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    known: int = 0


def test_an_unknown_field_is_named_and_said_to_be_no_part_of_the_api() -> None:
    with pytest.raises(ValidationError) as caught:
        Closed.model_validate({"known": 1, "other": 2})
    (error,) = field_errors(caught.value.errors())
    assert (error.field, error.code, error.message) == (
        "other",
        "extra_forbidden",
        "unknown field: not part of this API",
    )


class Wrapper(BaseModel):
    inner: Closed


def test_a_value_that_should_be_an_object_says_so() -> None:
    with pytest.raises(ValidationError) as caught:
        Wrapper.model_validate({"inner": 5})
    (error,) = field_errors(caught.value.errors())
    assert (error.field, error.code, error.message) == ("inner", "model_type", "must be a JSON object")


def test_a_rule_of_ours_is_said_in_its_own_words_without_pydantics_prefix() -> None:
    with pytest.raises(ValidationError) as caught:
        Model.model_validate({"field": "x"})
    first = next(iter(field_errors(caught.value.errors())))
    assert (first.field, first.code, first.message) == ("field", "value_error", "must be something else")
