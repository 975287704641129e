"""What the fuzzing tests share (test_fuzz.py, test_fuzz_stateful.py): openapi.json loaded by schemathesis
with every check it has, the tokens, the contract's error check, the hooks, and the figures.

Everything is derived from openapi.json: the operations, the scope each one requires (its `security`), the
links. An operation added to the API is fuzzed, with a token holding its scope, without editing these files.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.auths import AuthContext
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.wfc.escalation import EscalatingAuthProvider

from local.token import mint_token
from tests.harness import REPO

type Case = schemathesis.Case[Any]

DOCUMENT: dict[str, Any] = json.loads((REPO / "openapi.json").read_text(encoding="utf-8"))
SECURITY_SCHEME = next(iter(DOCUMENT["components"]["securitySchemes"]))
# The tenant the fuzzing works in, and another one: its peer, which must never see the fuzzing tenant's
# conversations (schemathesis' object_level_authorization replays reads as the peer).
FUZZ_TENANT = "fuzz-tenant"
PEER_TENANT = "fuzz-peer-tenant"


def _config() -> schemathesis.Config:
    load_all_checks()
    # `--checks all`: every check schemathesis has, each enabled by name, none excluded.
    checks: dict[str, Any] = {check.__name__: {"enabled": True} for check in CHECKS.get_all()}
    # A schema-violating request is rejected with a 4xx this API documents (413: the body cap), or with the
    # gateway's 404/405 when the path or method itself is what was broken.
    rejections = sorted(
        {
            status
            for item in DOCUMENT["paths"].values()
            for operation in item.values()
            for status in operation["responses"]
            if status.startswith("4")
        }
        | {"404", "405"}
    )
    checks["negative_data_rejection"]["expected-statuses"] = rejections
    # API Gateway waits up to 30 s for an integration: a slower answer is a failure, a cold start under load
    # (a new execution environment, seconds on a busy 2-core machine) is not.
    return schemathesis.Config.from_dict({"checks": checks, "request-timeout": 30})


SCHEMA = schemathesis.openapi.from_path(REPO / "openapi.json", config=_config())
CHECK_NAMES = frozenset(check.__name__ for check in CHECKS.get_all())
OPERATIONS: dict[str, dict[str, Any]] = {
    f"{method.upper()} {path}": operation
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
}
_LABELS = {operation["operationId"]: label for label, operation in OPERATIONS.items()}
# Every link of the document: its transition as schemathesis names it ("POST /a -> [201] Name -> GET /b") →
# the link itself (source, name, target), which an operation may declare on several of its answers.
LINKS = {
    f"{label} -> [{status}] {name} -> {_LABELS[link['operationId']]}": (label, name, link["operationId"])
    for label, operation in OPERATIONS.items()
    for status, answer in operation["responses"].items()
    for name, link in answer.get("links", {}).items()
}


def required_scopes(operation: Mapping[str, Any]) -> tuple[str, ...]:
    """The scopes of the operation's (first) security requirement: what its token must hold."""
    requirements = operation.get("security", DOCUMENT.get("security", []))
    return tuple(requirements[0].get(SECURITY_SCHEME, ())) if requirements else ()


class ScopedBearer:
    """A tenant's token, holding exactly the scopes the operation requires: the consumer scope for the
    consumer operations, the representative scope for the representative ones. `tenant` may be changed: the
    stateful test gives each scenario a tenant of its own."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    def get(self, case: Case, context: AuthContext) -> str:
        scopes = required_scopes(context.operation.definition.raw)
        return mint_token(self.tenant, scope=" ".join(scopes))

    def set(self, case: Case, data: str, context: AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"


# The fuzzing tenant sends every request; the peer's token is only used by object_level_authorization, to
# replay a read the fuzzing tenant got (schemathesis' multi-identity provider, as `[auth.wfc]` peers build
# it, with our scope-aware tokens in place of fixed headers).
FUZZING = ScopedBearer(FUZZ_TENANT)
SCHEMA.auth.providers.append(
    EscalatingAuthProvider(
        [FUZZING, ScopedBearer(PEER_TENANT)],
        [FUZZ_TENANT, PEER_TENANT],
        peers=(FUZZ_TENANT, PEER_TENANT),
        pinned=FUZZ_TENANT,
    )
)

# Statuses that reject what was sent: their problem document must name the offending fields.
NAMES_FIELDS = frozenset({400, 413, 415})


def _property_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        properties = node.get("properties")
        names |= set(properties) if isinstance(properties, dict) else set()
        for value in node.values():
            names |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= _property_names(value)
    return names


# What a rejected field may be called: a property or parameter the document declares, or the body itself.
DECLARED_FIELDS = (
    _property_names(DOCUMENT["components"])
    | {
        parameter["name"]
        for operation in OPERATIONS.values()
        for parameter in operation.get("parameters", [])
    }
    | {"body"}
)


def _sent_names(case: Case) -> set[str]:
    """The names the request itself holds: its body's keys and its query parameters (an unknown one is
    refused by name)."""
    names = {str(name) for name in case.body} if isinstance(case.body, dict) else set()
    return names | {str(name) for name in case.query or {}}


def contract_error_shape(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case) -> None:
    """Every error is the contract's problem document; a rejected request names fields of this request."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type == "application/problem+json", f"{response.status_code} is no problem: {content_type}"
    document = json.loads(response.content)
    assert {"type", "title", "status", "detail", "code"} <= set(document), document
    assert document["status"] == response.status_code, document
    assert isinstance(document["code"], str) and isinstance(document["detail"], str), document
    errors = document.get("errors", [])
    assert isinstance(errors, list) and len(errors) <= 20, document
    for detail in errors:
        assert all(isinstance(detail.get(key), str) and detail[key] for key in ("field", "code", "message"))
    # bad_request is about the HTTP message itself (its framing, a request head over the gateway's 10,240
    # bytes), refused before any field is read: there is no field to name.
    if response.status_code in NAMES_FIELDS and document["code"] != "bad_request":
        assert errors, f"{response.status_code} names no field: {document}"
        sent = _sent_names(case)
        for detail in errors:
            field = detail["field"].removesuffix(" (key)")
            # A sent key may itself hold dots ("3.FM"): then the whole path is that key.
            named = field.split(".")[0] in DECLARED_FIELDS | sent or any(
                n and field.startswith(n) for n in sent
            )
            assert named, f"{detail['field']!r} is no field of this request"


# Path parameters are sometimes drawn from these, so reads and events reach real conversations (open, then
# closed, and another tenant's), not only ids that exist nowhere. Filled by test_fuzz.py's fixture.
KNOWN_CONVERSATIONS: list[str] = []
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@SCHEMA.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any] | None) -> Any:
    # Only well-formed ids are replaced: a schema-violating id stays as generated.
    drawn = (path_parameters or {}).get("conversationId")
    if not KNOWN_CONVERSATIONS or not isinstance(drawn, str) or not _UUID.fullmatch(drawn):
        return st.just(path_parameters)
    known = st.sampled_from(KNOWN_CONVERSATIONS)
    return st.one_of(
        st.just(path_parameters), known.map(lambda id_: {**(path_parameters or {}), "conversationId": id_})
    )


# The document's extensions for rules JSON Schema cannot state. A schema-valid case is made to keep them too,
# so that positive_data_acceptance checks what the document promises rather than what it cannot say:
EQUALS_PATH_PARAMETER = "x-equalsPathParameter"  # this value equals that path parameter: it is copied there
MAX_BYTES = "x-maxBytes"  # at most this many bytes in UTF-8: a longer string is not schema-valid
ISSUED_BY_API = "x-issuedByApi"  # only a value the API issued (a signed token): an invented one is left out
RESOLVES_PUBLICLY = "x-resolvesPublicly"  # a URL whose host resolves (deployed: to public addresses only)
# What the dev server accepts for it: local runs allow loopback; nothing listens there, so a delivery fails
# and is retried by the local queue, harmlessly.
LOCAL_WEBHOOK = "http://127.0.0.1:9/messaging"


def _resolved(node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _conform(schema: Any, value: Any, path: Mapping[str, Any]) -> tuple[Any, bool]:
    """`value` with the extensions' rules applied, and whether it keeps them (x-maxBytes)."""
    schema = _resolved(schema)
    if not isinstance(schema, dict):
        return value, True
    kept = True
    if isinstance(value, str) and schema.get(EQUALS_PATH_PARAMETER) in path:
        value = str(path[schema[EQUALS_PATH_PARAMETER]])
    if isinstance(value, str) and schema.get(RESOLVES_PUBLICLY):
        value = LOCAL_WEBHOOK
    if isinstance(value, str) and schema.get("contentMediaType") == "application/json":
        value = "{}"  # a JSON document of the shape the description gives: here, no context variables
    if isinstance(value, str) and MAX_BYTES in schema:
        kept = len(value.encode("utf-8", "surrogatepass")) <= schema[MAX_BYTES]
    for branch in [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]:
        value, branch_kept = _conform(branch, value, path)
        kept &= branch_kept
    if isinstance(value, dict):
        properties, others = schema.get("properties", {}), schema.get("additionalProperties")
        conformed = {}
        for name, item in value.items():
            conformed[name], item_kept = _conform(properties.get(name, others), item, path)
            kept &= item_kept
        value = conformed
    elif isinstance(value, list) and "items" in schema:
        items = [_conform(schema["items"], item, path) for item in value]
        value, kept = [item for item, _ in items], kept and all(item_kept for _, item_kept in items)
    return value, kept


def _body_schema(case: Case) -> Any:
    content = OPERATIONS[case.operation.label].get("requestBody", {}).get("content", {})
    return content.get(case.media_type or "application/json", {}).get("schema")


def _is_positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


@SCHEMA.hook
def map_case(context: schemathesis.HookContext, case: Case) -> Case:
    if not _is_positive(case):
        return case
    for parameter in OPERATIONS[case.operation.label].get("parameters", []):
        if parameter["in"] == "query" and _resolved(parameter["schema"]).get(ISSUED_BY_API):
            (case.query or {}).pop(parameter["name"], None)
    if isinstance(case.body, dict | list) and (schema := _body_schema(case)) is not None:
        case.body, _ = _conform(schema, case.body, case.path_parameters or {})
    return case


@SCHEMA.hook
def before_add_examples(context: schemathesis.HookContext, examples: list[Case]) -> None:
    # The document's own examples reach no map_case: they keep the extensions' rules the same way, in place
    # (an example names a real host, which does not resolve where the tests run).
    for case in examples:
        if isinstance(case.body, dict | list) and (schema := _body_schema(case)) is not None:
            case.body, _ = _conform(schema, case.body, case.path_parameters or {})


@SCHEMA.hook
def filter_case(context: schemathesis.HookContext, case: Case) -> bool:
    if not _is_positive(case) or not isinstance(case.body, dict | list):
        return True
    schema = _body_schema(case)
    return schema is None or _conform(schema, case.body, case.path_parameters or {})[1]


class Figures:
    """What the fuzzing sent: requests per phase and operation; state-machine scenarios, steps and links."""

    def __init__(self) -> None:
        self.cases: Counter[tuple[str, str]] = Counter()  # (phase, operation label)
        self.scenarios = 0
        self.links: Counter[str] = Counter()  # followed, by transition ("POST /a -> [201] Name -> GET /b")

    def record(self, case: Case) -> None:
        phase = case.meta.phase.name.value if case.meta is not None else "explicit"
        self.cases[(phase, case.operation.label)] += 1

    def in_phases(self, *phases: str) -> int:
        return sum(count for (phase, _), count in self.cases.items() if phase in phases)

    def operations(self, *phases: str) -> set[str]:
        return {label for (phase, label) in self.cases if phase in phases}

    def by_phase(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (phase, _), count in self.cases.items():
            totals[phase] += count
        return dict(sorted(totals.items()))

    def by_operation(self, *phases: str) -> Iterator[tuple[str, int]]:
        totals: Counter[str] = Counter()
        for (phase, label), count in self.cases.items():
            if phase in phases:
                totals[label] += count
        return iter(sorted(totals.items()))
