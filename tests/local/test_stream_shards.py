"""Which shards a stream source reads, and from where: parents to their end before their children."""

from typing import Any, cast

from local.event_sources.shards import ShardMap

CLOSED = {"StartingSequenceNumber": "1", "EndingSequenceNumber": "9"}
OPEN = {"StartingSequenceNumber": "10"}


class FakeStreams:
    """describe_stream over a list of shards, two per page as DynamoDB pages them (LastEvaluatedShardId)."""

    def __init__(self, shards: list[dict[str, Any]]) -> None:
        self.shards = shards

    def describe_stream(self, StreamArn: str, ExclusiveStartShardId: str | None = None) -> dict[str, Any]:
        ids = [shard["ShardId"] for shard in self.shards]
        start = ids.index(ExclusiveStartShardId) + 1 if ExclusiveStartShardId else 0
        page = self.shards[start : start + 2]
        description: dict[str, Any] = {"Shards": page}
        if start + 2 < len(self.shards):
            description["LastEvaluatedShardId"] = page[-1]["ShardId"]
        return {"StreamDescription": description}


def shard_map(position: str, shards: list[dict[str, Any]]) -> tuple[ShardMap, FakeStreams]:
    streams = FakeStreams(shards)
    return ShardMap(cast(Any, streams), "arn:stream", position), streams


LINEAGE = [
    {"ShardId": "root", "SequenceNumberRange": CLOSED},
    {"ShardId": "child", "ParentShardId": "root", "SequenceNumberRange": CLOSED},
    {"ShardId": "grandchild", "ParentShardId": "child", "SequenceNumberRange": OPEN},
]


def test_trim_horizon_reads_a_parent_to_its_end_before_its_child() -> None:
    shards, _ = shard_map("TRIM_HORIZON", LINEAGE)
    assert shards.new_shards() == [("root", "TRIM_HORIZON")]
    assert shards.new_shards() == []  # the child waits while its parent is read
    shards.finished("root")
    assert shards.new_shards() == [("child", "TRIM_HORIZON")]
    shards.finished("child")
    assert shards.new_shards() == [("grandchild", "TRIM_HORIZON")]


def test_latest_starts_at_the_tip_of_the_open_shards_and_new_ones_from_their_start() -> None:
    shards, streams = shard_map("LATEST", LINEAGE)
    assert shards.new_shards() == [("grandchild", "LATEST")]
    # When the open shard closes and DynamoDB opens its children
    streams.shards[2] = {**streams.shards[2], "SequenceNumberRange": CLOSED}
    streams.shards.append({"ShardId": "next", "ParentShardId": "grandchild", "SequenceNumberRange": OPEN})
    assert shards.new_shards() == []
    shards.finished("grandchild")
    # Then the child is read from its oldest record: nothing written after the start is missed
    assert shards.new_shards() == [("next", "TRIM_HORIZON")]


def test_a_shard_whose_parent_was_trimmed_away_is_read_at_once() -> None:
    shards, _ = shard_map(
        "TRIM_HORIZON", [{"ShardId": "orphan", "ParentShardId": "gone", "SequenceNumberRange": OPEN}]
    )
    assert shards.new_shards() == [("orphan", "TRIM_HORIZON")]
