"""Every minute (EventBridge Scheduler): times out each conversation past its state's deadline, so storage
and webhooks reflect it within two minutes (reads already show it at once)."""

from __future__ import annotations

from typing import Any

from messaging import wiring
from messaging.observability import Metric, count, logger, metrics

sweep_timeouts = wiring.sweep_timeouts()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    report = sweep_timeouts()
    count(Metric.CONVERSATIONS_TIMED_OUT, report.timed_out)
    logger.info(
        "timeouts swept",
        extra={"timed_out": report.timed_out, "refiled": report.refiled, "unchanged": report.unchanged},
    )
    return {"timedOut": report.timed_out, "refiled": report.refiled, "unchanged": report.unchanged}
