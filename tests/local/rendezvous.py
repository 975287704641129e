"""A meeting point the test controls, for invocations running in the dev server's execution environments.

An invocation of the echo function whose request carries `x-rendezvous: <host:port>` connects there, says its
process id, and waits until the test lets it go. The test thereby knows, without sleeping, that an
invocation is running right now and in which process: two arrivals held at once prove two environments
ran at once; an arrival's pid is the worker to kill while it serves an invocation.
"""

import socket
from dataclasses import dataclass
from types import TracebackType
from typing import Self

HEADER = "x-rendezvous"
ARRIVAL_DEADLINE_SECONDS = 60.0  # a failing test ends with a timeout instead of hanging


@dataclass
class Arrival:
    pid: int
    _connection: socket.socket

    def release(self) -> None:
        """Lets the invocation go on (and return its answer)."""
        try:
            self._connection.sendall(b"g")
        finally:
            self._connection.close()


class Rendezvous:
    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(ARRIVAL_DEADLINE_SECONDS)
        host, port = self._server.getsockname()[:2]
        self.headers = {HEADER: f"{host}:{port}"}  # add these to a request to make it meet here

    def arrive(self) -> Arrival:
        """The next invocation to reach the meeting point, held until released."""
        connection, _ = self._server.accept()
        connection.settimeout(ARRIVAL_DEADLINE_SECONDS)
        line = b""
        while not line.endswith(b"\n"):
            chunk = connection.recv(64)
            if not chunk:
                raise ConnectionError("an invocation left the rendezvous before saying its pid")
            line += chunk
        return Arrival(int(line), connection)

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
