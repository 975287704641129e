"""One cold init, in a fresh interpreter: `python cold_child.py <code dir> <layer dir|-> <module>`.

Like Lambda's Python runtime: the function's folder first on sys.path (the task root), the layer next
(/opt/python), then the interpreter's own site-packages (the runtime's boto3); then the handler module is
imported, which creates its clients at module scope. Prints one JSON line: the init time in ms (import and
clients, measured inside this process: wall and CPU time), and how many modules are loaded.
"""

import sys
import time

start = time.perf_counter()
cpu_start = time.process_time()
code_dir, layer_dir, module = sys.argv[1:4]
sys.path[0] = code_dir  # the script's own folder (bench/) is not on Lambda's path: the task root is
if layer_dir != "-":
    sys.path.insert(1, layer_dir)
__import__(module)
elapsed_ms = (time.perf_counter() - start) * 1000
cpu_ms = (time.process_time() - cpu_start) * 1000

import json  # noqa: E402 - after the measurement on purpose

print(json.dumps({"init_ms": elapsed_ms, "cpu_ms": cpu_ms, "modules": len(sys.modules)}))
