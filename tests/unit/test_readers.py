"""Every reader (messaging.http.readers) against its model (messaging.http.models), on documents drawn at and
around the models' rules: right and wrong types, lengths at each limit and one past it, lone surrogates,
unknown fields, nulls, the rule functions' edge cases.

- A body reader takes exactly what its model accepts, and gives what the model's values gave the handlers
  before the readers existed (the models' former `as_domain`, `checked_for`, `event`, `actor`, kept here as
  the oracle).
- A query reader may leave a spelling to its model (PageSize "025"), never take what the model refuses.
- Either way, whatever the model accepts, the reader takes in the model's own dump: the endpoint's way when a
  reader refused a document its model accepts (messaging.http.endpoint.Input).
- Drawn documents reach a field's limit inside an otherwise valid document only now and then, so every text
  field of a full document is also tried alone at its length limits (the last test).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from messaging.domain.activity import Activity, Attachment, Kind, Role, Sender
from messaging.domain.conversation import (
    ContextVariable,
    ConversationRequest,
    CustomerDetails,
    Representative,
    StartMessage,
)
from messaging.domain.state_machine import Event
from messaging.http import readers
from messaging.http.checks import epoch_ms
from messaging.http.endpoint import Input
from messaging.http.models.activities import (
    ConsumerActivity,
    CustomEventValue,
    EndOfConversationActivity,
    EventActivity,
    MessageActivity,
    SenderModel,
    TypingActivity,
)
from messaging.http.models.channel import ChannelRequest
from messaging.http.models.create import CreateConversationRequest, CustomerContext
from messaging.http.models.lists import ConversationListQuery
from messaging.http.models.representative import RepresentativeActivity, RepresentativeEvent
from messaging.http.models.representative import RepresentativeListQuery as RepresentativeListModel
from messaging.http.models.transcript import TranscriptQuery
from messaging.limits import MAX_SAFE_INTEGER

MANY = settings(max_examples=1000, deadline=None)

# Values --------------------------------------------------------------------------------------------------
# Each field's values come in two kinds: `valid` ones, mostly within its rules (short strings may be empty),
# and `edge` ones at or past a rule.
# A document is mostly valid with one edge in one of its fields, drawn evenly over the fields however deep
# (a missing limit shows only in an otherwise valid document: a second fault has the model refuse it anyway),
# or wild: any field any value.


@dataclass(frozen=True)
class Values:
    valid: st.SearchStrategy[Any]
    edge: st.SearchStrategy[Any]
    fields: int = 1  # how many fields inside can hold an edge: an object's share of the one-edge draws

    @property
    def any(self) -> st.SearchStrategy[Any]:
        return st.one_of(self.valid, self.edge, self.edge, self.edge)


def strings(limit: int) -> Values:
    """Strings up to a length limit; one past it (most often), lone surrogates (json.loads lets them in)."""
    over = ["x" * (limit + 1), "é" * (limit + 1)]
    return Values(
        valid=st.one_of(
            st.sampled_from(["", "a", "ok", " ", "AbC"]),
            st.text(max_size=4),
            st.sampled_from([limit - 1, limit]).map(lambda n: "x" * max(n, 0)),
            st.just("é" * limit),
        ),
        edge=st.sampled_from([*over, *over, "\ud800", "a\udfff"]),
    )


def one_of(*values: Values) -> Values:
    return Values(
        st.one_of(*(v.valid for v in values)),
        st.one_of(*(v.edge for v in values)),
        max(v.fields for v in values),
    )


def choices(valid: list[Any], edge: list[Any]) -> Values:
    return Values(st.sampled_from(valid), st.sampled_from(edge))


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(allow_nan=True),
    st.just([]),
    st.just({}),
    st.just(["a"]),
    st.just({"x": 1}),
    st.just("x"),
)


def field(values: Values) -> Values:
    """A field that may also be given a value of another type, or null."""
    return Values(values.valid, st.one_of(values.edge, values.edge, values.edge, junk), values.fields)


def objects(fields: dict[str, Values], required: frozenset[str] = frozenset()) -> Values:
    """Objects with the `required` fields and any subset of the others: valid ones, or with one edge (in a
    field however deep, an unknown field, or a field's Python name), or wild (any field may be left out)."""
    valid = st.fixed_dictionaries(
        {name: fields[name].valid for name in required},
        optional={name: values.valid for name, values in fields.items() if name not in required},
    )
    # a field with more fields inside is picked as often as they all are
    by_field = [name for name, values in sorted(fields.items()) for _ in range(values.fields)]
    one_edge = st.sampled_from(by_field).flatmap(
        lambda name: st.builds(lambda d, v: {**d, name: v}, valid, fields[name].edge)
    )
    unknown = st.builds(
        lambda d, name, v: {**d, name: v}, valid, st.sampled_from(["unknown", "from_", "Type", ""]), junk
    )
    wild = st.fixed_dictionaries({}, optional={name: values.any for name, values in fields.items()})
    return Values(valid, st.one_of(one_edge, one_edge, one_edge, one_edge, unknown, wild), len(by_field) + 1)


def entries(keys: Values, values: Values, most: int) -> Values:
    """JSON objects of up to 3 entries drawn from `keys` and `values`, or of exactly `most` (valid) and
    `most + 1` (an edge) entries."""
    valid = st.dictionaries(keys.valid, values.valid, max_size=3)
    one_edge = st.one_of(
        st.builds(lambda d, k, v: {**d, k: v}, valid, keys.edge, values.valid),
        *[st.builds(lambda d, k, v: {**d, k: v}, valid, keys.valid, values.edge)] * values.fields,
    )
    return Values(
        st.one_of(valid, st.just({f"k{i}": {"value": i} for i in range(most)})),
        st.one_of(one_edge, st.just({f"k{i}": {"value": i} for i in range(most + 1)})),
        keys.fields + values.fields + 1,
    )


context_values = one_of(
    strings(4000),
    choices(
        [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 0, 1.5, -0.0, 1e-7],
        [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1],
    ),
    Values(st.booleans(), st.sampled_from([float("inf"), float("nan"), 9007199254740991.5, 1e300])),
)
context_entries = objects(
    {"value": field(context_values), "isDisplayable": field(Values(st.booleans(), st.nothing()))}
)
contexts = entries(strings(100), context_entries, 100)
# at the length limit (200) and one past it, in a form its rule accepts
emails = choices(
    ["a@b.co", "John.Doe@Email.com", "x" * 195 + "@b.co"],
    ["a@b", "@b.co", "a b@c.de", "a@b.co\ud800", "x" * 196 + "@b.co", "x" * 196 + "@b.co"],
)
phones = choices(["+1 (234) 567-890", "123", "1" * 200], ["abc", "()", "+", "1\ud800", "1" * 201, "1" * 201])
customers = objects(
    {
        "customerid": field(strings(200)),
        "firstname": field(strings(200)),
        "lastname": field(strings(200)),
        "preferredname": field(strings(200)),
        "email": field(one_of(emails, strings(200))),
        "phonenumber": field(one_of(phones, strings(200))),
    }
)
start_messages = objects(
    {
        "message": field(one_of(strings(27 * 1024), choices(["é" * 13_824], ["é" * 13_825]))),
        "displayname": field(strings(200)),
    }
)
create_documents = field(
    objects(
        {
            "customercontext": field(customers),
            "conversationcontext": field(contexts),
            "startmessage": field(start_messages),
            "skipdeflectionbot": field(Values(st.booleans(), st.nothing())),
            "conversationrequestid": field(strings(200)),
        }
    )
).any

senders = objects({"id": field(strings(256)), "name": field(strings(256))})
representative_senders = objects({"id": field(strings(200)), "name": field(strings(256))})
urls = choices(
    [
        "https://files.example.com/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:text/plain;charset=utf-8;base64,aGk=",
    ],
    [
        "https://",
        "http://files.example.com/a.png",
        "data:image/png;base64,iVBORw0KGgo",
        "https://host/\ud800",
        "ftp://x",
    ],
)
attachments = objects(
    {
        "contentType": field(strings(256)),
        "contentUrl": field(one_of(urls, strings(10))),
        "name": field(strings(256)),
    },
    frozenset({"contentType", "contentUrl"}),
)
custom_event_values = Values(
    contexts.valid.map(lambda c: json.dumps(c, ensure_ascii=False)),
    st.one_of(
        contexts.edge.map(lambda c: json.dumps(c, ensure_ascii=False)),
        st.sampled_from(["", "[]", "{", "null", '{"a": {"value": NaN}}', '{"a": {"value": 1, "value": 2}}']),
        st.just("[" * 3000),
    ),
    contexts.fields,
)
names = one_of(
    choices(["accept", "release", "wait", "resume", "end", "close"], ["endOfConversation", "timeout"]),
    strings(256),
)
activity_types = ["message", "typing", "event", "endOfConversation"]


def activities(sender: Values, **fields: Values) -> st.SearchStrategy[Any]:
    """Activities of each type with its own fields (one edge then lands in a field the type reads), and of
    any type with every field."""
    common = {
        "conversation": field(objects({"id": field(strings(200))})),
        "channelId": field(strings(200)),
        "from": field(sender),
    }

    def of_type(kind: str, *own: str) -> st.SearchStrategy[Any]:
        typed = field(choices([kind], [t for t in [*activity_types, "Message", "other"] if t != kind]))
        shape = {"type": typed, **common, **{name: fields[name] for name in own}}
        return objects(shape, frozenset({"type"})).any

    any_type = field(
        objects({"type": field(choices(activity_types, ["Message", "other"])), **common, **fields})
    )
    return st.one_of(
        of_type("message", "text", "attachments"),
        of_type("typing"),
        of_type("event", "name", "channelData"),
        of_type("endOfConversation"),
        any_type.any,
    )


activity_fields = {
    "text": field(strings(6000)),
    "attachments": field(
        Values(
            st.lists(attachments.valid, max_size=2),
            st.builds(
                lambda given, edge: [*given, edge], st.lists(attachments.valid, max_size=1), attachments.edge
            ),
            attachments.fields,
        )
    ),
    "name": field(names),
    "channelData": field(objects({"customEventValue": field(custom_event_values)})),
}
consumer_documents = st.one_of(
    activities(senders, **activity_fields),
    st.just({"type": "message", "text": "x" * 5000, "channelId": "é" * 200, "x": "é" * 12_000}),
)
representative_documents = activities(representative_senders, **activity_fields)
channel_documents = field(objects({"webhookUrl": field(strings(2048))})).any

page_sizes = st.sampled_from(
    ["0", "1", "50", "100", "101", "250", "251", "010", " 5", "5.0", "-1", "abc", "1e2"]
)
date_times = st.sampled_from(
    ["2026-11-18T11:06:40Z", "2026-11-18t11:06:40.123+02:00", "2026-13-01T00:00:00Z", "", "x", "2026-11-18"]
)
statuses = st.sampled_from(["open", "active", "waiting", "wrapup", "closed", "Open", ""])


def queries(fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[dict[str, str]]:
    """A query string's parameters as API Gateway passes them: every value a string."""
    known = st.fixed_dictionaries({}, optional=fields)
    return st.one_of(known, known, known.map(lambda q: {**q, "unknown": "1"}))


page_queries = queries(
    {"StartTimeStamp": date_times, "PageSize": page_sizes, "ContinuationToken": strings(4096).any}
)
representative_queries = queries(
    {
        "status": statuses,
        "representativeId": strings(200).any,
        "PageSize": page_sizes,
        "ContinuationToken": strings(4096).any,
    }
)

# The oracle: what the models' values gave the handlers before the readers ---------------------------------


def validated(model: type[BaseModel], document: Any) -> BaseModel | None:
    try:
        return model.model_validate(document)
    except ValidationError:
        return None


def former_create(model: Any) -> readers.CreateRequest:
    customer = model.customercontext or CustomerContext()
    start = model.startmessage
    return readers.CreateRequest(
        ConversationRequest(
            customer=CustomerDetails(**customer.model_dump()),
            context={
                key: ContextVariable(value=entry.value, is_displayable=entry.isDisplayable)
                for key, entry in (model.conversationcontext or {}).items()
            },
            start_message=StartMessage(start.message, start.displayname) if start else None,
            skip_deflection_bot=model.skipdeflectionbot,
        ),
        model.conversationrequestid,
    )


def former_activity(activity: Any, role: Role) -> Activity:
    sender = activity.from_ or SenderModel()
    if isinstance(activity, MessageActivity):
        return Activity(
            Kind.MESSAGE,
            Sender(role, sender.id, sender.name),
            text=activity.text or None,
            attachments=tuple(
                Attachment(a.contentType, a.contentUrl, a.name) for a in (activity.attachments or [])
            ),
        )
    if isinstance(activity, TypingActivity):
        return Activity(Kind.TYPING, Sender(role, sender.id, sender.name))
    assert isinstance(activity, EventActivity)
    value = activity.channelData.customEventValue if activity.channelData else None
    entries = CustomEventValue.model_validate(json.loads(value)).root if value else {}
    return Activity(
        Kind.EVENT,
        Sender(role, sender.id, sender.name),
        event_name=activity.name,
        context={k: ContextVariable(e.value, e.isDisplayable) for k, e in entries.items()},
    )


def former_activity_request(model: Any, role: Role) -> readers.ActivityRequest:
    activity = model.root
    addressed = activity.conversation.id if activity.conversation else None
    if isinstance(activity, EndOfConversationActivity):
        return readers.ActivityRequest("endOfConversation", addressed, activity.channelId)
    if isinstance(activity, RepresentativeEvent):
        sender = activity.from_
        actor = Representative(sender.id, sender.name) if sender is not None and sender.id else None
        return readers.ActivityRequest(
            "event", addressed, activity.channelId, event=Event(activity.name), actor=actor
        )
    return readers.ActivityRequest(
        activity.type, addressed, activity.channelId, activity=former_activity(activity, role)
    )


def former_page(model: Any) -> readers.PageQuery:
    since = epoch_ms(model.StartTimeStamp) if model.StartTimeStamp is not None else None
    return readers.PageQuery(since, model.PageSize, model.ContinuationToken)


def dump(model: BaseModel) -> Any:
    return model.model_dump(by_alias=True, exclude_unset=True)


# The properties ------------------------------------------------------------------------------------------


@MANY
@given(create_documents)
def test_the_create_reader_takes_exactly_what_its_model_accepts(document: Any) -> None:
    model = validated(CreateConversationRequest, document)
    expected = former_create(model) if model is not None else None
    assert readers.read_create(document) == expected
    if model is not None:
        assert readers.read_create(dump(model)) == expected


@MANY
@given(consumer_documents)
@example({"type": "typing", "channelId": "\ud800"})  # a str with a limit is Unicode text to pydantic
@example({"type": "typing", "conversation": {"id": "a\udfff"}})
@example({"type": "message", "attachments": [{"contentType": "a", "contentUrl": "https://h/\ud800"}]})
def test_the_consumer_activity_reader_takes_exactly_what_its_model_accepts(document: Any) -> None:
    model = validated(ConsumerActivity, document)
    expected = former_activity_request(model, Role.CUSTOMER) if model is not None else None
    assert readers.read_consumer_activity(document) == expected
    if model is not None:
        assert readers.read_consumer_activity(dump(model)) == expected


@MANY
@given(representative_documents)
def test_the_representative_activity_reader_takes_exactly_what_its_model_accepts(document: Any) -> None:
    model = validated(RepresentativeActivity, document)
    expected = former_activity_request(model, Role.REPRESENTATIVE) if model is not None else None
    assert readers.read_representative_activity(document) == expected
    if model is not None:
        assert readers.read_representative_activity(dump(model)) == expected


@MANY
@given(channel_documents)
def test_the_channel_reader_takes_exactly_what_its_model_accepts(document: Any) -> None:
    model = validated(ChannelRequest, document)
    expected = model.webhookUrl if isinstance(model, ChannelRequest) else None
    assert readers.read_channel(document) == expected
    if model is not None:
        assert readers.read_channel(dump(model)) == expected


@MANY
@given(page_queries)
def test_the_page_readers_never_take_what_their_models_refuse(parameters: dict[str, str]) -> None:
    for model_class, read in (
        (ConversationListQuery, readers.read_list_query),
        (TranscriptQuery, readers.read_transcript_query),
    ):
        model = validated(model_class, parameters)
        read_now = read(parameters)
        if model is None:
            assert read_now is None
            continue
        assert read_now in (None, former_page(model))
        assert read(dump(model)) == former_page(model)


@MANY
@given(representative_queries)
def test_the_representative_list_reader_never_takes_what_its_model_refuses(
    parameters: dict[str, str],
) -> None:
    model: Any = validated(RepresentativeListModel, parameters)
    read_now = readers.read_representative_list_query(parameters)
    if model is None:
        assert read_now is None
        return
    expected = readers.RepresentativeListQuery(
        model.status, model.representativeId, model.PageSize, model.ContinuationToken
    )
    assert read_now in (None, expected)
    assert readers.read_representative_list_query(dump(model)) == expected


def test_the_query_readers_take_the_plain_spellings_themselves() -> None:
    assert readers.read_list_query({"PageSize": "10"}) == readers.PageQuery(None, 10, None)
    assert readers.read_transcript_query({}) == readers.PageQuery(None, 50, None)
    assert readers.read_representative_list_query({"status": "open", "PageSize": "25"}) == (
        readers.RepresentativeListQuery("open", None, 25, None)
    )
    assert readers.read_list_query({"PageSize": "025"}) is None  # the model's: it reads 25


# Every text field at its length limits, one field at a time -----------------------------------------------
# The drawn documents above reach a field's limit inside an otherwise valid document only now and then; here
# each text field of a full valid document is set, alone, to the longest text its model accepts (found by
# asking the model), one less and one more, in ASCII and in two-byte characters, and to "".


@dataclass(frozen=True)
class Body:
    """A body's model and reader, what the model's values gave the handlers, and a full valid document."""

    model: type[BaseModel]
    read: Callable[[Any], Any]
    expected: Callable[[Any], Any]
    document: dict[str, Any]


def _side(role: Role) -> tuple[type[BaseModel], Callable[[Any], Any], Callable[[Any], Any]]:
    model, read = (
        (ConsumerActivity, readers.read_consumer_activity)
        if role is Role.CUSTOMER
        else (RepresentativeActivity, readers.read_representative_activity)
    )
    return model, read, lambda validated: former_activity_request(validated, role)


ADDRESSED = {"conversation": {"id": "c"}, "channelId": "ch", "from": {"id": "i", "name": "n"}}
ATTACHMENT = {"contentType": "a/b", "contentUrl": "https://h/a.png", "name": "n"}
FULL_DOCUMENTS: dict[str, Body] = {
    "create": Body(
        CreateConversationRequest,
        readers.read_create,
        former_create,
        {
            "customercontext": {
                "customerid": "c",
                "firstname": "f",
                "lastname": "l",
                "preferredname": "p",
                "email": "a@b.co",
                "phonenumber": "123",
            },
            "conversationcontext": {"k": {"value": "v", "isDisplayable": True}},
            "startmessage": {"message": "m", "displayname": "d"},
            "skipdeflectionbot": True,
            "conversationrequestid": "r",
        },
    ),
    **{
        f"{side} {kind}": Body(*_side(role), {**ADDRESSED, **fields})
        for side, role in (("consumer", Role.CUSTOMER), ("representative", Role.REPRESENTATIVE))
        for kind, fields in (
            ("message", {"type": "message", "text": "t", "attachments": [ATTACHMENT]}),
            ("typing", {"type": "typing"}),
            ("event", {"type": "event", "name": "accept"}),
        )
    },
    "consumer custom event": Body(
        *_side(Role.CUSTOMER),
        {"type": "event", "name": "e", "channelData": {"customEventValue": '{"k": {"value": "v"}}'}},
    ),
    # an accept requires from.id anyway: another event shows what its own rule refuses
    "representative release": Body(
        *_side(Role.REPRESENTATIVE), {"type": "event", "name": "release", "from": {"id": "i", "name": "n"}}
    ),
    "channel": Body(
        ChannelRequest,
        readers.read_channel,
        lambda validated: validated.webhookUrl,
        {"webhookUrl": "https://h/hook"},
    ),
}


def text_paths(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(document, dict):
        return [p for key, value in document.items() for p in text_paths(value, (*path, key))]
    if isinstance(document, list):
        return [p for index, value in enumerate(document) for p in text_paths(value, (*path, index))]
    return [path] if isinstance(document, str) else []


def with_text(document: Any, path: tuple[Any, ...], text: str) -> Any:
    copy = json.loads(json.dumps(document))
    *parents, last = path
    document_at(copy, tuple(parents))[last] = text
    return copy


def padded(text: str, length: int, pad: str) -> str:
    """`text` cut or grown to `length` characters, keeping its form when grown: a phone number grows digits,
    an email its name (a domain label has a limit of its own), anything else its end."""
    if length <= len(text):
        return text[:length]
    grown = ("1" if text.isdigit() else pad) * (length - len(text))
    return grown + text if "@" in text else text + grown


def longest_accepted(model: type[BaseModel], document: Any, path: tuple[Any, ...], pad: str) -> int:
    """The longest text at `path` the model accepts, growing the full document's (binary search to 64 Ki)."""
    text = document_at(document, path)
    low, high = len(text), 1 << 16
    while low < high:
        middle = (low + high + 1) // 2
        accepted = validated(model, with_text(document, path, padded(text, middle, pad))) is not None
        low, high = (middle, high) if accepted else (low, middle - 1)
    return low


def document_at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


BOUNDARY_CASES = [
    pytest.param(name, path, id=f"{name}: {'.'.join(map(str, path))}")
    for name, body in FULL_DOCUMENTS.items()
    for path in text_paths(body.document)
]


@pytest.mark.parametrize(("name", "path"), BOUNDARY_CASES)
def test_each_text_field_is_read_exactly_as_its_model_reads_it_at_its_length_limits(
    name: str, path: tuple[Any, ...]
) -> None:
    body = FULL_DOCUMENTS[name]
    # Given a full document its model accepts
    assert validated(body.model, body.document) is not None
    for pad in ("x", "é"):
        limit = longest_accepted(body.model, body.document, path, pad)
        for length in {0, max(limit - 1, 0), limit, limit + 1}:
            # When this one field holds a text of that length (the rest as it was)
            changed = with_text(body.document, path, padded(document_at(body.document, path), length, pad))
            # Then the reader takes it exactly when the model does, as the model's values say
            accepted = validated(body.model, changed)
            expected = None if accepted is None else body.expected(accepted)
            assert body.read(changed) == expected, (path, pad, length)


def test_a_document_its_reader_takes_never_reaches_the_model() -> None:
    # Given a body whose model cannot even be imported (the models, pydantic, are for what a reader refuses)
    body = Input("messaging.no_such_module:Model", readers.read_create)
    document = {"customercontext": {"customerid": "c"}, "startmessage": {"message": "hi"}}
    # When a document its reader takes comes in
    # Then the reader's request is the answer, and the model is never looked up
    assert body(document) == readers.read_create(document)
