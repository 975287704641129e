"""Domain errors. The use cases raise these; `messaging.http.errors` alone turns them into HTTP answers."""

from __future__ import annotations


class MessagingError(Exception):
    """Base of every error the use cases raise on purpose."""


class Unauthenticated(MessagingError):
    """No token, or no usable tenant claim in it."""


class Forbidden(MessagingError):
    """The token lacks what the route requires: with ScopeClaim=roles, the app role its side needs (API
    Gateway checks scopes, never roles)."""


class ConversationNotFound(MessagingError):
    """Unknown conversation id, or another tenant's (the two are indistinguishable on purpose)."""


class StoreBusy(MessagingError):
    """DynamoDB kept refusing (throttling, conflicts, timeouts) after our retries: the caller may retry."""


class RequestInProgress(MessagingError):
    """The same conversationrequestid is being handled right now by another request."""


class InvalidRequest(MessagingError):
    """A rule broken that the request models cannot express on their own."""

    def __init__(self, code: str, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields


class InvalidTransition(MessagingError):
    """The event does not apply to the conversation's current status."""

    def __init__(self, status: str, event: str, allowed: list[str]) -> None:
        super().__init__(f"{event} does not apply to a conversation in status {status}")
        self.status = status
        self.event = event
        self.allowed = allowed


class CustomerHasActiveConversation(MessagingError):
    """The customerid is held by another open or active conversation."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"the customer's active conversation is {holder}")
        self.holder = holder


class ConversationEnded(MessagingError):
    """Messages are not accepted once a conversation is in wrapup or closed."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the conversation is {status}: it accepts no more messages")
        self.status = status


class InvalidContinuationToken(MessagingError):
    """A ContinuationToken that this query and caller did not get from us."""


class ChannelNotFound(MessagingError):
    """The tenant has not set its webhook yet."""
