"""SnapStart: execution environments restored from one snapshot must not share what has to differ
(messaging.snapstart).

A snapshot is modelled by fork: both children start from the parent's memory after the handler's import,
as every restored environment starts from the snapshot taken after init (less Python's own re-seeding of
`random` in a forked child, undone: a restored snapshot gets none). Each child then runs the
after-restore hooks as Lambda does (snapshot_restore_py's registry, in order) and reports what its first
retry would wait (messaging.retry.backoff's jitter) and its next `random` draws. Without the hook the two
children draw the same numbers: the second case shows that this test catches a missing hook.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from bench.workload import API_FUNCTIONS, TEMPLATE, lambda_environment
from local.template import resources_of_type
from tests.harness import REPO, run_fresh_interpreter

LAYER = REPO / "layers" / "shared"
# Runs in a fresh interpreter: argv = function folder, "hooked" or "unhooked".
RESTORE_TWICE = r"""
import json, os, random, sys, time
function_dir, mode = sys.argv[1], sys.argv[2]
sys.path[0:0] = [function_dir, LAYER]
import snapshot_restore_py
if mode == "unhooked":  # the registration removed: what this module would be without it
    snapshot_restore_py.register_after_restore = lambda func, *args, **kwargs: func
import app  # the init phase: the handler module, its clients and use cases
from messaging import retry

hooks = snapshot_restore_py.get_after_restore()
registered = [func.__module__ + "." + func.__qualname__ for func, _, _ in hooks]
snapshot = random.getstate()
children = []
for _ in range(2):
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # a restored environment
        os.close(reader)
        # Python re-seeds `random` in a forked child (os.register_at_fork); Lambda's restore of a snapshot
        # does no such thing: the memory is the snapshot's, `random`'s state included.
        random.setstate(snapshot)
        for func, args, kwargs in snapshot_restore_py.get_after_restore():
            func(*args, **kwargs)
        waits = []
        time.sleep = waits.append
        retry.backoff(4)
        draws = {"backoff": waits, "random": [random.random() for _ in range(3)]}
        os.write(writer, json.dumps(draws).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        children.append(json.loads(pipe.read()))
    os.waitpid(pid, 0)
print(json.dumps({"registered": registered, "children": children}))
""".replace("LAYER", repr(str(LAYER)))


def restore_twice(function: str, *, hooked: bool = True) -> dict[str, Any]:
    tables = {name: f"snapstart-{name}" for name in resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")}
    env = {**os.environ, **lambda_environment(function, tables)}  # nothing is called: no table is needed
    hook = "hooked" if hooked else "unhooked"
    return run_fresh_interpreter(RESTORE_TWICE, str(REPO / "functions" / function), hook, env=env)


@pytest.mark.parametrize("hooked", [True, False], ids=["with the hook", "hook removed"])
def test_restored_environments_draw_different_jitter_only_with_the_hook(hooked: bool) -> None:
    result = restore_twice("create_conversation", hooked=hooked)
    first, second = result["children"]
    if hooked:
        assert first["backoff"] != second["backoff"], "two restored environments wait the same jitter"
        assert first["random"] != second["random"]
    else:
        # What the hook prevents: without it, every environment resumed from the snapshot draws alike.
        assert first == second


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_every_api_function_registers_the_after_restore_hook(function: str) -> None:
    # Lambda runs only the hooks of modules the handler imported: each API function must import it.
    assert restore_twice(function)["registered"] == ["messaging.snapstart.after_restore"]
