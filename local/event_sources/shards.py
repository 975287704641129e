"""Which shards of a DynamoDB stream to read, and from where: a parent is read to its end before its children.

At the start: LATEST reads the open shards from their tip (closed ones are history); TRIM_HORIZON reads every
shard from its oldest record, parents first. Shards that appear later (a shard rolls over, DynamoDB closes it
and opens children) are read from their start once their parent is done.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient


class ShardMap:
    def __init__(self, streams: "DynamoDBStreamsClient", stream_arn: str, starting_position: str) -> None:
        self._streams = streams
        self._stream_arn = stream_arn
        self._starting_position = starting_position
        self._started = False
        self._reading: set[str] = set()
        self._done: set[str] = set()

    def new_shards(self) -> list[tuple[str, str]]:
        """Shards to start reading now, with their iterator type, parents before children."""
        shards = self._describe()
        known = {shard["ShardId"] for shard in shards}
        starting, self._started = not self._started, True
        ready: list[tuple[str, str]] = []
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self._reading or shard_id in self._done:
                continue
            closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
            if starting and self._starting_position == "LATEST":
                if closed:
                    self._done.add(shard_id)  # history from before the start: not delivered
                    continue
                ready.append((shard_id, "LATEST"))
            else:
                parent = shard.get("ParentShardId")
                if parent in known and parent not in self._done:
                    continue  # its parent's records come first
                ready.append((shard_id, "TRIM_HORIZON"))
            self._reading.add(shard_id)
        return ready

    def finished(self, shard_id: str) -> None:
        self._reading.discard(shard_id)
        self._done.add(shard_id)

    def _describe(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        last: str | None = None
        while True:
            if last is None:
                answer = self._streams.describe_stream(StreamArn=self._stream_arn)
            else:
                answer = self._streams.describe_stream(StreamArn=self._stream_arn, ExclusiveStartShardId=last)
            page = answer["StreamDescription"]
            shards += [dict(shard) for shard in page.get("Shards", [])]
            last = page.get("LastEvaluatedShardId")
            if not last:
                return shards
