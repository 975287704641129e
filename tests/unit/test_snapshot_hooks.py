"""SnapStart's before-snapshot hook, in this process: a create function's environment registers one hook,
and running it as Lambda does (before the snapshot) loads the idempotent create, so that restored
environments need not load it in a request (messaging.snapstart, messaging.usecases.idempotent_on_demand).

tests/unit/test_idempotency_on_demand.py checks the same in fresh interpreters (what is imported); this one
runs the hook on the code this process imported.
"""

from __future__ import annotations

import snapshot_restore_py

from messaging.usecases.idempotency import IdempotentCreate
from tests.harness import CREATE, api_event, invoke, load_handler


def test_the_create_functions_before_snapshot_hook_loads_the_idempotent_create(
    moto_tables: dict[str, str],
) -> None:
    # Given a new create function environment (its init phase; a new one starts with no hook: tests.harness)
    handler = load_handler("create_conversation")
    hooks = list(snapshot_restore_py.get_before_snapshot())
    # When Lambda runs the hooks that init registered, before taking the snapshot
    loaded = [func(*args, **kwargs) for func, args, kwargs in hooks]
    # Then there was one, and it loaded the idempotent create
    assert [type(value) for value in loaded] == [IdempotentCreate]
    # And a create repeating a conversationrequestid is answered as the first one was
    first, again = (
        invoke(
            handler,
            api_event("POST", CREATE, {"conversationrequestid": "req-1", "customercontext": customer}),
        )
        for customer in ({"customerid": "c1"}, {"customerid": "c2"})
    )
    assert (first.status, again.body) == (201, first.body)
