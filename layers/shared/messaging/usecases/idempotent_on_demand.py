"""The create the handler calls: Powertools' idempotency only for a request that carries a
conversationrequestid, loaded the first time one does.

Why not at import: the idempotency package imports its DynamoDB persistence layer, which imports boto3 (the
rest of the code builds its client from botocore alone): ~130 M instructions, a seventh of the cold-start
floor (bench/RESULTS.md), that a create without a conversationrequestid (the contract makes it optional)
never needs. A create with one pays the same as before, in its first request instead of the import: the
benchmark's main create sample carries one, so its "init + first request" figure keeps the cost. With
SnapStart the loading runs before the snapshot (messaging.snapstart), so restored environments have it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from messaging.domain.conversation import ConversationRequest, CreateOutcome
from messaging.domain.tenant import Tenant

if TYPE_CHECKING:
    from messaging.usecases.idempotency import IdempotentCreate

type Create = Callable[[Tenant, ConversationRequest], CreateOutcome]


class CreateWithRequestIds:
    def __init__(self, create: Create, load_idempotent: Callable[[], IdempotentCreate]) -> None:
        self._create = create
        self._load_idempotent = load_idempotent
        self._idempotent: IdempotentCreate | None = None
        self._context: Any = None

    def register_lambda_context(self, context: Any) -> None:
        # The invocation's context, for an in-progress record to expire with it (IdempotentCreate).
        self._context = context
        if self._idempotent is not None:
            self._idempotent.register_lambda_context(context)

    def idempotent(self) -> IdempotentCreate:
        if self._idempotent is None:
            self._idempotent = self._load_idempotent()
            if self._context is not None:
                self._idempotent.register_lambda_context(self._context)
        return self._idempotent

    def __call__(self, tenant: Tenant, request: ConversationRequest, request_id: str | None) -> CreateOutcome:
        if request_id is None:
            return self._create(tenant, request)
        return self.idempotent()(tenant, request, request_id)
