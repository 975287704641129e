"""Lambda-like execution environments for `make dev`: worker processes that may die and are replaced.

Up to `size` worker processes per function, spawned on demand; each imports the handler once and serves one
invocation at a time. Separate processes keep Powertools' per-class request state apart (see
local.lambda_runtime.SerializedHandler), so concurrent requests really reach DynamoDB concurrently.

Why not concurrent.futures.ProcessPoolExecutor (used before): when one of its workers dies (kill -9, the OOM
killer, os._exit in a handler) the whole pool is broken for good and every later request fails. Lambda instead
fails only the invocation that was running in the dead environment and starts a fresh one for the next. This
pool does the same: each worker talks to the dev server over its own pipe, whose end-of-file says the worker
is gone, and a worker acknowledges each invocation before running it, so a worker found dead before it
started one is simply replaced (the invocation is retried on another: it never ran), while one that dies
during an invocation fails just that invocation (EnvironmentDied, a 500 from the gateway).
"""

import contextlib
import multiprocessing
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from local.lambda_runtime import load_handler

_SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter, like a new execution environment
_STOP_GRACE_SECONDS = 5.0  # how long close() lets a worker finish its invocation before killing it


class InvocationError(Exception):
    """The function did not return a result; the message says why (the traceback is on stderr)."""


class EnvironmentDied(InvocationError):
    """The worker process ended while it served the invocation (or while it started)."""


class _NotStarted(Exception):
    """The worker was gone before it acknowledged the invocation: it never ran, another worker may run it."""


class _Worker:
    def __init__(self, code_dir: Path, handler: str, function_id: str):
        self.function_id = function_id
        self.connection, child_end = _SPAWN.Pipe(duplex=True)
        self.process: BaseProcess = _SPAWN.Process(
            target=_serve,
            args=(child_end, str(code_dir), handler, function_id),
            name=f"lambda-{function_id}",
            daemon=True,  # never outlives the dev server, whatever happens to it
        )
        self.process.start()
        child_end.close()  # only the worker holds its end now: its death is our end-of-file
        try:
            kind, detail = self.connection.recv()
        except (EOFError, OSError):
            raise self._died("while starting") from None
        if kind != "ready":
            self.stop()
            raise InvocationError(f"{function_id} failed to initialise: {detail}")

    def invoke(self, event: dict[str, Any], context: Any) -> Any:
        try:
            self.connection.send(("invoke", event, context))
            self.connection.recv()  # ("started", None)
        except (EOFError, OSError):
            raise _NotStarted from None
        try:
            kind, value = self.connection.recv()
        except (EOFError, OSError):
            raise self._died("during the invocation") from None
        if kind == "error":
            raise InvocationError(f"{self.function_id} failed: {value}")
        return value

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        """Ends the worker: at once if it is idle or dead, else after its invocation (or a grace period)."""
        with contextlib.suppress(OSError):  # already gone
            self.connection.send(None)
        self.process.join(_STOP_GRACE_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()

    def _died(self, when: str) -> EnvironmentDied:
        self.process.join(_STOP_GRACE_SECONDS)  # reap it, and learn how it ended
        code = self.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return EnvironmentDied(
            f"the execution environment of {self.function_id} (pid {self.process.pid}) died {when} ({how}); "
            "a new one serves the next invocation"
        )


class ExecutionEnvironments:
    """Invokes one function in up to `size` worker processes; callable like the handler itself."""

    def __init__(self, code_dir: Path, handler: str, function_id: str, size: int) -> None:
        if size < 1:
            raise ValueError("an execution environment pool needs at least one worker")
        load_handler(code_dir, handler, function_id)  # fails fast, here, on an import error
        self._start_args = (code_dir, handler, function_id)
        self._size = size
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._starting = 0  # counted against `size` while they spawn, outside the lock
        self._closed = False
        self._changed = threading.Condition()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        # Each attempt either runs the invocation or finds its worker already dead and replaces it; every
        # worker can be found dead only once, so `size` + 1 attempts suffice unless workers keep dying.
        for _ in range(self._size + 1):
            worker = self._acquire()
            try:
                result = worker.invoke(event, context)
            except _NotStarted:
                self._discard(worker)
                continue
            except EnvironmentDied:
                self._discard(worker)
                raise
            except BaseException:
                self._release(worker)  # the handler raised: its environment lives on, as on Lambda
                raise
            self._release(worker)
            return result
        raise EnvironmentDied(f"every execution environment of {self._start_args[2]} died before it started")

    def pids(self) -> list[int]:
        """The worker processes' ids (started ones), e.g. for a test that kills them."""
        with self._changed:
            return [worker.process.pid for worker in self._workers if worker.process.pid is not None]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers = list(self._workers)
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:
            worker.stop()

    def _acquire(self) -> _Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise InvocationError("the dev server is stopping")
                while self._idle:
                    worker = self._idle.pop()  # the most recently used: warm, as Lambda prefers
                    if worker.is_alive():
                        return worker
                    self._forget(worker)  # died while idle (is_alive reaped it): nobody needs to hear
                    worker.connection.close()
                if len(self._workers) + self._starting < self._size:
                    self._starting += 1
                    break
                self._changed.wait()
        # Started outside the lock: a spawn takes a while and must not hold up other invocations.
        try:
            worker = _Worker(*self._start_args)
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._starting -= 1
            self._workers.add(worker)
            closed = self._closed
        if closed:
            worker.stop()
            raise InvocationError("the dev server is stopping")
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._changed:
            if worker in self._workers and not self._closed:
                self._idle.append(worker)
                self._changed.notify()

    def _discard(self, worker: _Worker) -> None:
        with self._changed:
            self._forget(worker)
        worker.stop()  # reaps it: no zombie is left behind

    def _forget(self, worker: _Worker) -> None:
        """Under the lock: the worker no longer counts against `size`."""
        self._workers.discard(worker)
        self._changed.notify()


def _serve(connection: Connection, code_dir: str, handler: str, function_id: str) -> None:
    """A worker's life: import the handler once, then one invocation at a time until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the dev server's to handle: it stops the pool
    try:
        function, _ = load_handler(Path(code_dir), handler, function_id)
    except BaseException as error:
        traceback.print_exc()
        connection.send(("init_error", f"{type(error).__name__}: {error}"))
        return
    connection.send(("ready", None))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return  # the dev server is gone
        if message is None:
            return
        _, event, context = message
        connection.send(("started", None))
        try:
            result = function(event, context)
        except Exception as error:
            traceback.print_exc()  # the function's log, as CloudWatch would have it
            connection.send(("error", f"{type(error).__name__}: {error}"))
            continue
        try:
            connection.send(("result", result))
        except Exception as error:  # e.g. a result that cannot be pickled
            connection.send(("error", f"its result cannot be returned: {type(error).__name__}: {error}"))
