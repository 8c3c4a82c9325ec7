"""Kubernetes objects validated the way the API server would: built-in kinds against the OpenAPI
schema of the cluster's version (kubernetes-validate, strict: an unknown field is an error),
custom resources against the real CRD of their pinned version (rendered, or from the upstream
cache's `crds/`): its structural schema, the fields the API server would prune (errors), and its
`x-kubernetes-validations` rules evaluated with cel-python, with the Kubernetes CEL library
functions the pinned CRDs use. A custom resource whose CRD is not at hand is reported as not
validated, never passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlparse

import jsonschema

from components.catalog import KUBERNETES_VERSION
from mlplat.apply_order import BUILT_IN_GROUPS


@dataclass(frozen=True)
class SchemaFinding:
    source: str  # what applies the object, and the object
    message: str


@dataclass
class Validation:
    objects: int = 0
    custom: int = 0  # custom resources validated against their CRD
    rules: int = 0  # CEL rules evaluated
    unknown_values: int = 0  # values not known before deployment (ids, secrets): left out
    findings: list[SchemaFinding] = field(default_factory=list)
    not_validated: list[str] = field(default_factory=list)  # with the reason


@dataclass(frozen=True)
class Crd:
    name: str
    scope: str
    schema: Mapping[str, Any]


def crd_index(crds: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], Crd]:
    """(group, version, kind) -> the served version's schema."""
    index = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        for version in spec.get("versions") or ():
            if version.get("served"):
                schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
                key = (str(spec.get("group")), str(version.get("name")), str(spec["names"]["kind"]))
                index[key] = Crd(str(crd["metadata"]["name"]), str(spec.get("scope")), schema)
    return index


def validate(
    objects: Iterable[tuple[str, Mapping[str, Any]]],
    crds: Iterable[Mapping[str, Any]],
    version: str = KUBERNETES_VERSION,
) -> Validation:
    """Every (source, object) validated; `crds` are every CRD the program installs."""
    index = crd_index(crds)
    result = Validation()
    for source, document in objects:
        result.objects += 1
        document, unknown = _known(document)
        result.unknown_values += unknown
        api = str(document.get("apiVersion") or "")
        group, _, api_version = api.rpartition("/")
        kind = str(document.get("kind") or "")
        where = f"{source}: {kind} {(document.get('metadata') or {}).get('name')}"
        if group in BUILT_IN_GROUPS:
            result.findings += [SchemaFinding(where, m) for m in _built_in(document, version)]
            continue
        crd = index.get((group, api_version, kind))
        if crd is None:
            result.not_validated.append(f"{where}: no CRD for {api} {kind} at hand")
            continue
        result.custom += 1
        problems, rules = custom_resource_problems(document, crd.schema)
        result.rules += rules
        result.findings += [SchemaFinding(where, m) for m in problems]
    return result


def _known(value: Any) -> tuple[Any, int]:
    """`value` without the values preview cannot know (pulumi-policy's unknown), and how many:
    such a value is neither valid nor invalid yet."""
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    if isinstance(value, Mapping):
        known, count = {}, 0
        for key, item in value.items():
            if item == UNKNOWN_STRING_VALUE:
                count += 1
                continue
            known[key], inner = _known(item)
            count += inner
        return known, count
    if isinstance(value, list):
        items = [_known(item) for item in value if item != UNKNOWN_STRING_VALUE]
        return [i for i, _ in items], sum(c for _, c in items) + len(value) - len(items)
    return value, 0


def _built_in(document: Mapping[str, Any], version: str) -> list[str]:
    api, kind = str(document.get("apiVersion")), str(document.get("kind"))
    validator = _built_in_validator(api, kind, version)
    if validator is None:
        return [f"no schema for {api} {kind} in Kubernetes {version}"]
    errors = sorted(validator.iter_errors(dict(document)), key=lambda e: list(e.absolute_path))
    return [f"{error.message} at {_path(error.absolute_path)}" for error in errors]


@cache
def _built_in_validator(api: str, kind: str, version: str) -> Any:
    """kubernetes-validate's strict schema for one kind, loaded once (its `validate` re-reads
    and re-parses the schema files on every call: 90 % of the time)."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    minor = utils.major_minor(version.removeprefix("v"))
    known = [v for v in utils.all_versions() if utils.major_minor(v) == minor]
    if not known:
        return None
    strict = f"v{known[-1]}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api)
    folder = f"kubernetes-json-schema/{strict}"
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        return None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


ENVELOPE = ("apiVersion", "kind", "metadata")  # the API server's own, not the CRD's


def custom_resource_problems(
    document: Mapping[str, Any], schema: Mapping[str, Any]
) -> tuple[list[str], int]:
    """(problems, CEL rules evaluated) of a custom resource against its version's schema."""
    body = {k: v for k, v in document.items() if k not in ENVELOPE}
    root = {k: v for k, v in (schema.get("properties") or {}).items() if k not in ENVELOPE}
    required = [r for r in schema.get("required") or () if r not in ENVELOPE]
    root_schema = {**schema, "properties": root, "required": required}
    validator = _validators.get(id(schema))
    if validator is None:
        validator = _validators[id(schema)] = jsonschema.Draft4Validator(_json_schema(root_schema))
    problems = [
        f"{error.message} at {_path(error.absolute_path)}"
        for error in sorted(validator.iter_errors(body), key=str)
    ]
    problems += [
        f"{p}: not in the schema; the API server would prune it"
        for p in _pruned(body, root_schema, "")
    ]
    rules = _Rules()
    rules.walk(body, root_schema, "")
    return problems + rules.problems, rules.evaluated


# Compiled validators by schema: one per CRD version, however many objects use it.
_validators: dict[int, jsonschema.Draft4Validator] = {}


def _path(path: Iterable[Any]) -> str:
    return "." + ".".join(str(p) for p in path) if path else "the top level"


def _json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A Kubernetes structural schema as JSON Schema draft 4: `nullable`, int-or-string and the
    `x-kubernetes-*` extensions translated or left to the walkers below."""
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "format", "default"):
            continue
        if key == "properties":
            converted[key] = {k: _json_schema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, Mapping):
            converted[key] = _json_schema(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            converted[key] = [_json_schema(v) for v in value]
        else:
            converted[key] = value
    if schema.get("x-kubernetes-int-or-string"):
        converted.pop("type", None)
        converted["anyOf"] = [*converted.get("anyOf", []), {"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    return converted


def _pruned(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    """Fields the API server drops: object keys the schema neither names nor leaves open."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    if isinstance(value, Mapping):
        if schema.get("x-kubernetes-embedded-resource"):
            value = {k: v for k, v in value.items() if k not in ("apiVersion", "kind", "metadata")}
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        found = []
        for key, item in value.items():
            if properties is not None and key in properties:
                found += _pruned(item, properties[key], f"{path}.{key}")
            elif isinstance(extra, Mapping):
                found += _pruned(item, extra, f"{path}.{key}")
            elif extra is not True:
                found.append(f"{path}.{key}")
        return found
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        items = schema["items"]
        return [p for i, v in enumerate(value) for p in _pruned(v, items, f"{path}[{i}]")]
    return []


class _Rules:
    """Every `x-kubernetes-validations` rule that applies to a value present in the object."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.evaluated = 0

    def walk(self, value: Any, schema: Mapping[str, Any], path: str) -> None:
        if value is None:
            return
        for rule in schema.get("x-kubernetes-validations") or ():
            self._check(rule, value, path)
        if isinstance(value, Mapping):
            properties = schema.get("properties") or {}
            extra = schema.get("additionalProperties")
            for key, item in value.items():
                child = properties.get(key) or (extra if isinstance(extra, Mapping) else None)
                if child:
                    self.walk(item, child, f"{path}.{key}")
        elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            for i, item in enumerate(value):
                self.walk(item, schema["items"], f"{path}[{i}]")

    def _check(self, rule: Mapping[str, Any], value: Any, path: str) -> None:
        expression = str(rule.get("rule") or "")
        if "oldSelf" in expression:
            return  # a transition rule: checked on update only
        self.evaluated += 1
        try:
            result = _program(expression).evaluate({"self": _cel_value(value)})
        except Exception as error:  # celpy raises many kinds; each is a finding, never a pass
            result = error
        where = path or "."
        if isinstance(result, Exception) or _is_error(result):
            self.problems.append(f"{where}: rule `{expression}` could not be evaluated: {result}")
        elif result is not True and str(result).lower() != "true":
            message = rule.get("message") or f"failed rule: {expression}"
            self.problems.append(f"{where}: {message}")


@cache
def _program(expression: str) -> Any:
    import celpy

    environment = celpy.Environment()
    return environment.program(environment.compile(expression), functions=_kubernetes_functions())


def _is_error(result: Any) -> bool:
    import celpy

    return isinstance(result, celpy.CELEvalError)


@cache
def _kubernetes_functions() -> dict[str, Any]:
    """The Kubernetes CEL library functions the pinned CRDs call that cel-python lacks
    (k8s.io/apiserver/pkg/cel/library: regex, strings, url)."""
    from celpy import celtypes

    def find(text: Any, pattern: Any) -> Any:
        match = re.search(str(pattern), str(text))
        return celtypes.StringType(match.group(0) if match else "")

    def split(text: Any, separator: Any) -> Any:
        return celtypes.ListType([celtypes.StringType(s) for s in str(text).split(str(separator))])

    def substring(text: Any, start: Any, end: Any = None) -> Any:
        return celtypes.StringType(str(text)[int(start) : None if end is None else int(end)])

    def is_url(text: Any) -> Any:
        parsed = urlparse(str(text))
        return celtypes.BoolType(bool(parsed.scheme) and bool(parsed.netloc or parsed.path))

    def get_scheme(url: Any) -> Any:
        return celtypes.StringType(urlparse(str(url)).scheme)

    return {
        "find": find,
        "split": split,
        "substring": substring,
        "isURL": is_url,
        "url": lambda text: celtypes.StringType(str(text)),
        "getScheme": get_scheme,
    }


def _cel_value(value: Any) -> Any:
    from celpy import json_to_cel

    return json_to_cel(value)
