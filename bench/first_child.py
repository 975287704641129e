"""One cold start, init and first request, in a fresh interpreter:
`python first_child.py <code dir> <layer dir|-> <module> <handler> <work.json> <result.json>`.

Like Lambda's Python runtime: the function's folder first on sys.path (the task root), the layer next
(/opt/python), then the interpreter's own site-packages (the runtime's boto3). Timed from the first line:

1. import: the handler module is imported (it creates its clients at module scope). The import-only figure.
2. first request: the work file says what to do next, with the clocks stopped while it is read:
   - "invoke": call <module>.<handler>(event, context) with the sample event (a product function);
   - "replay": make the recorded DynamoDB calls again on <module>.<handler>, a client (the floor: floor_app's
     `client`), in order, ClientErrors caught (bench/replay.py);
   - "import": nothing (the import-only run of an instruction count, bench/instructions.py).
   Init + first request = 1 + 2. Deferring work from the import to the first request moves it between the
   two figures; it does not take it out of the second.

Every botocore call of the process is recorded (phase, service, operation, params as passed, error code):
botocore.client's BaseClient._make_api_call is wrapped the moment botocore.client is loaded, by a finder on
sys.meta_path, so nothing is imported ahead of the handler and any client (boto3's, a botocore session's,
Powertools' own) is seen. The floor's process records the same way, so both sides pay the same recording.
Nothing but `sys` and `time` (loaded by the interpreter itself) is imported before the handler.

The result file gets the times (wall and CPU, in ms, of the import and of import + first request), the
module counts, the answer's status code, and the recorded calls.
"""

import sys
import time

TYPE_CHECKING = False  # typing is not imported at run time: nothing but the handler may load modules
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

start = time.perf_counter()
cpu_start = time.process_time()
code_dir, layer_dir, module_name, handler_name, work_path, result_path = sys.argv[1:7]
sys.path[0] = code_dir  # the script's own folder (bench/) is not on Lambda's path: the task root is
if layer_dir != "-":
    sys.path.insert(1, layer_dir)

calls: "list[list[Any]]" = []  # [phase, service, operation, params, error code]
phase = ["init"]


def _record_calls(client_module: "ModuleType") -> None:
    import copy  # noqa: PLC0415 - botocore.client has just imported it: no new module

    base = client_module.BaseClient
    make_api_call = base._make_api_call

    def recording(self: "Any", operation_name: str, api_params: "dict[str, Any]") -> "Any":
        record = [
            phase[0],
            self.meta.service_model.service_name,
            operation_name,
            copy.deepcopy(api_params),  # botocore's handlers may add to the caller's dict afterwards
            None,
        ]
        calls.append(record)
        try:
            return make_api_call(self, operation_name, api_params)
        except Exception as error:
            record[4] = (getattr(error, "response", None) or {}).get("Error", {}).get("Code")
            record[4] = record[4] or type(error).__name__
            raise

    base._make_api_call = recording


class _OnBotocoreClient:
    """A sys.meta_path finder that only wraps the loader of botocore.client, then removes itself."""

    def find_spec(self, name: str, path: "Any" = None, target: "Any" = None) -> "ModuleSpec | None":
        if name != "botocore.client":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader: Any = spec.loader
        exec_module = loader.exec_module

        def exec_and_record(module: "ModuleType") -> None:
            exec_module(module)
            _record_calls(module)

        loader.exec_module = exec_and_record
        return spec


sys.meta_path.insert(0, _OnBotocoreClient())
handler_module = __import__(module_name)
import_ms = (time.perf_counter() - start) * 1000
import_cpu_ms = (time.process_time() - cpu_start) * 1000
modules_after_import = len(sys.modules)

# Clocks stopped: reading the work file is the bench's, not the function's. The product's side loads only
# json (botocore has loaded it already), so that no module its first request needs is loaded for it here.
paused, paused_cpu = time.perf_counter(), time.process_time()
import json  # noqa: E402

with open(work_path, encoding="utf-8") as source:
    work = json.load(source)


def _load_replay() -> "Any":
    import importlib.util  # noqa: PLC0415

    spec: Any = importlib.util.spec_from_file_location("bench_first_child_replay", work["replay_module"])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


replay = _load_replay() if work["mode"] == "replay" else None
to_replay = [replay.Call.from_json(call) for call in work["calls"]] if replay is not None else []


class LambdaContext:
    """The attributes of Lambda's context that handlers and Powertools read."""

    def __init__(self, function_name: str, memory_mb: int, request_id: str, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


context = LambdaContext(work["function_name"], work["memory_mb"], work["request_id"], work["timeout_s"])
event = work.get("event")
target = getattr(handler_module, handler_name)
modules_after_pause = len(sys.modules)
phase[0] = "request"
resumed, resumed_cpu = time.perf_counter(), time.process_time()
if work["mode"] == "import":  # the import-only figure of an instruction count: no request at all
    answer = {}
elif replay is None:
    answer = target(event, context)
else:
    answer = {"outcomes": replay.replay(target, to_replay)}
done, done_cpu = time.perf_counter(), time.process_time()
modules_after_first = len(sys.modules)

replay = replay or _load_replay()
with open(result_path, "w", encoding="utf-8") as result_file:
    json.dump(
        {
            "import_ms": import_ms,
            "import_cpu_ms": import_cpu_ms,
            "first_ms": import_ms + (done - resumed) * 1000,
            "first_cpu_ms": import_cpu_ms + (done_cpu - resumed_cpu) * 1000,
            "paused_ms": (resumed - paused) * 1000,
            "modules_after_import": modules_after_import,
            "modules_by_first_request": modules_after_first - modules_after_pause,
            "status": answer.get("statusCode") if isinstance(answer, dict) else None,
            "calls": [
                replay.Call(phase_, service, operation, params, error).to_json()
                for phase_, service, operation, params, error in calls
            ],
        },
        result_file,
    )
