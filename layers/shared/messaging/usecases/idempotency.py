"""Idempotent create: a repeated conversationrequestid (same tenant, within the window) gets the first answer.

Powertools' idempotency utility keeps the answers in their own table. The key is the tenant plus the request
id, so two tenants using the same request id never share an answer. The payload is deliberately not part of
the key: the contract says the first answer comes back "whatever happened since".
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import DataclassSerializer

from messaging.domain.conversation import ConversationRequest, CreateOutcome
from messaging.domain.errors import RequestInProgress, StoreBusy
from messaging.domain.tenant import Tenant

type Create = Callable[[Tenant, ConversationRequest], CreateOutcome]


class RetrySafeDynamoDBPersistenceLayer(DynamoDBPersistenceLayer):
    """botocore resends a PutItem whose answer was lost; the resend then finds the request's own INPROGRESS
    record and Powertools would answer "in progress" to the request itself. Both expiry timestamps (the
    in-progress one to the millisecond, from the invocation's remaining time) identify our own record."""

    def _put_record(self, data_record: DataRecord) -> None:
        try:
            super()._put_record(data_record)
        except IdempotencyItemAlreadyExistsError as error:
            stored = error.old_data_record
            ours = (
                stored is not None
                and stored.status == "INPROGRESS"
                and data_record.in_progress_expiry_timestamp is not None
                and stored.in_progress_expiry_timestamp == data_record.in_progress_expiry_timestamp
                and stored.expiry_timestamp == data_record.expiry_timestamp
            )
            if not ours:
                raise


# Set when the wrapped create really runs in this call; unset means the answer was a stored replay.
_created_now: ContextVar[bool] = ContextVar("created_now", default=False)


class IdempotentCreate:
    def __init__(self, create: Create, persistence: BasePersistenceLayer, window_seconds: int) -> None:
        self._create = create
        self._config = IdempotencyConfig(expires_after_seconds=window_seconds)

        def create_once(
            request_key: dict[str, str], tenant: Tenant, request: ConversationRequest
        ) -> CreateOutcome:
            _created_now.set(True)
            return create(tenant, request)

        self._create_once = idempotent_function(
            create_once,
            data_keyword_argument="request_key",
            persistence_store=persistence,
            config=self._config,
            output_serializer=DataclassSerializer(CreateOutcome),
        )

    def register_lambda_context(self, context: Any) -> None:
        # Lets an in-progress record expire with the invocation if Lambda times out mid-request.
        self._config.register_lambda_context(context)

    def __call__(self, tenant: Tenant, request: ConversationRequest, request_id: str | None) -> CreateOutcome:
        if request_id is None:
            return self._create(tenant, request)
        _created_now.set(False)
        try:
            outcome: CreateOutcome = self._create_once(
                request_key={"tenant": tenant.id, "conversationrequestid": request_id},
                tenant=tenant,
                request=request,
            )
        except IdempotencyAlreadyInProgressError as error:
            raise RequestInProgress(str(error)) from error
        except IdempotencyPersistenceLayerError as error:
            raise StoreBusy(str(error)) from error
        return outcome if _created_now.get() else replace(outcome, replayed=True)
