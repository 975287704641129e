"""What a valid request becomes, read without pydantic: one reader per request model of messaging.http.models.

A reader takes the JSON document (a body, or the query string's parameters) and returns what the handler
works with, or None when the document breaks a rule or when the reader is not sure (the model then decides
and explains: messaging.http.endpoint.Input). The rules are the models' own, in the models' terms: the same
limits (messaging.limits), the same rule functions (messaging.http.checks), strict types where the model is
strict (a JSON string for a str, true/false for a bool), unknown fields refused where the model forbids them
and ignored where it ignores them. tests/unit/test_readers.py holds every reader to its model: on documents
drawn from the model's rules and around them, a reader never takes what its model refuses, and what it takes
is what the model's values would give.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Self

from messaging.domain.activity import Activity, Attachment, Kind, Role, Sender
from messaging.domain.conversation import (
    ContextVariable,
    ConversationRequest,
    CustomerDetails,
    Representative,
    StartMessage,
)
from messaging.domain.errors import InvalidRequest
from messaging.domain.state_machine import Event, Status
from messaging.http import checks
from messaging.limits import (
    ACTIVITY_FIELD_MAX,
    CONTEXT_KEY_MAX,
    LIST_PAGE_MAX,
    MAX_CONTEXT_ENTRIES,
    MESSAGE_TEXT_MAX,
    NAME_MAX,
    START_MESSAGE_MAX_BYTES,
    TRANSCRIPT_PAGE_MAX,
)

TOKEN_MAX = 4096  # a ContinuationToken's length
REFERENCE_MAX = 200  # conversation.id and channelId of an activity
WEBHOOK_URL_MAX = 2048
DEFAULT_PAGE_SIZE = 50
_PAGE_SIZE = re.compile(r"[1-9][0-9]{0,2}")  # what the reader parses itself; the model takes the rest


class Refused(Exception):
    """Not a request the reader takes: the model decides."""


# Requests ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A create's body read: the domain request and its conversationrequestid."""

    request: ConversationRequest
    request_id: str | None  # conversationrequestid


@dataclass(frozen=True, slots=True)
class ActivityRequest:
    """An activity of either side, as its handler needs it."""

    type: str  # message, typing, event, endOfConversation
    addressed_to: str | None  # conversation.id as sent
    channel_id: str | None
    activity: Activity | None = None  # message, typing, the consumer's custom event
    event: Event | None = None  # a representative's event
    actor: Representative | None = None  # who sends that event

    def checked_for(self, conversation_id: str) -> Self:
        """The activity, once it is known to be addressed to the path's conversation."""
        if self.addressed_to is not None and self.addressed_to.lower() != conversation_id:
            raise InvalidRequest(
                "conversation_mismatch",
                "conversation.id must equal the conversationId in the path",
                ("conversation.id",),
            )
        return self


@dataclass(frozen=True, slots=True)
class PageQuery:
    """A page of a list or of the transcript."""

    since_ms: int | None  # StartTimeStamp
    page_size: int
    token: str | None  # ContinuationToken


@dataclass(frozen=True, slots=True)
class RepresentativeListQuery:
    """The representative list's query, read: status, representativeId, page size, token."""

    status: str
    representative_id: str | None
    page_size: int
    token: str | None


# The rules, as the models state them --------------------------------------------------------------------


def _object(value: Any, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """A JSON object; with `fields`, one of a model that forbids any other field."""
    if type(value) is not dict or (fields is not None and not fields.issuperset(value)):
        raise Refused
    return value


def _text(
    document: dict[str, Any],
    name: str,
    *,
    low: int = 0,
    high: int | None = None,
    encodable: bool = True,
    required: bool = False,
) -> str | None:
    """A str field (strict: a JSON string) of low..high characters, or None when absent or null (and
    allowed to be). Unicode text (no lone surrogate) unless `encodable` is off and there is no limit."""
    value = document.get(name)
    if value is None:
        if required:
            raise Refused
        return None
    return _string(value, low, high, encodable=encodable)


def _string(value: Any, low: int, high: int | None, *, encodable: bool = True) -> str:
    if type(value) is not str or len(value) < low or (high is not None and len(value) > high):
        raise Refused
    # pydantic reads a str with a length limit as Unicode text: a lone surrogate fails, Encodable or not.
    return checks.encodable(value) if encodable or low or high is not None else value


def _flag(document: dict[str, Any], name: str, *, nullable: bool = True) -> bool | None:
    """A bool field (strict: true or false); null only where the model allows it."""
    value = document.get(name)
    if (value is not None or (name in document and not nullable)) and type(value) is not bool:
        raise Refused
    return value


def _context(entries: Any) -> dict[str, ContextVariable]:
    """dict[ContextKey, ContextEntry] of at most MAX_CONTEXT_ENTRIES (create's conversationcontext, a custom
    event's value)."""
    document = _object(entries)
    if len(document) > MAX_CONTEXT_ENTRIES:
        raise Refused
    context = {}
    for key, entry in document.items():
        item = _object(entry, _CONTEXT_ENTRY)
        if "value" not in item:
            raise Refused
        context[_string(key, 1, CONTEXT_KEY_MAX)] = ContextVariable(
            checks.context_value(item["value"]), bool(_flag(item, "isDisplayable", nullable=False))
        )
    return context


_CONTEXT_ENTRY = frozenset({"value", "isDisplayable"})


# POST /conversations/create (CreateConversationRequest) ---------------------------------------------------

_CREATE = frozenset(
    {"customercontext", "conversationcontext", "startmessage", "skipdeflectionbot", "conversationrequestid"}
)
_CUSTOMER = frozenset({"customerid", "firstname", "lastname", "preferredname", "email", "phonenumber"})
_START = frozenset({"message", "displayname"})


def read_create(document: Any) -> CreateRequest | None:
    try:
        return _create(document)
    except (Refused, ValueError):
        return None


def _create(document: Any) -> CreateRequest:
    body = _object(document, _CREATE)
    customer = CustomerDetails()
    if body.get("customercontext") is not None:
        given = _object(body["customercontext"], _CUSTOMER)
        email = _text(given, "email", high=NAME_MAX)
        phone = _text(given, "phonenumber", high=NAME_MAX)
        customer = CustomerDetails(
            customerid=_text(given, "customerid", low=1, high=NAME_MAX),
            firstname=_text(given, "firstname", high=NAME_MAX),
            lastname=_text(given, "lastname", high=NAME_MAX),
            preferredname=_text(given, "preferredname", high=NAME_MAX),
            email=checks.email(email) if email is not None else None,
            phonenumber=checks.phone(phone) if phone is not None else None,
        )
    context = {}
    if body.get("conversationcontext") is not None:
        context = _context(body["conversationcontext"])
    start = None
    if body.get("startmessage") is not None:
        given = _object(body["startmessage"], _START)
        message = _text(given, "message", low=1, high=START_MESSAGE_MAX_BYTES, required=True)
        start = StartMessage(
            checks.start_message_size(str(message)), _text(given, "displayname", high=NAME_MAX)
        )
    request = ConversationRequest(
        customer=customer,
        context=context,
        start_message=start,
        skip_deflection_bot=_flag(body, "skipdeflectionbot"),
    )
    return CreateRequest(request, _text(body, "conversationrequestid", low=1, high=NAME_MAX))


# POST /conversation/{id} and /representative/conversation/{id} (ConsumerActivity, RepresentativeActivity) --
# Bot Framework activities: unknown fields are ignored at every level.

# RepresentativeEvent's EventName: the representative's events of the state table.
EVENT_NAMES = frozenset({"accept", "release", "wait", "resume", "end", "close"})


def read_consumer_activity(document: Any) -> ActivityRequest | None:
    try:
        return _activity(document, Role.CUSTOMER)
    except (Refused, ValueError):
        return None


def read_representative_activity(document: Any) -> ActivityRequest | None:
    try:
        return _activity(document, Role.REPRESENTATIVE)
    except (Refused, ValueError):
        return None


def _activity(document: Any, role: Role) -> ActivityRequest:
    body = _object(document)
    kind = body.get("type")
    conversation = body.get("conversation")
    addressed_to = None
    if conversation is not None:
        addressed_to = _text(_object(conversation), "id", high=REFERENCE_MAX)
    channel_id = _text(body, "channelId", high=REFERENCE_MAX)
    if type(kind) is not str:
        raise Refused
    if kind == "message":
        return ActivityRequest(kind, addressed_to, channel_id, activity=_message(body, role))
    if kind == "typing":
        return ActivityRequest(kind, addressed_to, channel_id, Activity(Kind.TYPING, _sender(body, role)))
    if kind == "event" and role is Role.CUSTOMER:
        return ActivityRequest(kind, addressed_to, channel_id, activity=_custom_event(body))
    if kind == "event":
        event, actor = _representative_event(body)
        return ActivityRequest(kind, addressed_to, channel_id, event=event, actor=actor)
    if kind == "endOfConversation" and role is Role.CUSTOMER:
        return ActivityRequest(kind, addressed_to, channel_id)
    raise Refused


def _sender(body: dict[str, Any], role: Role) -> Sender:
    sender = body.get("from")
    if sender is None:
        return Sender(role)
    given = _object(sender)
    return Sender(
        role,
        _text(given, "id", high=ACTIVITY_FIELD_MAX),
        _text(given, "name", high=ACTIVITY_FIELD_MAX),
    )


def _message(body: dict[str, Any], role: Role) -> Activity:
    checks.within_activity_size(body)
    text = _text(body, "text", high=MESSAGE_TEXT_MAX)
    attachments = []
    if body.get("attachments") is not None:
        if type(body["attachments"]) is not list:
            raise Refused
        for item in body["attachments"]:
            attachment = _object(item)
            content_url = _text(attachment, "contentUrl", encodable=False, required=True)
            attachments.append(
                Attachment(
                    str(_text(attachment, "contentType", low=1, high=ACTIVITY_FIELD_MAX, required=True)),
                    checks.content_url(str(content_url)),
                    _text(attachment, "name", high=ACTIVITY_FIELD_MAX),
                )
            )
    if not text and not attachments:
        raise Refused  # a message needs text or attachments
    return Activity(Kind.MESSAGE, _sender(body, role), text=text or None, attachments=tuple(attachments))


def _custom_event(body: dict[str, Any]) -> Activity:
    name = _text(body, "name", low=1, high=ACTIVITY_FIELD_MAX, required=True)
    context = {}
    if body.get("channelData") is not None:
        value = _object(body["channelData"]).get("customEventValue")
        if value is not None:
            if type(value) is not str:
                raise Refused
            context = _context(json.loads(value))  # json's ValueError: the model says what is wrong
    return Activity(Kind.EVENT, _sender(body, Role.CUSTOMER), event_name=name, context=context)


def _representative_event(body: dict[str, Any]) -> tuple[Event, Representative | None]:
    name = body.get("name")
    if type(name) is not str or name not in EVENT_NAMES:
        raise Refused
    actor = None
    if body.get("from") is not None:
        sender = _object(body["from"])
        representative_id = _text(sender, "id", low=1, high=NAME_MAX)
        sender_name = _text(sender, "name", high=ACTIVITY_FIELD_MAX)
        actor = Representative(representative_id, sender_name) if representative_id else None
    if name == "accept" and actor is None:
        raise Refused  # accept must name the representative
    return Event(name), actor


# PUT /channel (ChannelRequest) ----------------------------------------------------------------------------

_CHANNEL = frozenset({"webhookUrl"})


def read_channel(document: Any) -> str | None:
    """The webhook URL."""
    try:
        return _text(_object(document, _CHANNEL), "webhookUrl", low=1, high=WEBHOOK_URL_MAX, required=True)
    except (Refused, ValueError):
        return None


# Query strings: ConversationListQuery, TranscriptQuery, RepresentativeListQuery --------------------------
# API Gateway passes every value as a string. The models are lax: PageSize "25" is 25; the reader parses the
# plain digits itself and leaves any other spelling ("025", " 25", "2.5e1") to the model.

_PAGE = frozenset({"StartTimeStamp", "PageSize", "ContinuationToken"})
_REPRESENTATIVE_LIST = frozenset({"status", "representativeId", "PageSize", "ContinuationToken"})
LIST_STATUSES = frozenset(status.value for status in Status if status is not Status.CLOSED)


def _page_size(parameters: dict[str, Any], high: int) -> int:
    value = parameters.get("PageSize", DEFAULT_PAGE_SIZE)
    if type(value) is str and _PAGE_SIZE.fullmatch(value):
        value = int(value)
    if type(value) is not int or not 1 <= value <= high:
        raise Refused
    return value


def _since(parameters: dict[str, Any]) -> int | None:
    value = parameters.get("StartTimeStamp")
    return None if value is None else checks.epoch_ms(checks.date_time(_string(value, 0, None)))


def _page(document: Any, high: int) -> PageQuery | None:
    try:
        parameters = _object(document, _PAGE)
        token = _text(parameters, "ContinuationToken", high=TOKEN_MAX)
        return PageQuery(_since(parameters), _page_size(parameters, high), token)
    except (Refused, ValueError):
        return None


def read_list_query(document: Any) -> PageQuery | None:
    return _page(document, LIST_PAGE_MAX)


def read_transcript_query(document: Any) -> PageQuery | None:
    return _page(document, TRANSCRIPT_PAGE_MAX)


def read_representative_list_query(document: Any) -> RepresentativeListQuery | None:
    try:
        parameters = _object(document, _REPRESENTATIVE_LIST)
        status = parameters.get("status", Status.OPEN.value)
        if type(status) is not str or status not in LIST_STATUSES:
            raise Refused
        return RepresentativeListQuery(
            status,
            _text(parameters, "representativeId", low=1, high=NAME_MAX),
            _page_size(parameters, LIST_PAGE_MAX),
            _text(parameters, "ContinuationToken", high=TOKEN_MAX),
        )
    except (Refused, ValueError):
        return None
