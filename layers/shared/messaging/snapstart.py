"""SnapStart (template parameter SnapStart=PublishedVersions): what must differ again between execution
environments restored from one snapshot.

With SnapStart, Lambda runs the init phase once, when a version is published, snapshots the memory of that
environment, and resumes every new execution environment from the same snapshot. Whatever init left in
memory is then shared by all of them. Reviewed for this code:

- `random`'s state (the Mersenne Twister seeded at interpreter start): the jitter of our transaction retries
  (messaging.retry) and of botocore's own retries draw from it. Restored as is, every environment would draw
  the same "random" delays, and the retries of concurrent requests that lost the same race would collide
  again in lockstep. The after-restore hook re-seeds it from the OS (messaging.retry.reseed).
- Ids: conversation ids (UUIDv4, and the random bits of UUIDv8) come from `secrets`/`uuid.uuid4`, i.e.
  os.urandom, read at each call, never cached: the kernel's generator is re-seeded when a snapshot is
  restored, so they need nothing. Message ids are the clock's milliseconds, read per request.
- Nothing else is drawn at init: no per-process id, no connection (the DynamoDB client opens its pool on the
  first request), no cached credentials beyond what botocore refreshes itself, no Powertools idempotency
  cache (`use_local_cache` is off), no Logger sampling decision (no sampling rate is set).
- Not fixable after start, and harmless here: the interpreter's hash seed (PYTHONHASHSEED) is the snapshot's;
  it only changes the iteration order of sets of strings, which no answer depends on.

Before the snapshot: what a function loads on first use rather than at import (the create function's
idempotency utility, messaging.usecases.idempotent_on_demand) is loaded, so that restored environments do
not load it in a request.

`snapshot_restore_py` is part of Lambda's Python runtime; the layer pins the same package so that local runs
and the tests register the hooks with the same code. Lambda runs the hooks only for a function whose handler
module imported the registering module: every API function imports this one through messaging.wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from snapshot_restore_py import register_after_restore, register_before_snapshot

from messaging import retry


def after_restore() -> None:
    """Runs in each environment Lambda resumes from the snapshot, before its first request."""
    retry.reseed()


register_after_restore(after_restore)


def before_snapshot(load: Callable[[], Any]) -> None:
    """Work a request would otherwise do on first use (a lazy import): done once, before the snapshot."""
    register_before_snapshot(load)
