"""Matches a request to a template route the way an HTTP API does.

Path templates: `{name}` is one segment, `{name+}` the rest of the path, `$default` anything left over.
The most specific route wins: at the first segment where two candidates differ, a static segment beats
`{name}`, which beats `{name+}`; then an exact method beats ANY.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote

from local.template import Route

_VARIABLE = re.compile(r"^\{([A-Za-z0-9_.-]+)(\+?)\}$")
_STATIC, _VARIABLE_SEGMENT, _GREEDY, _DEFAULT = 0, 1, 2, 3


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class NoRoute:
    """No route for this path at all (404), or routes for it but none for the method (405)."""

    allowed_methods: tuple[str, ...] = ()


class _CompiledRoute:
    def __init__(self, route: Route):
        self.route = route
        self.names: dict[str, str] = {}
        if route.path == "$default":
            self.pattern = re.compile(r"^.*$", re.DOTALL)
            self.specificity: tuple[int, ...] = (_DEFAULT,)
            return
        parts, kinds = [], []
        for segment in route.path.strip("/").split("/"):
            variable = _VARIABLE.match(segment)
            if variable is None:
                parts.append(re.escape(segment))
                kinds.append(_STATIC)
            elif variable.group(2):
                parts.append(f"(?P<{_group(variable.group(1))}>.+)")
                kinds.append(_GREEDY)
            else:
                parts.append(f"(?P<{_group(variable.group(1))}>[^/]+)")
                kinds.append(_VARIABLE_SEGMENT)
        self.pattern = re.compile("^/" + "/".join(parts) + "$")
        self.specificity = tuple(kinds)
        for segment in route.path.split("/"):
            if variable := _VARIABLE.match(segment):
                self.names[_group(variable.group(1))] = variable.group(1)

    def path_parameters(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        if found is None:
            return None
        return {self.names[group]: unquote(value) for group, value in found.groupdict().items()}


def _group(name: str) -> str:
    """A regex group name for a path variable (which may hold '.' or '-')."""
    return "v_" + re.sub(r"[^A-Za-z0-9_]", lambda m: f"_{ord(m.group()):x}_", name)


class Router:
    def __init__(self, routes: list[Route]):
        self._routes = [_CompiledRoute(route) for route in routes]

    def match(self, method: str, path: str) -> RouteMatch | NoRoute:
        method = method.upper()
        on_path = [(r, params) for r in self._routes if (params := r.path_parameters(path)) is not None]
        for_method = [(r, params) for r, params in on_path if r.route.method in (method, "ANY")]
        if not for_method:
            return NoRoute(allowed_methods=_allowed_methods([r for r, _ in on_path]))
        best, params = min(for_method, key=lambda c: (c[0].specificity, c[0].route.method == "ANY"))
        return RouteMatch(route=best.route, path_parameters=params)


def _allowed_methods(on_path: list[_CompiledRoute]) -> tuple[str, ...]:
    """What `Allow` lists: the methods of the most specific route path that matches, as the OpenAPI path item
    of that path lists them (`/conversation/create` is POST only, though `/conversation/{conversationId}`
    matches it too). A catch-all that does not take the method is still "no such route" for the path."""
    candidates = [r for r in on_path if r.route.path != "$default"]
    if not candidates:
        return ()
    best = min(candidates, key=lambda r: r.specificity).route.path
    return tuple(sorted({r.route.method for r in candidates if r.route.path == best}))
