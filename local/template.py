"""Reads template.yaml the way the local tools need it: routes, functions' environment, parameters.

PyYAML cannot read CloudFormation short tags (!Ref, !GetAtt, !Sub, ...) on its own; they are turned
into the long form (`{"Ref": x}`, `{"Fn::GetAtt": [r, a]}`) so the rest reads like the JSON template.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Template = dict[str, Any]

# What CloudFormation would give for its pseudo parameters, for a local stack.
PSEUDO_PARAMETERS = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "messaging-api-local",
}


class TemplateError(ValueError):
    """The template holds something the local tools cannot resolve."""


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader plus the CloudFormation short tags."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        # `!GetAtt Table.Arn` is the short form of ["Table", "Arn"]; the attribute itself may hold dots.
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path | str) -> Template:
    with Path(path).open(encoding="utf-8") as stream:
        loaded = yaml.load(stream, Loader=_CloudFormationLoader)  # a SafeLoader subclass
    if not isinstance(loaded, dict):
        raise TemplateError(f"{path} is not a CloudFormation template (top level is not a mapping)")
    return loaded


def _cfn_string(value: Any) -> str:
    """A scalar the way CloudFormation renders it into a string (booleans lower case, lists comma-joined)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_cfn_string(item) for item in value)
    return str(value)


def parameter_defaults(template: Template) -> dict[str, str]:
    parameters: dict[str, Any] = template.get("Parameters") or {}
    return {name: _cfn_string(spec["Default"]) for name, spec in parameters.items() if "Default" in spec}


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = template.get("Resources") or {}
    return {logical_id: r for logical_id, r in resources.items() if r.get("Type") == resource_type}


def function_properties(template: Template, function_id: str) -> dict[str, Any]:
    """A function's properties over Globals.Function (the function's own win, as in SAM)."""
    functions = resources_of_type(template, "AWS::Serverless::Function")
    if function_id not in functions:
        raise TemplateError(f"no AWS::Serverless::Function named {function_id} in the template")
    globals_: dict[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    return {**globals_, **(functions[function_id].get("Properties") or {})}


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # /api/v1.0/consumer/conversation/{conversationId}, or $default
    function_id: str
    code_uri: str
    handler: str


def http_routes(template: Template) -> list[Route]:
    """Every HttpApi event of every function. A missing Method/Path is the $default catch-all, as in SAM."""
    routes = []
    for function_id, function in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = function_properties(template, function_id)
        for event in (function.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            event_properties = event.get("Properties") or {}
            routes.append(
                Route(
                    method=str(event_properties.get("Method", "ANY")).upper(),
                    path=str(event_properties.get("Path", "$default")),
                    function_id=function_id,
                    code_uri=str(properties["CodeUri"]),
                    handler=str(properties["Handler"]),
                )
            )
    return routes


def layer_dirs(template: Template, function_id: str) -> list[str]:
    """ContentUri of each local layer (`!Ref SomeLayerVersion`) of a function, in the template's order."""
    layers = resources_of_type(template, "AWS::Serverless::LayerVersion")
    dirs = []
    for layer in function_properties(template, function_id).get("Layers") or []:
        name = layer.get("Ref") if isinstance(layer, dict) else None
        if name in layers:
            dirs.append(str(layers[name]["Properties"]["ContentUri"]))
    return dirs


def function_environment(
    template: Template,
    function_logical_id: str,
    table_names: dict[str, str],
    parameter_overrides: dict[str, str],
    queue_urls: dict[str, str] | None = None,
) -> dict[str, str]:
    """Globals.Function.Environment merged with the function's own, every value resolved to a string.

    A queue's `!Ref` is its URL: from `queue_urls` (the local queue engine's), else a placeholder that names
    it (for tools that only import the functions)."""
    functions = resources_of_type(template, "AWS::Serverless::Function")
    if function_logical_id not in functions:
        raise TemplateError(f"no AWS::Serverless::Function named {function_logical_id} in the template")
    globals_: dict[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    own: dict[str, Any] = functions[function_logical_id].get("Properties") or {}
    variables: dict[str, Any] = {
        **((globals_.get("Environment") or {}).get("Variables") or {}),
        **((own.get("Environment") or {}).get("Variables") or {}),
    }
    secrets = {name: name for name in resources_of_type(template, "AWS::SecretsManager::Secret")}
    queues = {
        name: (queue_urls or {}).get(name, f"http://127.0.0.1/queue/{name}")
        for name in resources_of_type(template, "AWS::SQS::Queue")
    }
    references = {
        **PSEUDO_PARAMETERS,
        **parameter_defaults(template),
        **parameter_overrides,
        **table_names,
        **secrets,
        **queues,
    }
    return {name: _resolve(value, references, name) for name, value in variables.items()}


_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")
# A dynamic reference CloudFormation resolves at deploy time; locally, a fixed value per secret.
_SECRET_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:([^:}]+)(?::SecretString)?\}\}")


def local_secret(name: str) -> str:
    """The local stand-in for a generated secret: public, in the repository, trusted by nothing deployed."""
    return f"local-only-NOT-A-SECRET-{name}-messaging-api-development"


def _resolve(value: Any, references: dict[str, str], variable: str) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return _reference(str(value["Ref"]), references, variable)
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text: str = value["Fn::Sub"]
        resolved = _SUB_VARIABLE.sub(lambda m: _reference(m.group(1), references, variable), text)
        return _SECRET_REFERENCE.sub(lambda m: local_secret(m.group(1)), resolved)
    if isinstance(value, dict):
        raise TemplateError(f"{variable}: {value} cannot be resolved locally (only !Ref and !Sub are)")
    return _cfn_string(value)


def _reference(name: str, references: dict[str, str], variable: str) -> str:
    if name not in references:
        raise TemplateError(
            f"{variable}: !Ref {name} has no local value. A table? It must be an AWS::DynamoDB::Table. "
            f"A parameter without a default? Pass --param {name}=<value> (or env PARAM_{name})."
        )
    return references[name]
