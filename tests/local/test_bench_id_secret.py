"""The bench's id-secret figure: fresh interpreters, after boto3's client as every function has it."""

from __future__ import annotations

from bench.id_secret import describe, measure_id_secret


def test_the_id_secret_is_measured_in_fresh_interpreters_and_adds_no_module() -> None:
    # When the bench measures reading the secret and keying the first id (one fresh interpreter)
    cost = measure_id_secret(repetitions=1)
    # Then both figures were taken, and botocore had already imported hmac (the key adds no module)
    assert cost.keyed_us > 0 and cost.unkeyed_us > 0
    assert cost.hmac_already_loaded
    assert "0 calls at init" in describe(cost) and "no module added" in describe(cost)
