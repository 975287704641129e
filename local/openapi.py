"""The API's OpenAPI document, generated from the functions' operation declarations and pydantic models.

`python -m local.openapi` writes openapi.json at the repository root; `--check` exits 1 when the committed
file differs from what the code generates. Every HttpApi function of template.yaml is imported (with harmless
configuration: nothing is called) and its `endpoint` lists its operations (messaging.http.endpoint): paths,
models (named by import path: a function imports none to answer a valid request), answers with examples and
links, the problem codes each can answer. The scopes come from the template's routes, the problem documents
from messaging.http.problem: what the code enforces is what the document says.
"""

import argparse
import json
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local.dynamodb_local import REPO_ROOT
from local.lambda_runtime import ProcessEnvironment, load_handler
from local.scopes import route_scopes as required_scopes
from local.template import (
    Template,
    function_environment,
    http_routes,
    layer_dirs,
    load_template,
    resources_of_type,
)

OPENAPI_FILE = REPO_ROOT / "openapi.json"
TITLE = "Messaging API"
DESCRIPTION = (
    "A contact-center Messaging API. The consumer side (a business's channel backend) starts, reads and ends "
    "its customers' conversations; the representative side (the business's agent tooling) takes them from "
    "the queue and works them. Generated from the code by `python -m local.openapi`; do not edit by hand."
)
REGENERATE = "python -m local.openapi"  # what to run when the committed document is stale
BEARER = "bearerAuth"
_SCHEMA_REF = "#/components/schemas/"

Document = dict[str, Any]


class OpenApiError(RuntimeError):
    """The functions' documents cannot be merged into one."""


def api_version(pyproject: Path = REPO_ROOT / "pyproject.toml") -> str:
    with pyproject.open("rb") as stream:
        return str(tomllib.load(stream)["project"]["version"])


@contextmanager
def _importable_functions(template: Template, template_dir: Path) -> Iterator[dict[str, Path]]:
    """Each HttpApi function's code folder, with its layers importable and a harmless environment set
    (handlers read their configuration when imported; table names that exist nowhere are fine)."""
    environment = ProcessEnvironment()
    tables = {name: f"openapi-{name}" for name in resources_of_type(template, "AWS::DynamoDB::Table")}
    parameters: dict[str, Any] = template.get("Parameters") or {}
    placeholders = {name: "openapi" for name, spec in parameters.items() if "Default" not in spec}
    functions: dict[str, Path] = {}
    try:
        for route in sorted(http_routes(template), key=lambda r: r.function_id):
            if route.function_id in functions:
                continue
            functions[route.function_id] = template_dir / route.code_uri
            for layer in layer_dirs(template, route.function_id):
                environment.add_import_path(template_dir / layer)
            variables = function_environment(template, route.function_id, tables, placeholders)
            environment.set_variables(variables)
        environment.set_default("AWS_DEFAULT_REGION", "us-east-1")
        environment.set_default("POWERTOOLS_METRICS_NAMESPACE", "MessagingApi")
        yield functions
    finally:
        environment.restore()


def _operations(template: Template, template_dir: Path) -> dict[str, list[Any]]:
    """Every operation the template's functions declare (messaging.http.endpoint.Operation), by function."""
    handlers = {route.function_id: route.handler for route in http_routes(template)}
    operations: dict[str, list[Any]] = {}
    with _importable_functions(template, template_dir) as functions:
        for function_id, code_dir in functions.items():
            _, module = load_handler(code_dir, handlers[function_id], function_id)
            endpoint = getattr(module, "endpoint", None)
            if endpoint is None:
                raise OpenApiError(f"{function_id}: {code_dir}/app.py declares no `endpoint`")
            operations[function_id] = list(endpoint.operations)
    return operations


def _schemas(operations: list[Any]) -> tuple[dict[tuple[type, str], str], dict[str, Any]]:
    """The JSON Schemas of every model, requests in validation mode and answers in serialization mode."""
    from pydantic.json_schema import models_json_schema  # noqa: PLC0415 - importable once the layer is on the path

    models: dict[Any, None] = {}
    for operation in operations:
        for model in (operation.body_model, operation.query_model):
            if model is not None:
                models[(model, "validation")] = None
        for documented in operation.answers.values():
            if documented.model_class is not None:
                models[(documented.model_class, "serialization")] = None
    key_map, definitions = models_json_schema(list(models), ref_template=_SCHEMA_REF + "{model}")
    references: dict[tuple[type, str], str] = {key: value["$ref"] for key, value in key_map.items()}
    return references, definitions.get("$defs", {})


def _problem_schemas() -> dict[str, Any]:
    from messaging.http.problem import MAX_FIELD_ERRORS, MAX_TEXT, PROBLEM_TYPES  # noqa: PLC0415

    codes = sorted(PROBLEM_TYPES)
    return {
        "Problem": {
            "title": "Problem",
            "description": "An RFC 9457 problem document. `code` is the machine-readable kind; `type` "
            "links to its explanation. Extension members: `errors` (field errors), `moreErrors`, and per "
            "code `conversationStatus` + `allowedEvents` (invalid_transition) or `conversationId` "
            "(customer_has_active_conversation).",
            "type": "object",
            "properties": {
                "type": {"type": "string", "description": "A URI reference to this kind's documentation."},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "code": {"type": "string", "enum": codes},
                "errors": {
                    "type": "array",
                    "maxItems": MAX_FIELD_ERRORS,
                    "items": {"$ref": f"{_SCHEMA_REF}FieldError"},
                },
                "moreErrors": {"type": "integer", "minimum": 1, "description": "Field errors not listed."},
            },
            "required": ["type", "title", "status", "detail", "code"],
        },
        "FieldError": {
            "title": "FieldError",
            "type": "object",
            "properties": {
                "field": {
                    "type": "string",
                    "maxLength": MAX_TEXT,
                    "description": "Dotted: customercontext.email",
                },
                "code": {"type": "string", "maxLength": MAX_TEXT, "description": "The rule broken."},
                "message": {
                    "type": "string",
                    "maxLength": MAX_TEXT,
                    "description": "The rule, with its limit.",
                },
            },
            "required": ["field", "code", "message"],
        },
        # What API Gateway itself answers deployed (its JWT authorizer, its throttling): not problem details.
        "GatewayMessage": {
            "title": "GatewayMessage",
            "type": "object",
            "properties": {"message": {"type": "string"}},
            "required": ["message"],
        },
    }


_GATEWAY_ANSWERS = {
    401: "Deployed, API Gateway's JWT authorizer answers a missing or invalid token itself: "
    '{"message": "Unauthorized"} (HTTP APIs cannot reshape it).',
    403: "Deployed, API Gateway's JWT authorizer answers a token without the route's scope: {\"message\": "
    '"Forbidden"}.',
}
_HEADERS = {
    "unauthorized": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    "request_in_progress": {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds."}},
    "service_unavailable": {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds."}},
}


def _error_answers(codes: tuple[str, ...]) -> dict[str, Any]:
    from messaging.http.problem import PROBLEM_JSON, PROBLEM_TYPES, problem  # noqa: PLC0415

    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(PROBLEM_TYPES[code].status, []).append(code)
    answers: dict[str, Any] = {}
    for status, status_codes in sorted(by_status.items()):
        lines = [f"`{code}`: {PROBLEM_TYPES[code].description}" for code in status_codes]
        content: dict[str, Any] = {
            PROBLEM_JSON: {
                "schema": {"$ref": f"{_SCHEMA_REF}Problem"},
                "examples": {
                    code: {
                        "summary": PROBLEM_TYPES[code].title,
                        "value": problem(code, PROBLEM_TYPES[code].title),
                    }
                    for code in status_codes
                },
            }
        }
        if status in _GATEWAY_ANSWERS:
            lines.append(_GATEWAY_ANSWERS[status])
            content["application/json"] = {"schema": {"$ref": f"{_SCHEMA_REF}GatewayMessage"}}
        answer: dict[str, Any] = {"description": "\n\n".join(lines), "content": content}
        headers = {name: spec for code in status_codes for name, spec in _HEADERS.get(code, {}).items()}
        if headers:
            answer["headers"] = headers
        answers[str(status)] = answer
    return answers


def _parameters(
    operation: Any, references: dict[tuple[type, str], str], schemas: dict[str, Any]
) -> list[Any]:
    parameters: list[Any] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": spec.description,
            "schema": dict(spec.schema),
            **({"example": spec.example} if spec.example else {}),
        }
        for name, spec in operation.path_parameters.items()
    ]
    if operation.query_model is not None:
        query = schemas[references[(operation.query_model, "validation")].removeprefix(_SCHEMA_REF)]
        required = set(query.get("required", []))
        for name, schema in query.get("properties", {}).items():
            description = schema.pop("description", "")
            schema.pop("title", None)
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": description,
                    "schema": schema,
                }
            )
    return parameters


def _operation(
    operation: Any, scopes: list[str], references: dict[tuple[type, str], str], schemas: dict[str, Any]
) -> Document:
    document: Document = {
        "tags": [operation.tag],
        "summary": operation.summary,
        "operationId": operation.operation_id,
    }
    if operation.description:
        document["description"] = operation.description
    document["security"] = [{BEARER: scopes}]
    parameters = _parameters(operation, references, schemas)
    if parameters:
        document["parameters"] = parameters
    if operation.body_model is not None:
        media: dict[str, Any] = {"schema": {"$ref": references[(operation.body_model, "validation")]}}
        if operation.body_example is not None:
            media["example"] = operation.body_example
        required = any(field.is_required() for field in operation.body_model.model_fields.values())
        document["requestBody"] = {
            "required": required,
            "description": operation.body_description,
            "content": {"application/json": media},
        }
    responses: dict[str, Any] = {}
    for status, documented in sorted(operation.answers.items()):
        answer: dict[str, Any] = {"description": documented.description}
        if documented.model_class is not None:
            media = {"schema": {"$ref": references[(documented.model_class, "serialization")]}}
            if documented.example is not None:
                media["example"] = documented.example
            answer["content"] = {"application/json": media}
        if documented.links:
            answer["links"] = {name: dict(link) for name, link in documented.links.items()}
        responses[str(status)] = answer
    responses.update(_error_answers(operation.all_problems))
    document["responses"] = dict(sorted(responses.items()))
    return document


def _problem_types_section() -> str:
    from messaging.http.problem import PROBLEM_TYPES, type_uri  # noqa: PLC0415

    rows = [f"| `{code}` | {kind.status} | {kind.description} |" for code, kind in PROBLEM_TYPES.items()]
    return (
        "\n\n## Errors\nEvery error is an RFC 9457 problem (`application/problem+json`): `type` (a link to "
        f"its explanation, e.g. `{type_uri('validation_failed')}`), `title`, `status`, `detail`, `code`, and "
        "`errors` naming each offending field (at most 20; `moreErrors` counts the rest).\n\n"
        "| code | status | meaning |\n|---|---|---|\n" + "\n".join(rows)
    )


def generate(template_path: Path = REPO_ROOT / "template.yaml") -> Document:
    """The whole API's document, as the code describes it today."""
    template = load_template(template_path)
    by_function = _operations(template, template_path.parent)
    operations = [operation for declared in by_function.values() for operation in declared]
    route_scopes = {
        f"{method} {path}": list(scopes) for (method, path), scopes in required_scopes(template, {}).items()
    }
    documented = {operation.route_key for operation in operations}
    for route in http_routes(template):
        # `ANY <path>` to the function that serves <path>: its other methods, answered 405 (the path item
        # lists the methods there are).
        refuses = route.method == "ANY" and any(
            operation.path == route.path for operation in by_function.get(route.function_id, [])
        )
        if f"{route.method} {route.path}" not in documented and not refuses:
            raise OpenApiError(
                f"template route {route.method} {route.path} is not documented by its function"
            )
    with _importable_functions(template, template_path.parent):
        references, schemas = _schemas(operations)
        paths: dict[str, dict[str, Any]] = {}
        for operation in operations:
            if operation.route_key not in route_scopes:
                raise OpenApiError(
                    f"{operation.route_key} is declared by a function but not routed in the template"
                )
            item = paths.setdefault(operation.path, {})
            item[operation.method.lower()] = _operation(
                operation, route_scopes[operation.route_key], references, schemas
            )
        description = DESCRIPTION + _problem_types_section()
        problem_schemas = _problem_schemas()
    tags = sorted({operation.tag for operation in operations})
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": api_version(), "description": description},
        "tags": [{"name": tag, "description": TAGS.get(tag, "")} for tag in tags],
        "paths": {path: dict(sorted(item.items())) for path, item in sorted(paths.items())},
        "components": {
            "schemas": dict(sorted({**schemas, **problem_schemas}.items())),
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An OAuth 2.0 client-credentials access token. The tenant is the value of "
                    "the claim named by the TenantClaim parameter (default client_id); each operation lists "
                    'the scope it requires. Locally: `make token CLIENT=<tenant> SCOPE="<scopes>"`.',
                }
            },
        },
    }


TAGS = {
    "consumer": "The business's channel backend, speaking for its customers.",
    "representative": "The business's representative (agent) tooling.",
    "channel": "The business's webhook settings: where the representative's activities are delivered.",
}


def render(document: Document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or --check) openapi.json, generated from the code.")
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from the code")
    parser.add_argument("--output", type=Path, default=OPENAPI_FILE)
    parser.add_argument("--template", type=Path, default=REPO_ROOT / "template.yaml")
    args = parser.parse_args(argv)
    text = render(generate(args.template.resolve()))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(
                f"{args.output} is out of date with the code: run `{REGENERATE}` and commit it.",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} matches the code.")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
