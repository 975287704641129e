"""DispatchWebhooksFunction's own handler (functions/dispatch_webhooks/app.py, loaded as Lambda loads it) in
an execution environment that kills itself with SIGKILL at one botocore event of the product's SQS client (its
module-level client, `messaging.store.outbox.sqs_client()`), as a Lambda environment dies mid-invocation:
`before-call.sqs.SendMessageBatch` (nothing of the batch sent yet) or `after-call.sqs.SendMessageBatch` (the
first ten sent, the rest not). Nothing of our code is replaced: the hook only ends the process.

Set by the test in the environment the workers inherit: DYING_EVENT (the botocore event), DYING_MARK (a file:
the first environment to reach the event creates it and dies; later ones, finding it, live on, so the
function dies once, whatever the retries).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

from local.lambda_runtime import load_handler
from messaging.store.outbox import sqs_client

_REAL = Path(__file__).resolve().parents[3] / "functions" / "dispatch_webhooks"
lambda_handler, _module = load_handler(_REAL, "app.lambda_handler", "DispatchWebhooksFunction")


def _die_once(**_: Any) -> None:
    mark = Path(os.environ["DYING_MARK"])
    try:
        mark.touch(exist_ok=False)
    except FileExistsError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


# Only in an execution environment (a worker process): the pool also imports the handler once in the test's
# own process, to fail fast on an import error, and that process must live.
if multiprocessing.current_process().name.startswith("lambda-"):
    sqs_client().meta.events.register(os.environ["DYING_EVENT"], _die_once)
