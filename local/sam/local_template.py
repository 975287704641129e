"""Write the template that `sam local` runs: template.yaml adapted to this machine (never edits the original).

Changes, and only these:
- every layer's `Metadata: BuildArchitecture` and the `Architecture` parameter's default become ``--arch``
  (the host's: `sam local` runs the code natively, and Metadata cannot take a parameter);
- `Globals.Function.Environment.Variables` gains ``AWS_ENDPOINT_URL_DYNAMODB`` and ``AWS_ENDPOINT_URL_SQS``
  (empty): `sam local` only lets ``--env-vars`` set variables that the template declares, and these point
  boto3 at DynamoDB Local and at the local queue engine;
- every function's `Timeout` (in Globals and its own) becomes at least ``LOCAL_MIN_TIMEOUT`` seconds:
  `sam local` counts the runtime's start and the code's init in the container against `Timeout`, which
  Lambda does not (init has its own limit there), and on a busy 2-CPU machine a first request took over 10 s
  that way.

Intrinsic functions (``!Ref``, ``!GetAtt`` ...) are kept as written. Relative paths stay relative to the
original template's folder: build with ``sam build --base-dir <repo>``.

Usage: python -m local.sam.local_template template.yaml .aws-sam/local-template.yaml --arch x86_64
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

LAYER_TYPES = {"AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"}
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS")
FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}
LOCAL_MIN_TIMEOUT = 60  # seconds


class Tagged:
    """A CloudFormation short-form intrinsic (``!Ref X``) kept verbatim through a load/dump round trip."""

    def __init__(self, tag: str, node: yaml.Node, value: Any) -> None:
        self.tag = tag
        self.node_type = type(node)
        self.value = value


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _construct_tagged(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Tagged:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return Tagged("!" + tag_suffix, node, value)


def _represent_tagged(dumper: yaml.SafeDumper, data: Tagged) -> yaml.Node:
    if data.node_type is yaml.ScalarNode:
        return dumper.represent_scalar(data.tag, data.value)
    if data.node_type is yaml.SequenceNode:
        return dumper.represent_sequence(data.tag, data.value)
    return dumper.represent_mapping(data.tag, data.value)


_Loader.add_multi_constructor("!", _construct_tagged)
_Dumper.add_representer(Tagged, _represent_tagged)


def _at_least_local_minimum(properties: dict[str, Any], default: int | None) -> None:
    timeout = properties.get("Timeout", default)
    if isinstance(timeout, int) and timeout < LOCAL_MIN_TIMEOUT:  # a !Ref is left as it is
        properties["Timeout"] = LOCAL_MIN_TIMEOUT


def adapt(template: dict[str, Any], arch: str) -> dict[str, Any]:
    for resource in (template.get("Resources") or {}).values():
        if isinstance(resource, dict) and resource.get("Type") in LAYER_TYPES:
            metadata = resource.setdefault("Metadata", {})
            if "BuildMethod" in metadata:
                metadata["BuildArchitecture"] = arch
        if isinstance(resource, dict) and resource.get("Type") in FUNCTION_TYPES:
            _at_least_local_minimum(resource.setdefault("Properties", {}), None)
    parameter = (template.get("Parameters") or {}).get("Architecture")
    if isinstance(parameter, dict):
        parameter["Default"] = arch
    function_globals = template.setdefault("Globals", {}).setdefault("Function", {})
    _at_least_local_minimum(function_globals, 3)  # Lambda's default
    variables = function_globals.setdefault("Environment", {}).setdefault("Variables", {})
    for name in ENDPOINT_VARIABLES:
        variables.setdefault(name, "")
    return template


def read(path: Path) -> dict[str, Any]:
    """A template, its short-form intrinsics kept as written."""
    template: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader
    return template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--arch", choices=["x86_64", "arm64"], required=True)
    args = parser.parse_args()
    template = read(args.source)
    adapt(template, args.arch)
    args.target.parent.mkdir(parents=True, exist_ok=True)
    header = f"# GENERATED from {args.source} by local/sam/local_template.py for `sam local` - do not edit.\n"
    body = yaml.dump(template, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)
    args.target.write_text(header + body, encoding="utf-8")


if __name__ == "__main__":
    main()
