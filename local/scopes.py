"""The OAuth scopes each HttpApi route requires, read from template.yaml the way SAM and API Gateway read it.

A route's scopes are its event's `Auth.AuthorizationScopes` when present; else those of the authorizer the
route uses (the event's `Auth.Authorizer`, else the API's `DefaultAuthorizer`). The API's `Auth` is the
HttpApi resource's over `Globals.HttpApi` (SAM's merge); an event without `ApiId` belongs to the implicit
API, which has only the Globals. Values are resolved as CloudFormation would for a local stack: `!Ref` to
parameters (overrides, then defaults; list-typed parameters become lists) and pseudo parameters, `!If` over
the template's Conditions (`!Equals`, `!Not`, `!And`, `!Or`, `!Condition`), `!Sub`, `!Split`, and
`AWS::NoValue` drops the item. Anything else is a TemplateError rather than a silently open route.
"""

from collections.abc import Mapping
from typing import Any

from local.template import (
    PSEUDO_PARAMETERS,
    Template,
    TemplateError,
    parameter_defaults,
    resources_of_type,
)

RouteKey = tuple[str, str]  # (METHOD or ANY, path or $default), as local.template.Route has them
_NO_VALUE = object()  # what `!Ref AWS::NoValue` resolves to: the item is left out


def route_scopes(
    template: Template, parameter_overrides: Mapping[str, str]
) -> dict[RouteKey, tuple[str, ...]]:
    """Every HttpApi route's required scopes (empty: any valid token), keyed by (method, path)."""
    resolver = _Resolver(template, parameter_overrides)
    apis = resources_of_type(template, "AWS::Serverless::HttpApi")
    global_auth: dict[str, Any] = ((template.get("Globals") or {}).get("HttpApi") or {}).get("Auth") or {}
    scopes: dict[RouteKey, tuple[str, ...]] = {}
    for function in resources_of_type(template, "AWS::Serverless::Function").values():
        for event in ((function.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            properties = event.get("Properties") or {}
            api_auth = {**global_auth, **_own_auth(apis, properties.get("ApiId"))}
            key = (str(properties.get("Method", "ANY")).upper(), str(properties.get("Path", "$default")))
            scopes[key] = _required_scopes(resolver, api_auth, properties.get("Auth") or {}, key)
    return scopes


def _own_auth(apis: dict[str, dict[str, Any]], api_id: Any) -> dict[str, Any]:
    if api_id is None:
        return {}  # the implicit API: Globals only
    name = api_id.get("Ref") if isinstance(api_id, dict) else None
    if name not in apis:
        raise TemplateError(f"ApiId {api_id!r} is not a !Ref to an AWS::Serverless::HttpApi of the template")
    own: dict[str, Any] = (apis[name].get("Properties") or {}).get("Auth") or {}
    return own


def _required_scopes(
    resolver: "_Resolver", api_auth: dict[str, Any], event_auth: dict[str, Any], key: RouteKey
) -> tuple[str, ...]:
    if "AuthorizationScopes" in event_auth:
        return resolver.scopes(event_auth["AuthorizationScopes"], key)
    name = event_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
    if name is None or name == "NONE":
        return ()
    authorizers: dict[str, Any] = api_auth.get("Authorizers") or {}
    if name not in authorizers:
        raise TemplateError(f"{key[0]} {key[1]}: authorizer {name!r} is not defined on its API")
    return resolver.scopes((authorizers[name] or {}).get("AuthorizationScopes") or [], key)


class _Resolver:
    def __init__(self, template: Template, overrides: Mapping[str, str]):
        specs: dict[str, Any] = template.get("Parameters") or {}
        self._list_parameters = {
            name for name, spec in specs.items() if str(spec.get("Type", "")).startswith(("List<", "Comma"))
        }
        self._parameters = {**PSEUDO_PARAMETERS, **parameter_defaults(template), **overrides}
        self._conditions: dict[str, Any] = template.get("Conditions") or {}

    def scopes(self, node: Any, key: RouteKey) -> tuple[str, ...]:
        value = self.value(node)
        items = value if isinstance(value, list) else [value]
        flat = [scope for item in items for scope in (item if isinstance(item, list) else [item])]
        if not all(isinstance(scope, str) for scope in flat):
            raise TemplateError(f"{key[0]} {key[1]}: AuthorizationScopes {node!r} is not a list of strings")
        return tuple(scope for scope in flat if scope)  # an empty scope is never in a token: no requirement

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in (self.value(n) for n in node) if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node if isinstance(node, str) else str(node)
        if len(node) != 1:
            raise TemplateError(f"{node!r} cannot be resolved locally")
        [(function, argument)] = node.items()
        if function == "Ref":
            return self._reference(str(argument))
        if function == "Fn::If":
            condition, when_true, when_false = argument
            return self.value(when_true if self.condition(condition) else when_false)
        if function == "Fn::Sub" and isinstance(argument, str):
            return self._substitute(argument)
        if function == "Fn::Split":
            delimiter, source = argument
            return str(self.value(source)).split(str(delimiter))
        raise TemplateError(f"{function} cannot be resolved locally (only Ref, If, Sub, Split are)")

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise TemplateError(f"condition {name!r} is not in the template's Conditions")
        return self._boolean(self._conditions[name])

    def _boolean(self, node: Any) -> bool:
        if not isinstance(node, dict) or len(node) != 1:
            raise TemplateError(f"condition {node!r} cannot be evaluated locally")
        [(function, argument)] = node.items()
        if function == "Condition":
            return self.condition(str(argument))
        if function == "Fn::Equals":
            left, right = (self.value(item) for item in argument)
            return bool(left == right)
        if function == "Fn::Not":
            return not self._boolean(argument[0])
        if function == "Fn::And":
            return all(self._boolean(item) for item in argument)
        if function == "Fn::Or":
            return any(self._boolean(item) for item in argument)
        raise TemplateError(f"condition function {function} cannot be evaluated locally")

    def _reference(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name not in self._parameters:
            raise TemplateError(f"!Ref {name} has no local value: pass --param {name}=<value>")
        value = self._parameters[name]
        return [item.strip() for item in value.split(",")] if name in self._list_parameters else value

    def _substitute(self, text: str) -> str:
        for name in self._parameters:
            text = text.replace(f"${{{name}}}", self._parameters[name])
        if "${" in text.replace("${!", ""):
            raise TemplateError(f"!Sub {text!r} names something other than a parameter")
        return text.replace("${!", "${")
