"""Loads function handlers in-process, the way the Lambda Python runtime would find them.

Every function's module is `app.py`, so each is imported by file path under a unique module name.
Layers go on sys.path like Lambda's /opt/python. A function's own folder is NOT put on sys.path (two
functions could hold same-named helpers), so a handler module may import only the layer and libraries.
"""

import importlib.util
import itertools
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]

_module_numbers = itertools.count(1)


class HandlerLoadError(RuntimeError):
    """A function's handler cannot be imported."""


def load_handler(code_dir: Path, handler: str, function_id: str) -> tuple[Handler, ModuleType]:
    """Import `module.function` (Lambda's Handler syntax) from `code_dir`; returns the function and module."""
    module_path, _, function_name = handler.rpartition(".")
    source = code_dir / (module_path.replace(".", "/") + ".py")
    if not module_path or not source.is_file():
        raise HandlerLoadError(f"{function_id}: handler {handler!r} needs {source}, which does not exist")
    module_name = f"_local_function_{next(_module_numbers)}_{function_id}"
    spec = importlib.util.spec_from_file_location(module_name, source)
    if spec is None or spec.loader is None:
        raise HandlerLoadError(f"{function_id}: cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    # Registered before running, as `import` does: dataclasses and pydantic look their module up by name.
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    function = getattr(module, function_name, None)
    if not callable(function):
        del sys.modules[module_name]
        raise HandlerLoadError(f"{function_id}: {source} has no function {function_name!r}")
    return function, module


class ProcessEnvironment:
    """Sets environment variables and sys.path entries for the handlers, and puts everything back."""

    def __init__(self) -> None:
        self._saved_environment: dict[str, str | None] = {}
        self._added_paths: list[str] = []
        self._modules: list[str] = []

    def set_variables(self, variables: Mapping[str, str]) -> None:
        for name, value in variables.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def set_default(self, name: str, value: str) -> None:
        if name not in os.environ:
            self.set_variables({name: value})

    def add_import_path(self, directory: Path) -> None:
        entry = str(directory.resolve())
        if entry not in sys.path:
            sys.path.insert(0, entry)
            self._added_paths.append(entry)

    def forget_module_on_restore(self, module: ModuleType) -> None:
        self._modules.append(module.__name__)

    def restore(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for entry in self._added_paths:
            if entry in sys.path:
                sys.path.remove(entry)
        for module_name in self._modules:
            sys.modules.pop(module_name, None)
        self._saved_environment, self._added_paths, self._modules = {}, [], []


class SerializedHandler:
    """Runs a function's handler one invocation at a time across the whole process.

    Powertools' resolver keeps the current event on its class (`BaseRouter.current_event`), which is safe in
    Lambda (one request per process) but not for concurrent threads of one process, even with separate app
    instances: one request could read another's body or tenant. So local invocations are serialized; the
    concurrency guarantees live in DynamoDB and are tested there (tests/integration)."""

    def __init__(self, load: Callable[[], tuple[Handler, ModuleType]], on_load: Callable[[ModuleType], None]):
        self._handler, module = load()
        on_load(module)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with _invocation_lock:
            return self._handler(event, context)


_invocation_lock = threading.Lock()
