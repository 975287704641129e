"""The API's documentation on the dev server: Swagger UI at /docs, the OpenAPI document at /openapi.json,
and the error types at /docs/errors (one anchor per `code`: what a problem's `type` links to).

Local only and without authentication (API Gateway serves no such routes). Swagger UI's files come from
npm's swagger-ui-dist in node_modules, never from a CDN; the document is the committed openapi.json
(`python -m local.openapi` regenerates it), read on every request so a regenerated file shows at once.
"""

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import local.product_layer  # noqa: F401 - puts the layer's `messaging` package on sys.path
from local.dynamodb_local import REPO_ROOT
from messaging.http.problem import PROBLEM_JSON, PROBLEM_TYPES, TYPE_BASE, problem

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"
SWAGGER_UI_DIR = REPO_ROOT / "node_modules" / "swagger-ui-dist"
OPENAPI_FILE = REPO_ROOT / "openapi.json"
# A file directly in swagger-ui-dist: no directories, no dot files, nothing to climb out with.
_ASSET_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".png": "image/png",
}

# validatorUrl null: Swagger UI would otherwise send the document to an online validator for a badge.
INDEX_HTML = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Messaging API (local) - Swagger UI</title>
  <link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{DOCS_PATH}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{OPENAPI_PATH}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      displayOperationId: true,
      validatorUrl: null,
    }});
  </script>
</body>
</html>
"""


ERRORS_PATH = TYPE_BASE.removesuffix("#")


def errors_page() -> str:
    """Every problem type, each under the anchor its `type` URI names, from the table the answers use."""
    sections = "\n".join(
        f'<section id="{html.escape(code)}"><h2><code>{html.escape(code)}</code> ({kind.status})</h2>'
        f"<p><strong>{html.escape(kind.title)}.</strong> {html.escape(kind.description)}</p></section>"
        for code, kind in PROBLEM_TYPES.items()
    )
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Messaging API - error types</title></head>
<body>
<h1>Error types</h1>
<p>Every error is an RFC 9457 problem (<code>application/problem+json</code>): <code>type</code> links
here, <code>code</code> names the section, <code>errors</code> names each offending field (at most 20;
<code>moreErrors</code> counts the rest). See also <a href="{DOCS_PATH}">the API's operations</a>.</p>
{sections}
</body>
</html>
"""


@dataclass(frozen=True)
class DocsAnswer:
    status: int
    content_type: str
    body: bytes


def _missing(detail: str) -> DocsAnswer:
    # The gateway's own 404, in the API's one error format (RFC 9457 problem details).
    return DocsAnswer(
        404, PROBLEM_JSON, json.dumps(problem("not_found", detail), ensure_ascii=False).encode()
    )


class ApiDocs:
    """Answers GET/HEAD of /docs, /docs/<asset> and /openapi.json; None for every other request."""

    def __init__(self, swagger_ui_dir: Path = SWAGGER_UI_DIR, openapi_file: Path = OPENAPI_FILE):
        self._swagger_ui_dir = swagger_ui_dir
        self._openapi_file = openapi_file

    def answer(self, method: str, path: str) -> DocsAnswer | None:
        if method not in ("GET", "HEAD"):
            return None
        if path == OPENAPI_PATH:
            return self._openapi()
        if path != DOCS_PATH and not path.startswith(f"{DOCS_PATH}/"):
            return None
        if path == ERRORS_PATH:
            return DocsAnswer(200, _CONTENT_TYPES[".html"], errors_page().encode())
        return self._swagger_ui(path)

    def _swagger_ui(self, path: str) -> DocsAnswer:
        if not self._swagger_ui_dir.is_dir():
            return _missing("swagger-ui-dist is not installed: run `npm ci`")
        if path in (DOCS_PATH, f"{DOCS_PATH}/", f"{DOCS_PATH}/index.html"):
            return DocsAnswer(200, _CONTENT_TYPES[".html"], INDEX_HTML.encode())
        return self._asset(path.removeprefix(f"{DOCS_PATH}/"))

    def _openapi(self) -> DocsAnswer:
        if not self._openapi_file.is_file():
            return _missing("openapi.json is missing: run `python -m local.openapi`")
        return DocsAnswer(200, "application/json", self._openapi_file.read_bytes())

    def _asset(self, name: str) -> DocsAnswer:
        file = self._swagger_ui_dir / name
        if not _ASSET_NAME.fullmatch(name) or not file.is_file():
            return _missing(f"no such file: {DOCS_PATH}/{name}")
        content_type = _CONTENT_TYPES.get(file.suffix, "application/octet-stream")
        return DocsAnswer(200, content_type, file.read_bytes())
