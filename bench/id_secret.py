"""What the per-deployment id secret adds to a cold start (issue 13): the secret reaches the functions as an
environment variable resolved at deploy (`IdSecret` → `ID_SECRET`), so a new environment makes no call for
it; what is left is reading it and keying the first conversation id (HMAC-SHA256) instead of hashing the
customerid unkeyed, measured here in fresh interpreters, after boto3 and its client as every function has
them (botocore imports `hmac` for request signing, so the key adds no module)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAYER = REPO / "layers" / "shared"

_CHILD = r"""
import json, os, sys, time
import boto3
boto3.client("dynamodb", region_name="us-east-1")
hmac_loaded = "hmac" in sys.modules
from messaging.domain.ids import ConversationIds
from messaging.domain.tenant import Tenant
tenant = Tenant("acme")
started = time.perf_counter_ns()
ids = ConversationIds(os.environ["ID_SECRET"].encode("utf-8"))
ids.new(tenant, "jdoe123")
keyed = time.perf_counter_ns() - started
import hashlib, uuid
started = time.perf_counter_ns()
hashlib.sha256(b"acme\x00jdoe123").digest()
str(uuid.uuid4())
unkeyed = time.perf_counter_ns() - started
print(json.dumps({"keyed_ns": keyed, "unkeyed_ns": unkeyed, "hmac_loaded": hmac_loaded}))
"""


@dataclass(frozen=True)
class IdSecretCost:
    """Medians over fresh interpreters: reading the secret and keying the first id, and the unkeyed hash."""

    keyed_us: float
    unkeyed_us: float
    hmac_already_loaded: bool
    repetitions: int


def measure_id_secret(repetitions: int = 7) -> IdSecretCost:
    env = {
        **os.environ,
        "PYTHONPATH": str(LAYER),
        "ID_SECRET": "bench-" + "s" * 40,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    runs = []
    for _ in range(repetitions):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], env=env, cwd=REPO, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return IdSecretCost(
        keyed_us=statistics.median(run["keyed_ns"] for run in runs) / 1000,
        unkeyed_us=statistics.median(run["unkeyed_ns"] for run in runs) / 1000,
        hmac_already_loaded=all(run["hmac_loaded"] for run in runs),
        repetitions=repetitions,
    )


def describe(cost: IdSecretCost) -> str:
    loaded = (
        "already imported by botocore: no module added" if cost.hmac_already_loaded else "imported for it"
    )
    return (
        "The id secret (IdSecret, resolved at deploy into ID_SECRET): 0 calls at init; reading it and "
        f"keying the first conversation id in a fresh process: {cost.keyed_us:.0f} µs (median of "
        f"{cost.repetitions}), against {cost.unkeyed_us:.0f} µs for the unkeyed SHA-256 id it replaced; "
        f"`hmac` {loaded}. A Secrets Manager read at init (Powertools' parameters) would instead add a "
        "client and a GetSecretValue round trip to every new environment's first request."
    )
