"""The dev server's documentation: Swagger UI at /docs from local files, the OpenAPI document at
/openapi.json, both without a token, and nothing else reachable through them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local.api_gateway import ApiGateway
from local.docs import INDEX_HTML, OPENAPI_FILE, SWAGGER_UI_DIR, ApiDocs
from local.routing import Router
from messaging.http.problem import PROBLEM_TYPES

pytestmark = pytest.mark.skipif(
    not SWAGGER_UI_DIR.is_dir(), reason="swagger-ui-dist is not installed: run `npm ci`"
)


def gateway() -> ApiGateway:
    return ApiGateway(Router([]), {}, ApiDocs())


def get(path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    answer = gateway().handle(method, path, [], b"", "127.0.0.1")
    return answer.status, dict(answer.headers), answer.body


def test_docs_is_swagger_ui_pointed_at_the_local_openapi_document_without_a_token() -> None:
    status, headers, body = get("/docs")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert b'url: "/openapi.json"' in body and b"SwaggerUIBundle" in body


def test_the_page_loads_nothing_from_another_host() -> None:
    assert not re.search(r"(https?:)?//[a-z]", INDEX_HTML.replace("</", "<"))
    assert "validatorUrl: null" in INDEX_HTML  # else Swagger UI sends the document to an online validator
    for asset in re.findall(r'(?:href|src)="/docs/([^"]+)"', INDEX_HTML):
        assert (SWAGGER_UI_DIR / asset).is_file(), asset


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
    ],
)
def test_swagger_ui_s_files_come_from_node_modules(asset: str, content_type: str) -> None:
    status, headers, body = get(f"/docs/{asset}")
    assert (status, headers["content-type"]) == (200, content_type)
    assert body == (SWAGGER_UI_DIR / asset).read_bytes()


def test_openapi_json_is_the_committed_document() -> None:
    status, headers, body = get("/openapi.json?anything")
    assert (status, headers["content-type"]) == (200, "application/json")
    assert json.loads(body) == json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "path",
    ["/docs/../package.json", "/docs/..%2Fpackage.json", "/docs/.bin", "/docs/x/index.js", "/docs/nope.js"],
)
def test_nothing_outside_swagger_ui_s_own_files_is_served(path: str) -> None:
    status, headers, body = get(path)
    assert (status, headers["content-type"]) == (404, "application/problem+json")
    assert json.loads(body)["code"] == "not_found"


def test_other_methods_on_docs_reach_the_router_as_before() -> None:
    status, _, body = get("/docs", method="POST")
    assert status == 404 and json.loads(body)["code"] == "not_found"


def test_without_swagger_ui_dist_the_docs_say_how_to_install_it(tmp_path: Path) -> None:
    answer = ApiDocs(swagger_ui_dir=tmp_path / "missing").answer("GET", "/docs")
    assert answer is not None and answer.status == 404
    assert answer.content_type == "application/problem+json"
    assert "npm ci" in json.loads(answer.body)["detail"]


def test_every_problem_type_the_spec_documents_resolves_to_its_section_of_the_errors_page() -> None:
    # Given every `type` in the error examples of openapi.json
    document = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    types = {
        example["value"]["type"]
        for item in document["paths"].values()
        for operation in item.values()
        for status, answer in operation["responses"].items()
        if int(status) >= 400
        for example in answer["content"]["application/problem+json"].get("examples", {}).values()
    }
    assert types
    # When the errors page is fetched, as a browser would resolve the relative `type`
    status, headers, body = get("/docs/errors")
    page = body.decode()
    # Then it is an HTML page with one section per type, each explaining its code
    assert status == 200 and headers["content-type"].startswith("text/html")
    anchors = set(re.findall(r'<section id="([a-z_]+)">', page))
    for problem_type in types:
        path, _, anchor = problem_type.partition("#")
        assert path == "/docs/errors" and anchor in anchors, problem_type
    assert anchors == set(PROBLEM_TYPES)
