"""Every reader (messaging.http.readers) against its model (messaging.http.models), on documents drawn at and
around the models' rules: right and wrong types, lengths at each limit and one past it, lone surrogates,
unknown fields, nulls, the rule functions' edge cases.

- A body reader takes exactly what its model accepts, and gives what the model's values gave the handlers
  before the readers existed (the models' former `as_domain`, `checked_for`, `event`, `actor`, kept here as
  the oracle).
- A query reader may leave a spelling to its model (PageSize "025"), never take what the model refuses.
- Either way, whatever the model accepts, the reader takes in the model's own dump: the endpoint's way when a
  reader refused a document its model accepts (messaging.http.endpoint.Input).
"""

from __future__ import annotations

import json
from typing import Any

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


def strings(limit: int) -> st.SearchStrategy[str]:
    """Strings at and around a length limit, short ones, and lone surrogates (json.loads lets them in)."""
    return st.one_of(
        st.sampled_from(["", "a", "ok", "\ud800", "a\udfff", " ", "AbC"]),
        st.text(max_size=4),
        st.sampled_from([limit - 1, limit, limit + 1]).map(lambda n: "x" * max(n, 0)),
        st.sampled_from([limit, limit + 1]).map(lambda n: "é" * n),
    )


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


def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, valid, junk)


def objects(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with any subset of the fields, sometimes with an unknown one (or a field's Python name)."""
    known = st.fixed_dictionaries({}, optional=fields)
    extra = st.tuples(known, st.sampled_from(["unknown", "from_", "Type", ""]), junk).map(
        lambda t: {**t[0], t[1]: t[2]}
    )
    return st.one_of(known, known, extra)


context_values = st.one_of(
    strings(4000),
    st.sampled_from([MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 0, 1.5, -0.0, 1e-7]),
    st.sampled_from([float("inf"), float("nan"), 9007199254740991.5, 1e300]),
    st.booleans(),
)
context_entries = objects({"value": field(context_values), "isDisplayable": field(st.booleans())})
contexts = st.one_of(
    st.dictionaries(strings(100), context_entries, max_size=3),
    st.just({f"k{i}": {"value": i} for i in range(100)}),
    st.just({f"k{i}": {"value": i} for i in range(101)}),
)
emails = st.sampled_from(["a@b.co", "John.Doe@Email.com", "a@b", "@b.co", "a b@c.de", "a@b.co\ud800"])
phones = st.sampled_from(["+1 (234) 567-890", "123", "abc", "()", "+", "1\ud800"])
customers = objects(
    {
        "customerid": field(strings(200)),
        "firstname": field(strings(200)),
        "lastname": field(strings(200)),
        "preferredname": field(strings(200)),
        "email": field(emails | strings(200)),
        "phonenumber": field(phones | strings(200)),
    }
)
start_messages = objects(
    {
        "message": field(strings(27 * 1024) | st.just("é" * 13_824) | st.just("é" * 13_825)),
        "displayname": field(strings(200)),
    }
)
create_documents = field(
    objects(
        {
            "customercontext": field(customers),
            "conversationcontext": field(contexts),
            "startmessage": field(start_messages),
            "skipdeflectionbot": field(st.booleans()),
            "conversationrequestid": field(strings(200)),
        }
    )
)

senders = objects({"id": field(strings(256)), "name": field(strings(256))})
representative_senders = objects({"id": field(strings(200)), "name": field(strings(256))})
urls = st.sampled_from(
    [
        "https://files.example.com/a.png",
        "https://",
        "http://files.example.com/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:image/png;base64,iVBORw0KGgo",
        "data:text/plain;charset=utf-8;base64,aGk=",
        "https://host/\ud800",
        "ftp://x",
    ]
)
attachments = objects(
    {"contentType": field(strings(256)), "contentUrl": field(urls | strings(10)), "name": field(strings(256))}
)
custom_event_values = st.one_of(
    contexts.map(lambda c: json.dumps(c, ensure_ascii=False)),
    st.sampled_from(["", "[]", "{", "null", '{"a": {"value": NaN}}', '{"a": {"value": 1, "value": 2}}']),
    st.just("[" * 3000),
)
activity_fields = {
    "type": field(st.sampled_from(["message", "typing", "event", "endOfConversation", "Message", "other"])),
    "conversation": field(objects({"id": field(strings(200))})),
    "channelId": field(strings(200)),
    "text": field(strings(6000)),
    "attachments": field(st.lists(attachments, max_size=2)),
    "name": field(
        st.sampled_from(
            ["accept", "release", "wait", "resume", "end", "close", "endOfConversation", "timeout"]
        )
        | strings(256)
    ),
    "channelData": field(objects({"customEventValue": field(custom_event_values)})),
}
consumer_documents = st.one_of(
    field(objects({**activity_fields, "from": field(senders)})),
    st.just({"type": "message", "text": "x" * 5000, "channelId": "é" * 200, "x": "é" * 12_000}),
)
representative_documents = field(objects({**activity_fields, "from": field(representative_senders)}))
channel_documents = field(objects({"webhookUrl": field(strings(2048))}))

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
    {"StartTimeStamp": date_times, "PageSize": page_sizes, "ContinuationToken": strings(4096)}
)
representative_queries = queries(
    {
        "status": statuses,
        "representativeId": strings(200),
        "PageSize": page_sizes,
        "ContinuationToken": strings(4096),
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
