"""The function's configuration (messaging.config): each template variable read under its own name, in the
unit it is given in, and each optional one falling back to the documented default."""

from __future__ import annotations

from messaging.config import Settings
from messaging.domain.conversation import Timeouts

MINUTE_MS, DAY_S = 60_000, 86_400
REQUIRED = {"CONVERSATIONS_TABLE": "Conversations", "ID_SECRET": "s3cret-é"}


def test_every_variable_is_read_under_its_name_and_in_its_unit() -> None:
    # Given every variable set, each to a value unlike its default
    env = {
        **REQUIRED,
        "CONTACTS_TABLE": "Contacts",
        "IDEMPOTENCY_TABLE": "Idempotency",
        "OPEN_TIMEOUT_MINUTES": "2",
        "ACTIVE_TIMEOUT_MINUTES": "3",
        "WAITING_TIMEOUT_MINUTES": "4",
        "WRAPUP_TIMEOUT_MINUTES": "5",
        "RETENTION_DAYS": "7",
        "IDEMPOTENCY_WINDOW_MINUTES": "11",
        "TENANT_CLAIM": "tid",
        "SCOPE_CLAIM": "roles",
        "CONSUMER_SCOPE": "Consumer.All",
        "REPRESENTATIVE_SCOPE": "Representative.All",
        "CHANNELS_TABLE": "Channels",
        "WEBHOOK_QUEUE_URL": "https://sqs.example/q",
        "WEBHOOK_RETRY_BASE_SECONDS": "13",
        "LOCAL_WEBHOOKS_ALLOWED": "true",
    }
    # Then each lands in its setting, minutes and days turned into the unit the code counts in
    assert Settings.from_environment(env) == Settings(
        conversations_table="Conversations",
        contacts_table="Contacts",
        idempotency_table="Idempotency",
        timeouts=Timeouts(
            open_ms=2 * MINUTE_MS, active_ms=3 * MINUTE_MS, waiting_ms=4 * MINUTE_MS, wrapup_ms=5 * MINUTE_MS
        ),
        retention_seconds=7 * DAY_S,
        idempotency_window_seconds=11 * 60,
        tenant_claim="tid",
        scope_claim="roles",
        consumer_scope="Consumer.All",
        representative_scope="Representative.All",
        id_secret="s3cret-é".encode(),
        channels_table="Channels",
        webhook_queue_url="https://sqs.example/q",
        webhook_retry_base_seconds=13,
        local_webhooks_allowed=True,
    )


def test_optional_variables_left_out_or_empty_take_the_documented_defaults() -> None:
    # Given only the required variables (the optional ones absent), and again with the optional ones empty
    optional = [
        "OPEN_TIMEOUT_MINUTES",
        "ACTIVE_TIMEOUT_MINUTES",
        "WAITING_TIMEOUT_MINUTES",
        "WRAPUP_TIMEOUT_MINUTES",
        "TENANT_CLAIM",
        "SCOPE_CLAIM",
        "CONSUMER_SCOPE",
        "REPRESENTATIVE_SCOPE",
        "WEBHOOK_RETRY_BASE_SECONDS",
    ]
    defaults = Settings(
        conversations_table="Conversations",
        contacts_table="",
        idempotency_table="",
        timeouts=Timeouts(
            open_ms=1440 * MINUTE_MS,
            active_ms=1440 * MINUTE_MS,
            waiting_ms=10080 * MINUTE_MS,
            wrapup_ms=60 * MINUTE_MS,
        ),
        retention_seconds=90 * DAY_S,
        idempotency_window_seconds=60 * 60,
        tenant_claim="client_id",
        scope_claim="scope",
        consumer_scope="messaging/conversations",
        representative_scope="messaging/representative",
        id_secret="s3cret-é".encode(),
        channels_table="",
        webhook_queue_url="",
        webhook_retry_base_seconds=30,
        local_webhooks_allowed=False,
    )
    # Then the defaults are a day open or active, a week waiting, an hour in wrapup, 90 days kept, ...
    assert Settings.from_environment(REQUIRED) == defaults
    assert Settings.from_environment({**REQUIRED, **dict.fromkeys(optional, "")}) == defaults
    # And local webhooks are allowed only by exactly "true"
    assert not Settings.from_environment(
        {**REQUIRED, "LOCAL_WEBHOOKS_ALLOWED": "True"}
    ).local_webhooks_allowed
