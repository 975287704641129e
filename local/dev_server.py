"""Serves the API on this machine: `python -m local.dev_server --port 3000` (what `make dev` runs).

DynamoDB Local is started (unless env DYNAMODB_ENDPOINT names one), the tables are created from
template.yaml, and every HttpApi route of the template calls its function's `lambda_handler`
with a real payload-2.0 event, behind an emulated JWT authorizer that does NOT verify signatures.

Each function runs in up to --workers processes (default 4), one invocation at a time each, like Lambda's
execution environments; --workers 0 runs them in this process, one invocation at a time.

The template's other events run too (local/event_sources/): schedules at their rate (a local-only
`--schedule-seconds NAME=SECONDS` speeds one up), DynamoDB streams polled from DynamoDB Local, filtered,
batched and retried like an event source mapping. The banner lists them; `--no-event-sources` turns them off.

Limitation: all handlers share one process environment, set before any handler is imported (handlers
read their configuration at import time). It is the union of the functions' environments; today all
come from Globals. If two functions ever set one variable differently, the first wins and a warning
says so.
"""

import argparse
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from types import FrameType, TracebackType
from typing import Self

from local.api_gateway import ApiGateway
from local.docs import DOCS_PATH, ApiDocs
from local.dynamodb_local import REPO_ROOT, RUN_DIR, DynamoDBLocal, dynamodb_client
from local.event_sources import EventSources
from local.event_sources.definitions import Definitions, read_definitions
from local.event_sources.runner import DEFAULT_ON_FAILURE_DIR
from local.event_sources.schedule import schedule_periods
from local.execution_environments import ExecutionEnvironments
from local.http_server import GatewayHTTPServer, HttpTimeouts
from local.lambda_runtime import Handler, ProcessEnvironment, SerializedHandler, load_handler
from local.queues import create_queues
from local.routing import Router
from local.scopes import route_scopes
from local.sqs_local import SqsLocal, sqs_client
from local.tables import create_tables
from local.template import (
    Template,
    TemplateError,
    function_environment,
    function_properties,
    http_routes,
    layer_dirs,
    load_template,
    resources_of_type,
)
from local.token import mint_token

DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
QUEUES_FILE = RUN_DIR / "queues.json"
SAMPLE_CREATE_BODY = '{"customercontext":{"customerid":"jdoe123","email":"john.doe@email.com"}}'


class DevServer:
    """The local API in a background thread. `start()` returns the base URL; port 0 picks a free port."""

    def __init__(
        self,
        template_path: Path = DEFAULT_TEMPLATE,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        dynamodb_endpoint: str | None = None,
        parameter_overrides: Mapping[str, str] | None = None,
        table_prefix: str = "",
        workers: int = 0,
        http_timeouts: HttpTimeouts | None = None,
        event_sources: bool = True,
        schedule_seconds: Mapping[str, float] | None = None,
        on_failure_dir: Path = DEFAULT_ON_FAILURE_DIR,
    ):
        self.template_path = Path(template_path).resolve()
        self._address = (host, port)
        self.dynamodb_endpoint = dynamodb_endpoint
        self._parameter_overrides = dict(parameter_overrides or {})
        self._table_prefix = table_prefix
        # 0: every function in this process, one invocation at a time; N: up to N worker processes each.
        self._workers = workers
        self._http_timeouts = http_timeouts or HttpTimeouts()
        # The template's schedules and streams (local/event_sources); HTTP-only tests may leave them off.
        self._run_event_sources = event_sources
        self._schedule_seconds = dict(schedule_seconds or {})
        self._on_failure_dir = on_failure_dir
        self.event_sources: EventSources | None = None
        self._pools: list[ExecutionEnvironments] = []
        self.dynamodb_local: DynamoDBLocal | None = None
        self.sqs_local: SqsLocal | None = None
        self.sqs_endpoint: str | None = None
        self.table_names: dict[str, str] = {}
        self.queue_urls: dict[str, str] = {}
        self.base_url = ""
        self._environment = ProcessEnvironment()
        self._http: GatewayHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        if self._http is not None:
            return self.base_url
        try:
            template = load_template(self.template_path)
            self._check_overrides(template)
            if self.dynamodb_endpoint is None:
                self.dynamodb_local = DynamoDBLocal()
                self.dynamodb_endpoint = self.dynamodb_local.start()
            client = dynamodb_client(self.dynamodb_endpoint)
            self.table_names = create_tables(client, template, self._table_prefix)
            self._start_queues(template)
            definitions = (
                read_definitions(template, self._parameter_overrides)
                if self._run_event_sources
                else Definitions()
            )
            routes = http_routes(template)
            functions = [route.function_id for route in routes] + definitions.function_ids
            handlers = self._load_handlers(template, list(dict.fromkeys(functions)))
            scopes = route_scopes(template, self._parameter_overrides)
            gateway = ApiGateway(Router(routes), handlers, ApiDocs(), scopes)
            self._http = GatewayHTTPServer(self._address, gateway, self._http_timeouts)
            if self._run_event_sources:
                self.event_sources = EventSources.from_template(
                    template,
                    definitions,
                    handlers,
                    dynamodb_endpoint=self.dynamodb_endpoint,
                    table_names=self.table_names,
                    schedule_seconds=self._schedule_seconds,
                    on_failure_dir=self._on_failure_dir,
                    sqs_endpoint=self.sqs_endpoint,
                    queue_urls=self.queue_urls,
                )
                self.event_sources.start()
        except BaseException:
            self.stop()
            raise
        host, port = self._http.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="dev-server", daemon=True
        )
        self._thread.start()
        return self.base_url

    def _start_queues(self, template: Template) -> None:
        """The template's SQS queues on the local queue engine (moto's SQS, see local/sqs_local.py)."""
        if not resources_of_type(template, "AWS::SQS::Queue"):
            return
        self.sqs_endpoint = os.environ.get("SQS_ENDPOINT") or None
        if self.sqs_endpoint is None:
            self.sqs_local = SqsLocal()
            self.sqs_endpoint = self.sqs_local.start()
        client = sqs_client(self.sqs_endpoint)
        self.queue_urls = create_queues(client, template, self._table_prefix, self._parameter_overrides)
        # For `make dead-letters` (ops/dead_letters.py): where this run's queues are.
        QUEUES_FILE.parent.mkdir(parents=True, exist_ok=True)
        QUEUES_FILE.write_text(
            json.dumps({"endpoint": self.sqs_endpoint, **self.queue_urls}), encoding="utf-8"
        )

    def _check_overrides(self, template: Template) -> None:
        unknown = sorted(set(self._parameter_overrides) - set(template.get("Parameters") or {}))
        if unknown:
            raise TemplateError(f"unknown template parameter(s) in overrides: {', '.join(unknown)}")

    def _load_handlers(self, template: Template, function_ids: list[str]) -> dict[str, Handler]:
        self._set_environment(template, function_ids)
        template_dir = self.template_path.parent
        handlers: dict[str, Handler] = {}
        for function_id in function_ids:
            for layer in layer_dirs(template, function_id):
                self._environment.add_import_path(template_dir / layer)  # Lambda's /opt/python
            properties = function_properties(template, function_id)
            code_dir, handler = template_dir / str(properties["CodeUri"]), str(properties["Handler"])
            if self._workers > 0:
                pool = ExecutionEnvironments(code_dir, handler, function_id, self._workers)
                self._pools.append(pool)
                handlers[function_id] = pool
            else:
                handlers[function_id] = SerializedHandler(
                    partial(load_handler, code_dir, handler, function_id),
                    self._environment.forget_module_on_restore,
                )
        return handlers

    def _set_environment(self, template: Template, function_ids: list[str]) -> None:
        """Before any import: handlers read their configuration when imported."""
        assert self.dynamodb_endpoint is not None
        merged: dict[str, str] = {}
        for function_id in function_ids:
            own = function_environment(
                template, function_id, self.table_names, self._parameter_overrides, self.queue_urls
            )
            for name, value in own.items():
                if merged.setdefault(name, value) != value:
                    print(
                        f"warning: {function_id} sets {name} differently; using {merged[name]!r}",
                        file=sys.stderr,
                    )
        local = {
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint,
            # Local runs only (never in the template): webhooks may go to a receiver on http://127.0.0.1.
            "LOCAL_WEBHOOKS_ALLOWED": "true",
        }
        if self.sqs_endpoint is not None:
            local["AWS_ENDPOINT_URL_SQS"] = self.sqs_endpoint
        self._environment.set_variables({**merged, **local})
        region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        for name, value in {
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,  # Lambda sets both
            # botocore signs every request, even to DynamoDB Local; any credentials do.
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "POWERTOOLS_METRICS_NAMESPACE": "MessagingApi",
        }.items():
            self._environment.set_default(name, value)

    def stop(self) -> None:
        """Stop serving and polling, stop the DynamoDB Local this server started, restore the environment."""
        if self.event_sources is not None:
            self.event_sources.request_stop()  # an invocation the pools' closing cuts short is not settled
        if self._http is not None:
            if self._thread is not None:
                self._http.shutdown()
                self._thread.join()
            self._http.server_close()
            self._http, self._thread = None, None
        for pool in self._pools:
            pool.close()
        self._pools = []
        if self.event_sources is not None:
            self.event_sources.stop()
            self.event_sources = None
        if self.dynamodb_local is not None:
            self.dynamodb_local.stop()
            self.dynamodb_local, self.dynamodb_endpoint = None, None
        if self.sqs_local is not None:
            self.sqs_local.stop()
            self.sqs_local, self.sqs_endpoint = None, None
        self._environment.restore()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def parameter_overrides(params: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    """`PARAM_<Name>` environment variables, then `--param Name=value` (the command line wins)."""
    overrides = {name.removeprefix("PARAM_"): v for name, v in environ.items() if name.startswith("PARAM_")}
    for param in params:
        name, separator, value = param.partition("=")
        if not separator or not name:
            raise SystemExit(f"error: --param {param!r} is not Name=value")
        overrides[name] = value
    return overrides


def _print_banner(server: DevServer) -> None:
    create = next(
        (r for r in http_routes(load_template(server.template_path)) if r.path.endswith("/create")), None
    )
    database = (
        f"DynamoDB Local {server.dynamodb_endpoint} (pid {server.dynamodb_local.pid})"
        if server.dynamodb_local is not None
        else f"DynamoDB at {server.dynamodb_endpoint} (from DYNAMODB_ENDPOINT)"
    )
    lines = [
        f"Messaging API (local) on {server.base_url}   [{database}]",
        f"API docs (Swagger UI): {server.base_url}{DOCS_PATH}",
        "WARNING: LOCAL ONLY - bearer token signatures are NOT verified; any unexpired JWT is accepted "
        "(the routes' scopes from template.yaml are enforced).",
        f"export TOKEN={mint_token('local-client', ttl_seconds=12 * 3600)}",
        '(another tenant: TOKEN=$(make token CLIENT=<id>); other scopes: make token SCOPE="<scopes>")',
    ]
    if create is not None:
        lines.append(
            f'curl -s -X {create.method} {server.base_url}{create.path} -H "Authorization: Bearer $TOKEN" '
            f"-H 'Content-Type: application/json' -d '{SAMPLE_CREATE_BODY}'"
        )
    if server.event_sources is not None:
        lines.append("Event sources (from the template):")
        lines += [f"  {line}" for line in server.event_sources.describe()] or ["  none"]
    lines.append("Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Messaging API locally (tokens are NOT verified).")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "3000")), help="0: any free port"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument(
        "--param", action="append", default=[], help="template parameter Name=value (repeatable)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WORKERS", "4")),
        help="worker processes per function, like Lambda's execution environments (0: one, in-process)",
    )
    parser.add_argument(
        "--schedule-seconds",
        action="append",
        default=[],
        metavar="NAME=SECONDS",
        help="LOCAL ONLY: run schedule NAME (a function's logical id, or Function.Event) every SECONDS "
        "instead of its template rate (repeatable)",
    )
    parser.add_argument(
        "--no-event-sources", action="store_true", help="run no schedules or stream consumers, only the API"
    )
    args = parser.parse_args(argv)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server = DevServer(
        args.template,
        host=args.host,
        port=args.port,
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        parameter_overrides=parameter_overrides(args.param, os.environ),
        workers=args.workers,
        event_sources=not args.no_event_sources,
        schedule_seconds=schedule_periods(args.schedule_seconds),
    )
    try:
        server.start()
    except Exception:
        traceback.print_exc()
        print("error: the dev server did not start (see above).", file=sys.stderr)
        return 1
    try:
        _print_banner(server)
        stop_requested.wait()
    finally:
        server.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
