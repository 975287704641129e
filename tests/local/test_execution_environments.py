"""make dev's execution environments: worker processes per function that behave like Lambda's, dying included.

The server runs in this process (as `make dev` runs it), so its workers are this process's children; the
echo function's rendezvous (tests/local/rendezvous.py) tells which worker serves an invocation right now.
"""

import json
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from local.dev_server import DevServer
from local.dynamodb_local import DynamoDBLocal
from local.token import mint_token
from tests.local.http_client import Answer, assert_problem, bearer, call
from tests.local.rendezvous import Rendezvous

ECHO = "/api/v1.0/consumer/conversation/x"
TOKEN = bearer(mint_token("acme", ttl_seconds=3600))


@pytest.fixture
def two_workers(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> Iterator[DevServer]:
    server = DevServer(
        throwaway_template, dynamodb_endpoint=dynamodb_local.endpoint, table_prefix=table_prefix, workers=2
    )
    with server:
        yield server


def echo(server: DevServer, path: str = ECHO, headers: dict[str, str] | None = None) -> Answer:
    return call(server.base_url, "GET", path, headers={**TOKEN, **(headers or {})})


def served_by(answer: Answer) -> int:
    assert answer.status == 200, answer.body
    pid: int = json.loads(answer.body)["pid"]
    return pid


def hold(pool: ThreadPoolExecutor, server: DevServer, rendezvous: Rendezvous) -> Future[Answer]:
    """A request whose invocation waits at the rendezvous until released."""
    return pool.submit(echo, server, ECHO, rendezvous.headers)


def test_concurrent_invocations_run_in_separate_environments_up_to_the_limit(two_workers: DevServer) -> None:
    with Rendezvous() as rendezvous, ThreadPoolExecutor(max_workers=3) as pool:
        # Given two invocations running at once (both held at the rendezvous)
        first, second = hold(pool, two_workers, rendezvous), hold(pool, two_workers, rendezvous)
        a, b = rendezvous.arrive(), rendezvous.arrive()
        # Then they run in two processes, neither of them the server's own
        assert a.pid != b.pid and os.getpid() not in (a.pid, b.pid)
        # When a third arrives while both are busy, and one of them finishes
        third = hold(pool, two_workers, rendezvous)
        a.release()
        c = rendezvous.arrive()
        # Then the third ran in one of the two: no third environment beyond --workers 2
        assert c.pid in (a.pid, b.pid)
        b.release()
        c.release()
        answers = [first.result(), second.result(), third.result()]
    # And an environment imported the function once, however many invocations it served
    by_pid: dict[int, set[str]] = {}
    for answer in answers:
        by_pid.setdefault(served_by(answer), set()).add(json.loads(answer.body)["imported_as"])
    assert all(len(imports) == 1 for imports in by_pid.values())


def test_a_worker_killed_during_an_invocation_fails_only_that_invocation_with_500_problem_json(
    two_workers: DevServer,
) -> None:
    with Rendezvous() as rendezvous, ThreadPoolExecutor(max_workers=1) as pool:
        # Given an invocation running in a worker
        held = hold(pool, two_workers, rendezvous)
        arrival = rendezvous.arrive()
        # When that worker is killed (kill -9)
        os.kill(arrival.pid, signal.SIGKILL)
        # Then its request gets API Gateway's 500, as problem details saying the environment died
        document = assert_problem(held.result(), 500, "internal_error")
        assert "died during the invocation" in document["detail"]
    # And the next requests are served, by a fresh environment
    pids = {served_by(echo(two_workers)) for _ in range(10)}
    assert arrival.pid not in pids


def test_a_worker_killed_while_idle_is_replaced_without_failing_any_request(two_workers: DevServer) -> None:
    # Given a warm worker, idle
    idle = served_by(echo(two_workers))
    # When it is killed, and requests come right after
    os.kill(idle, signal.SIGKILL)
    pids = {served_by(echo(two_workers)) for _ in range(10)}
    # Then none fails (an invocation it never started runs in another environment)
    assert idle not in pids


def test_a_handler_that_exits_its_process_gets_500_and_later_requests_are_served(
    two_workers: DevServer,
) -> None:
    # Given a handler that ends its own process (os._exit(3)) in the middle of an invocation
    answer = echo(two_workers, "/api/v1.0/consumer/conversation/exit")
    # Then its request gets a 500 problem saying how the environment ended, and the next ones are served
    assert "exit code 3" in assert_problem(answer, 500, "internal_error")["detail"]
    assert [echo(two_workers).status for _ in range(5)] == [200] * 5


def test_a_handler_exception_in_a_worker_is_a_500_and_the_environment_lives_on(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> None:
    server = DevServer(
        throwaway_template, dynamodb_endpoint=dynamodb_local.endpoint, table_prefix=table_prefix, workers=1
    )
    with server:
        pid = served_by(echo(server))
        document = assert_problem(
            echo(server, "/api/v1.0/consumer/conversation/explode"), 500, "internal_error"
        )
        assert "RuntimeError: the handler failed" in document["detail"]
        assert served_by(echo(server)) == pid


def test_an_environment_that_fails_to_initialise_is_a_500_and_a_later_one_may_succeed(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> None:
    # Given one worker, warm, and the function's code then broken
    server = DevServer(
        throwaway_template, dynamodb_endpoint=dynamodb_local.endpoint, table_prefix=table_prefix, workers=1
    )
    code = throwaway_template.parent / "functions/echo/app.py"
    with server:
        first = served_by(echo(server))
        working = code.read_text()
        code.write_text("raise ImportError('broken on purpose')\n")
        # When the warm worker dies, so that the next request needs a new environment
        os.kill(first, signal.SIGKILL)
        # Then that request gets a 500 saying why
        document = assert_problem(echo(server), 500, "internal_error")
        assert "failed to initialise" in document["detail"] and "broken on purpose" in document["detail"]
        # And once the code is fixed, a new environment serves
        code.write_text(working)
        assert served_by(echo(server)) != first


def test_killing_workers_under_load_then_100_requests_all_succeed(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> None:
    # Given the server with 3 workers per function and 6 clients sending requests until told to stop
    server = DevServer(
        throwaway_template, dynamodb_endpoint=dynamodb_local.endpoint, table_prefix=table_prefix, workers=3
    )
    stop = threading.Event()
    progress = threading.Condition()
    answered = 0
    seen_pids: set[int] = set()
    killed: set[int] = set()

    def client() -> list[Answer]:
        nonlocal answered
        answers = []
        for _ in range(500):  # bounded, whatever happens
            if stop.is_set():
                break
            answers.append(echo(server))
            with progress:
                answered += 1
                if answers[-1].status == 200:
                    seen_pids.add(served_by(answers[-1]))
                progress.notify_all()
        return answers

    def load_answered(count: int) -> None:
        with progress:
            assert progress.wait_for(lambda: answered >= count, timeout=60), "the load stalled"

    with server, Rendezvous() as rendezvous, ThreadPoolExecutor(max_workers=7) as pool:
        load = [pool.submit(client) for _ in range(6)]
        try:
            # When, three times over while the load runs, a worker is killed in the middle of an invocation,
            # and so is every other worker seen so far (busy or idle)
            for round_ in range(1, 4):
                load_answered(40 * round_)
                held = hold(pool, server, rendezvous)
                arrival = rendezvous.arrive()
                with progress:
                    victims = {arrival.pid, *seen_pids} - killed
                for pid in victims:
                    os.kill(pid, signal.SIGKILL)
                killed |= victims
                assert_problem(held.result(), 500, "internal_error")
            load_answered(160)
        finally:
            stop.set()
        during = [answer for future in load for answer in future.result()]
        # Then every request during the load got an answer: the function's, or a 500 problem for the
        # invocations that were running in a killed worker
        assert during
        for answer in during:
            if answer.status != 200:
                assert_problem(answer, 500, "internal_error")
        # And afterwards 100 requests all succeed, none in a killed worker
        after = list(pool.map(lambda _: echo(server), range(100)))
        assert [answer.status for answer in after] == [200] * 100
        assert not {served_by(answer) for answer in after} & killed


def test_stopping_the_server_ends_every_worker(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> None:
    server = DevServer(
        throwaway_template, dynamodb_endpoint=dynamodb_local.endpoint, table_prefix=table_prefix, workers=2
    )
    with server, Rendezvous() as rendezvous, ThreadPoolExecutor(max_workers=2) as pool:
        held = [hold(pool, server, rendezvous) for _ in range(2)]
        arrivals = [rendezvous.arrive() for _ in range(2)]
        for arrival in arrivals:
            arrival.release()
        assert all(future.result().status == 200 for future in held)
    # After stop(), the workers are gone (and reaped: no zombie answers to a signal 0)
    for arrival in arrivals:
        with pytest.raises(ProcessLookupError):
            os.kill(arrival.pid, 0)
