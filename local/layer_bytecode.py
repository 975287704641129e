"""Ships compiled bytecode for the modules the functions import, in the built layer.

`sam build` lays the layer out without .pyc files, and Lambda's /opt is read-only, so every cold start would
compile pydantic, Powertools and our package from source (bench: ~700 ms of init instead of ~370 ms).
Unchecked-hash .pyc files are used as they are, whatever the files' timestamps after zipping. Only the
modules the functions really import are compiled (all of them would push the layer past its size budget).
The module list comes from importing the handlers in this machine's venv: the same pure-Python packages,
so it holds for a layer built for another architecture too.

Usage: python -m local.layer_bytecode .aws-sam/build/SharedLayer/python
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import py_compile
import subprocess
import sys
from pathlib import Path

from local.template import function_properties, load_template, resources_of_type

REPO = Path(__file__).resolve().parent.parent


def template_functions(template_path: Path = REPO / "template.yaml") -> tuple[str, ...]:
    """The folder (functions/<folder>/, its CodeUri) of each AWS::Serverless::Function, never hand-kept."""
    template = load_template(template_path)
    return tuple(
        str(function_properties(template, logical_id)["CodeUri"]).strip("/").rpartition("/")[2]
        for logical_id in resources_of_type(template, "AWS::Serverless::Function")
    )


FUNCTIONS = template_functions()

_LIST_MODULES = """
import importlib.util, json, os, sys
os.environ.update({"CONVERSATIONS_TABLE": "t", "CONTACTS_TABLE": "t", "IDEMPOTENCY_TABLE": "t",
                   "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_METRICS_NAMESPACE": "bytecode",
                   "ID_SECRET": "local-only-NOT-A-SECRET-module-listing-only-0123456789"})
for name in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location(f"{name}_app", f"functions/{name}/app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
# A refused request imports the models (and pydantic) to explain itself: compiled too, or every cold
# environment's first 400 would compile pydantic from source.
import pkgutil, messaging.http.models as models
for info in pkgutil.iter_modules(models.__path__, "messaging.http.models."):
    importlib.import_module(info.name)
# A create with a conversationrequestid loads Powertools' idempotency on first use
# (messaging.usecases.idempotent_on_demand): compiled too, or that first request would compile it.
importlib.import_module("messaging.usecases.idempotency")
print(json.dumps(sorted(sys.modules)))
"""


def imported_modules(functions: tuple[str, ...] = FUNCTIONS) -> list[str]:
    """Names of every module the functions' handlers import at init, as Lambda would import them, and those
    a refused request (the request models, pydantic) or an idempotent create (Powertools' idempotency)
    imports on first use."""
    output = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES, *functions],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "layers" / "shared"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names: list[str] = json.loads(output.splitlines()[-1])
    return names


def source_in_layer(layer_python: Path, module: str) -> Path | None:
    base = layer_python.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def compile_for_lambda(layer_python: Path, modules: list[str]) -> int:
    compiled = 0
    for module in modules:
        source = source_in_layer(layer_python, module)
        if source is None:  # stdlib, boto3 (the runtime's), or a native extension
            continue
        py_compile.compile(
            str(source),
            cfile=importlib.util.cache_from_source(str(source)),
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            doraise=True,
        )
        compiled += 1
    return compiled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("layer_python", type=Path, help="the built layer's python/ folder")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != (3, 13):
        print("error: run with Python 3.13 (the runtime's bytecode format)", file=sys.stderr)
        return 1
    count = compile_for_lambda(args.layer_python, imported_modules())
    print(f"layer bytecode: {count} modules compiled (unchecked-hash) in {args.layer_python}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
