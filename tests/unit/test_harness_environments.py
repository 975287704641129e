"""The test harness's execution environments (tests.harness.load_handler) end with the test that uses them:
nothing global keeps one alive (sys.modules, SnapStart's hook registry). Kept, each held its use case, clients
and their service models, ~10 MB per handler, gigabytes over a run; the mutation campaign forks every mutant
from such a process."""

from __future__ import annotations

import gc
import weakref

from tests.harness import load_handler


def test_an_environment_no_test_uses_any_more_is_freed(moto_tables: dict[str, str]) -> None:
    # Given a create function's environment (whose init registers a before-snapshot hook), and a later one
    handler = load_handler("create_conversation")
    use_case = weakref.ref(handler.create_conversation)
    load_handler("create_conversation")
    # When the test lets go of the first
    del handler
    gc.collect()
    # Then its use case (and the clients it holds) is gone
    assert use_case() is None
