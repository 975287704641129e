"""One warmed handler process, run as a script:
`python rss_child.py <code dir> <layer dir> <module> <repo> <events.json> <result.json>`.

Imports the handler as Lambda does (task root, then layer), invokes it with every event of the file in turn,
and writes its peak RSS after init and after the requests, and the status codes it answered.

Peak RSS is the process's own high-water mark, VmHWM in /proc/self/status. ru_maxrss would be wrong here:
Linux carries the parent's high-water mark into a child across fork + exec, so every child started by the
bench (itself ~65 MB) would report at least the bench's size. Where /proc is missing, ru_maxrss is used.
"""

import resource
import sys

code_dir, layer_dir, module, repo, events_path, result_path = sys.argv[1:7]
sys.path[0] = code_dir
sys.path.insert(1, layer_dir)
app = __import__(module)

import json  # noqa: E402 - after the handler, as nothing else should load before it


def peak_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


init_kb = peak_kb()
sys.path.append(repo)
from local.events import lambda_context  # noqa: E402

with open(events_path, encoding="utf-8") as source:
    events = json.load(source)
statuses: dict[str, int] = {}
for event in events:
    answer = app.lambda_handler(event, lambda_context("bench"))
    statuses[str(answer["statusCode"])] = statuses.get(str(answer["statusCode"]), 0) + 1
with open(result_path, "w", encoding="utf-8") as target:
    json.dump({"init_kb": init_kb, "peak_kb": peak_kb(), "statuses": statuses}, target)
