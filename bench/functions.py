"""The functions the bench measures and the sample event of each, derived, never listed by hand.

- Functions: every AWS::Serverless::Function of template.yaml. Its folder is the last part of its CodeUri
  (functions/<folder>/), its module and handler come from Handler (`app.lambda_handler`). API functions are
  those with an HttpApi event; the others (stream, schedule and queue consumers) are reported apart.
- Samples: the repository's convention is events/<folder>.<case>.json. A function's main sample, the one its
  cold start is measured with, is the first of its samples in sort order of the case name, unless
  MAIN_CASES names another case. MAIN_CASES is for samples that would make a poor first request
  (`create_conversation.invalid` sorts first, and a 400 never reaches DynamoDB); an entry naming a missing
  sample is an error, so it cannot go stale silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.template import Template, function_properties, resources_of_type

# folder -> case. create: the sample that reaches every part of a create (context, start message, a
# contact by email, an idempotency key), so that no code deferred to some branch of the first request
# escapes the measurement.
MAIN_CASES: Mapping[str, str] = {"create_conversation": "with-context-and-startmessage"}


@dataclass(frozen=True)
class Function:
    folder: str  # functions/<folder>/
    logical_id: str
    handler: str  # module.function, as Lambda's Handler
    event_types: tuple[str, ...]  # the Type of each of its Events

    @property
    def api(self) -> bool:
        return "HttpApi" in self.event_types

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


def functions_of(template: Template) -> list[Function]:
    """Every AWS::Serverless::Function, in the template's order."""
    functions = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = function_properties(template, logical_id)
        events: dict[str, Any] = (resource.get("Properties") or {}).get("Events") or {}
        functions.append(
            Function(
                folder=str(properties["CodeUri"]).strip("/").rpartition("/")[2],
                logical_id=logical_id,
                handler=str(properties["Handler"]),
                event_types=tuple(str(event.get("Type")) for event in events.values()),
            )
        )
    return functions


class SampleError(LookupError):
    """A function has no usable sample event."""


def main_sample(folder: str, file_names: Iterable[str], main_cases: Mapping[str, str] = MAIN_CASES) -> str:
    """The file name of `folder`'s main sample among `file_names` (names in events/, any order)."""
    prefix = f"{folder}."
    cases = sorted(
        name.removeprefix(prefix).removesuffix(".json")
        for name in file_names
        if name.startswith(prefix) and name.endswith(".json") and len(name) > len(prefix) + len(".json")
    )
    if folder in main_cases:
        if main_cases[folder] not in cases:
            raise SampleError(
                f"bench.functions.MAIN_CASES names events/{folder}.{main_cases[folder]}.json, which does not "
                f"exist (samples of {folder}: {', '.join(cases) or 'none'})"
            )
        return f"{prefix}{main_cases[folder]}.json"
    if not cases:
        raise SampleError(f"no sample event for {folder}: add events/{folder}.<case>.json")
    return f"{prefix}{cases[0]}.json"


def main_samples(functions: Iterable[Function], events_dir: Path) -> dict[str, Path]:
    """folder -> path of its main sample."""
    names = [path.name for path in events_dir.glob("*.json")]
    return {function.folder: events_dir / main_sample(function.folder, names) for function in functions}
