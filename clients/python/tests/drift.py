"""Compares the client's operation table and models with an OpenAPI document.

:func:`problems` returns one line per difference; an empty list means the client covers
the document exactly:

- every operation of the document has a client method, and every client operation is in
  the document (bar ``NOT_WRAPPED``), with the same query and path parameters, which the
  client methods accept;
- request bodies and answers have the same fields as their models, recursively, with
  compatible types: a field of the document missing from a model, or a model field the
  document lacks, is a problem; so is a model that requires a field the server may omit
  or (for requests) omits one the server requires, a nullable field a model cannot hold
  ``None`` in, and a request enumeration whose values differ;
- a union of models (``RelationTypeRecord | EntityTypeRecord``) stands for an ``anyOf`` or
  ``oneOf`` of components: one model per alternative, each named as its component.
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from braid_client import AsyncBraidClient, BraidClient
from braid_client._operations import NOT_WRAPPED, OPERATIONS, Operation
from braid_client.models import ErrorBody

Direction = Literal["request", "response"]
MEDIA = {
    "model": "application/json",
    "model_list": "application/json",
    "json": "application/json",
    "text": "text/plain",
    "bytes": "image/*",
}


class Checker:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.found: list[str] = []
        self.seen: set[tuple[type[BaseModel], str, str]] = set()

    # ----- schemas -----

    def resolve(self, schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        name = None
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**self.doc["components"]["schemas"][name], **siblings}
        return schema, name

    def split_null(self, schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The schema without its ``null`` alternative, and whether it had one."""
        schema, _ = self.resolve(schema)
        kind = schema.get("type")
        if isinstance(kind, list) and "null" in kind:
            rest = [t for t in kind if t != "null"]
            return {**schema, "type": rest[0] if len(rest) == 1 else rest}, True
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if options and any(self.resolve(o)[0].get("type") == "null" for o in options):
                others = [o for o in options if self.resolve(o)[0].get("type") != "null"]
                base = {k: v for k, v in schema.items() if k != key}
                merged = {**base, **others[0]} if len(others) == 1 else {**base, key: others}
                return self.resolve(merged)[0], True
        return schema, False

    def enum_values(self, schema: dict[str, Any]) -> set[Any] | None:
        if "enum" in schema:
            return set(schema["enum"])
        if "const" in schema:
            return {schema["const"]}
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            consts = [self.resolve(o)[0] for o in options]
            if all("const" in c for c in consts):
                return {c["const"] for c in consts}
        return None

    # ----- annotations -----

    @staticmethod
    def split_none(annotation: Any) -> tuple[Any, bool]:
        origin = get_origin(annotation)
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = len(args) < len(get_args(annotation))
            return (args[0] if len(args) == 1 else Union[tuple(args)]), optional  # noqa: UP007
        return annotation, False

    # ----- comparison -----

    def problem(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")

    def ref_name(self, schema: dict[str, Any]) -> str | None:
        """The component a schema refers to, directly or as the one non-null alternative."""
        if "$ref" in schema:
            return str(schema["$ref"]).rsplit("/", 1)[-1]
        options = [o for o in schema.get("anyOf", schema.get("oneOf", [])) if o.get("type") != "null"]
        return self.ref_name(options[0]) if len(options) == 1 else None

    def model(
        self,
        model: type[BaseModel],
        schema: dict[str, Any],
        where: str,
        direction: Direction,
        name: str | None = None,
    ) -> None:
        schema, resolved_name = self.resolve(schema)
        name = resolved_name or name
        key = (model, name or repr(sorted(schema.get("properties", {}))), direction)
        if key in self.seen:
            return
        self.seen.add(key)
        label = f"{where} ({model.__name__} ~ {name or 'inline schema'})"
        if schema.get("type") != "object" or "properties" not in schema:
            self.problem(label, f"the document's schema is not an object with properties: {schema}")
            return
        props: dict[str, Any] = schema["properties"]
        required = set(schema.get("required", []))
        fields = {(f.alias or n): f for n, f in model.model_fields.items()}
        for missing in sorted(props.keys() - fields.keys()):
            self.problem(label, f"field '{missing}' is in /openapi.json but not in the model: add it")
        for extra in sorted(fields.keys() - props.keys()):
            self.problem(label, f"model field '{extra}' is not in /openapi.json: remove or rename it")
        model_required = {n for n, f in fields.items() if f.is_required()}
        for n in sorted(model_required - required):
            self.problem(label, f"the model requires '{n}', which the server may omit")
        if direction == "request":
            for n in sorted((required - model_required) & fields.keys()):
                self.problem(label, f"the server requires '{n}', which the model lets callers leave out")
        for n in sorted(props.keys() & fields.keys()):
            self.annotation(fields[n].annotation, props[n], f"{where}.{n}", direction)

    def annotation(self, annotation: Any, schema: dict[str, Any], where: str, direction: Direction) -> None:
        name = self.ref_name(schema)
        schema, nullable = self.split_null(schema)
        annotation, optional = self.split_none(annotation)
        if nullable and not optional:
            self.problem(where, "the document allows null; the model cannot hold None")
        if annotation is Any:
            return
        origin, args = get_origin(annotation), get_args(annotation)
        if origin in (Union, types.UnionType):
            self.union(args, schema, where, direction)
            return
        values = self.enum_values(schema)
        if values is not None:
            if origin is Literal:
                if set(args) != values:
                    self.problem(where, f"values {sorted(map(str, args))} differ from the document's {sorted(values)}")
            elif annotation is str and direction == "response":
                pass  # responses keep enumerations open: a newer server may add values
            else:
                self.problem(where, f"an enumeration {sorted(values)} wants a Literal, not {annotation}")
            return
        kind = schema.get("type")
        if not schema or (kind is None and not schema.get("properties")):
            self.problem(where, f"the document says anything goes; the model says {annotation}")
            return
        if kind == "string":
            self.expect(annotation is str, where, annotation, schema)
        elif kind == "integer":
            self.expect(annotation is int, where, annotation, schema)
        elif kind == "number":
            self.expect(annotation is float, where, annotation, schema)
        elif kind == "boolean":
            self.expect(annotation is bool, where, annotation, schema)
        elif kind == "array" and "prefixItems" in schema:
            items = schema["prefixItems"]
            if origin is not tuple or len(args) != len(items):
                self.problem(where, f"a {len(items)}-tuple in the document, {annotation} in the model")
                return
            for i, (arg, item) in enumerate(zip(args, items, strict=True)):
                self.annotation(arg, item, f"{where}[{i}]", direction)
        elif kind == "array":
            if origin is not list:
                self.problem(where, f"an array in the document, {annotation} in the model")
                return
            self.annotation(args[0], schema.get("items", {}), f"{where}[]", direction)
        elif kind == "object" or "properties" in schema:
            if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
                self.model(annotation, schema, where, direction, name)
            elif schema.get("properties"):
                self.problem(where, f"an object with fields in the document, {annotation} in the model")
            else:
                self.expect(origin is dict and args[0] is str, where, annotation, schema)
        else:
            self.problem(where, f"the document's type {kind!r} is not one this checker knows")

    def union(self, args: tuple[Any, ...], schema: dict[str, Any], where: str, direction: Direction) -> None:
        """A union of models against the document's alternatives, paired by component name."""
        options = schema.get("anyOf") or schema.get("oneOf")
        if not options:
            self.problem(where, f"a union in the model, {schema} in the document")
            return
        models = {a.__name__: a for a in args if inspect.isclass(a) and issubclass(a, BaseModel)}
        if len(models) != len(args):
            self.problem(where, f"a union of models is all this checker compares, not {args}")
            return
        documented = {self.ref_name(option): option for option in options}
        for name in sorted(n for n in documented.keys() - models.keys() if n is not None):
            self.problem(where, f"alternative '{name}' is in /openapi.json but not in the union: add a model for it")
        if None in documented:
            self.problem(where, "an alternative of the document is not a component; the checker pairs them by name")
        for name in sorted(models.keys() - documented.keys()):
            self.problem(where, f"model {name} is not an alternative in /openapi.json: remove or rename it")
        for name in sorted(models.keys() & documented.keys()):
            self.model(models[name], documented[name], where, direction, name)

    def expect(self, ok: bool, where: str, annotation: Any, schema: dict[str, Any]) -> None:
        if not ok:
            self.problem(where, f"type {schema.get('type')!r} in the document, {annotation} in the model")

    # ----- operations -----

    def operations(self) -> None:
        documented: dict[tuple[str, str], dict[str, Any]] = {
            (method.upper(), path): op
            for path, item in self.doc["paths"].items()
            for method, op in item.items()
            if method in ("get", "post", "put", "patch", "delete")
        }
        ours = {(op.method, op.path): op for op in OPERATIONS}
        for key in sorted(documented.keys() - ours.keys() - NOT_WRAPPED.keys()):
            self.problem(f"{key[0]} {key[1]}", "in /openapi.json but the clients have no method for it")
        for key in sorted(ours.keys() - documented.keys()):
            self.problem(f"{key[0]} {key[1]}", f"{ours[key].client_method}() calls an operation /openapi.json lacks")
        for key in sorted(NOT_WRAPPED.keys() - documented.keys()):
            self.problem(f"{key[0]} {key[1]}", "listed in NOT_WRAPPED but gone from /openapi.json")
        for key in sorted(documented.keys() & ours.keys()):
            self.operation(ours[key], documented[key])
        self.model(ErrorBody, {"$ref": "#/components/schemas/Error"}, "error answers", "response")

    def operation(self, op: Operation[Any], spec: dict[str, Any]) -> None:
        where = f"{op.method} {op.path}"
        params = spec.get("parameters", [])
        for location, ours in (("query", op.query_params), ("path", op.path_params)):
            theirs = {p["name"] for p in params if p["in"] == location}
            if theirs != set(ours):
                self.problem(where, f"{location} parameters {sorted(theirs)} in /openapi.json, {sorted(ours)} here")
        for cls in (BraidClient, AsyncBraidClient):
            method = getattr(cls, op.client_method, None)
            if method is None:
                self.problem(where, f"{cls.__name__} has no method {op.client_method}()")
                continue
            hints = get_type_hints(method)
            by_name = {p["name"]: p for p in params}
            for wire, argument in {**op.query_params, **op.path_params}.items():
                if argument not in hints:
                    self.problem(where, f"{cls.__name__}.{op.client_method}() takes no '{argument}' for '{wire}'")
                    continue
                # A parameter typed as a Literal must list the document's values (a str is open).
                annotation, _ = self.split_none(hints[argument])
                values = self.enum_values(self.resolve(by_name.get(wire, {}).get("schema", {}))[0])
                if get_origin(annotation) is Literal and set(get_args(annotation)) != (values or set()):
                    self.problem(
                        where, f"'{argument}' takes {sorted(get_args(annotation))}, the document {sorted(values or [])}"
                    )
        self.request(op, spec, where)
        self.response(op, spec, where)

    def request(self, op: Operation[Any], spec: dict[str, Any], where: str) -> None:
        body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if op.free_body:
            if body is None or self.resolve(body)[0] != {"type": "object"}:
                self.problem(where, f"the body is no longer a free JSON object: {body}")
            return
        if op.request is None:
            if body is not None:
                self.problem(where, "the document has a request body; the client sends none")
            return
        if body is None:
            self.problem(where, "the client sends a body; the document has none")
            return
        if op.batch:
            options = body.get("oneOf", [])
            if len(options) != 2 or "items" not in self.resolve(options[1])[0].get("properties", {}):
                self.problem(where, "the body is no longer 'one record or {\"items\": [...]}'")
                return
            items = self.resolve(options[1])[0]["properties"]["items"]
            if self.resolve(items["items"])[1] != self.resolve(options[0])[1]:
                self.problem(where, "the single record and the items of a batch differ")
            body = options[0]
        self.annotation(op.request, body, f"{where} body", "request")

    def response(self, op: Operation[Any], spec: dict[str, Any], where: str) -> None:
        content = spec["responses"]["200"].get("content", {})
        if MEDIA[op.response_kind] not in content:
            self.problem(where, f"answers {sorted(content)}, the client reads {MEDIA[op.response_kind]}")
            return
        schema = content[MEDIA[op.response_kind]]["schema"]
        if op.response_kind == "model":
            assert op.response is not None
            self.model(op.response, schema, f"{where} answer", "response")
        elif op.response_kind == "model_list":
            assert op.response is not None
            resolved, _ = self.resolve(schema)
            if resolved.get("type") != "array":
                self.problem(where, "the answer is no longer an array")
                return
            self.model(op.response, resolved["items"], f"{where} answer[]", "response")


def problems(doc: dict[str, Any]) -> list[str]:
    """Every difference between the client and ``doc`` (an OpenAPI document)."""
    checker = Checker(doc)
    checker.operations()
    return checker.found
