"""The API's OpenAPI document, generated from the functions' routes and pydantic models.

`python -m local.openapi` writes openapi.json at the repository root; `--check` exits 1 when the committed
file differs from what the code generates. Every HttpApi function of template.yaml is imported (with harmless
configuration: nothing is called) and its Powertools resolver `app` documents its own routes; the documents
are merged into one. Added here, because no single function owns them: the bearer security scheme, the
authorizer's 401, and the removal of Powertools' built-in 422, which this API never sends (the product maps
request validation errors to 400 in messaging/http_errors.py).
"""

import argparse
import json
import sys
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local.dynamodb_local import REPO_ROOT
from local.lambda_runtime import ProcessEnvironment, load_handler
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
    "Consumer conversations: start (or get back) a customer's conversation, read it, end it. "
    "Generated from the code by `python -m local.openapi`; do not edit by hand."
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


def _bearer() -> Any:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer  # noqa: PLC0415 - layer path

    return HTTPBearer(
        bearerFormat="JWT",
        description="An OAuth 2.0 client-credentials access token; its client_id (else azp, appid, sub) "
        "is the tenant. Locally: `make token CLIENT=<tenant>`.",
    )


def _function_document(function_id: str, code_dir: Path, handler: str, version: str) -> Document:
    _, module = load_handler(code_dir, handler, function_id)
    try:
        app = getattr(module, "app", None)
        if app is None or not hasattr(app, "get_openapi_json_schema"):
            raise OpenApiError(f"{function_id}: {code_dir}/app.py has no Powertools resolver `app`")
        document: Document = json.loads(
            app.get_openapi_json_schema(
                title=TITLE,
                version=version,
                description=DESCRIPTION,
                security_schemes={BEARER: _bearer()},
                security=[{BEARER: []}],
            )
        )
        return document
    finally:
        sys.modules.pop(module.__name__, None)


def _merge(documents: Mapping[str, Document]) -> Document:
    merged: Document = {}
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, dict[str, Any]] = {}
    for function_id, document in documents.items():
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if method in paths.setdefault(path, {}):
                    raise OpenApiError(f"{method.upper()} {path} is documented by two functions")
                paths[path][method] = operation
        for kind, entries in document.get("components", {}).items():
            for name, entry in entries.items():
                known = components.setdefault(kind, {}).setdefault(name, entry)
                if known != entry:
                    raise OpenApiError(f"components.{kind}.{name} differs in {function_id}'s document")
        merged.update({key: value for key, value in document.items() if key not in ("paths", "components")})
    merged["paths"] = {path: paths[path] for path in sorted(paths)}
    merged["components"] = {
        kind: dict(sorted(entries.items())) for kind, entries in sorted(components.items())
    }
    return merged


def _check_routes_documented(template: Template, document: Document) -> None:
    for route in http_routes(template):
        if route.method.lower() not in document["paths"].get(route.path, {}):
            raise OpenApiError(
                f"template route {route.method} {route.path} is not documented by its function"
            )


def _without_unsent_validation_answer(document: Document) -> None:
    """Powertools documents a 422 on every validated route; messaging/http_errors.py answers 400 instead."""
    for operations in document["paths"].values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == f"{_SCHEMA_REF}HTTPValidationError":
                del operation["responses"]["422"]


def _error_schemas() -> dict[str, Any]:
    """The contract's error document (messaging.api_models.ErrorResponse) and the models it refers to."""
    from messaging.api_models import ErrorResponse  # noqa: PLC0415 - importable once the layer is on the path

    schema = ErrorResponse.model_json_schema(ref_template=_SCHEMA_REF + "{model}", mode="serialization")
    nested: dict[str, Any] = schema.pop("$defs", {})
    return {**nested, ErrorResponse.__name__: schema}


# The local gateway's own answers (local/api_gateway.py, through messaging.http.problem).
_GATEWAY_PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail", "code"],
}


def _with_authorizer_answer(document: Document, error_schemas: Mapping[str, Any]) -> None:
    """Every route sits behind the JWT authorizer: without a usable bearer token the answer is 401."""
    schemas = document["components"].setdefault("schemas", {})
    for name, schema in error_schemas.items():
        schemas.setdefault(name, schema)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    unauthorized = {
        "description": "No bearer token, or one that is malformed, expired or names no tenant. "
        'Deployed, API Gateway\'s JWT authorizer answers this itself with {"message": "Unauthorized"}; '
        "locally, its emulation answers RFC 9457 problem details.",
        "content": {
            "application/problem+json": {"schema": _GATEWAY_PROBLEM},
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": f"{_SCHEMA_REF}ErrorResponse"},
                        {
                            "type": "object",
                            "properties": {"message": {"type": "string"}},
                            "required": ["message"],
                        },
                    ]
                }
            },
        },
    }
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.setdefault("responses", {}).setdefault("401", unauthorized)


def _without_unreferenced_schemas(document: Document) -> None:
    """Drops schemas nothing refers to (Powertools' validation errors, pydantic's inlined aliases)."""
    schemas: dict[str, Any] = document["components"].get("schemas", {})
    reachable: set[str] = set()
    pending = [document["paths"]]
    while pending:
        text = json.dumps(pending.pop())
        for name, schema in schemas.items():
            if name not in reachable and f'"{_SCHEMA_REF}{name}"' in text:
                reachable.add(name)
                pending.append(schema)
    document["components"]["schemas"] = {name: schemas[name] for name in schemas if name in reachable}


def generate(template_path: Path = REPO_ROOT / "template.yaml") -> Document:
    """The whole API's document, as the code describes it today."""
    template = load_template(template_path)
    handlers = {route.function_id: route.handler for route in http_routes(template)}
    with _importable_functions(template, template_path.parent) as functions:
        documents = {
            function_id: _function_document(function_id, code_dir, handlers[function_id], api_version())
            for function_id, code_dir in functions.items()
        }
        error_schemas = _error_schemas()
    document = _merge(documents)
    _check_routes_documented(template, document)
    _without_unsent_validation_answer(document)
    _with_authorizer_answer(document, error_schemas)
    _without_unreferenced_schemas(document)
    return document


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
