"""The models and the operation table against the live server's /openapi.json.

When this fails after a change to the server's REST API, update
``src/braid_client/models.py`` and ``src/braid_client/_operations.py`` (and the client
methods): the messages say what to add or remove where.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from braid_client import AsyncBraidClient, BraidClient, models
from braid_client._operations import OPERATIONS

from drift import Checker, problems


def test_the_client_matches_the_servers_openapi_document(openapi_doc: dict[str, Any]) -> None:
    found = problems(openapi_doc)
    assert not found, "the client has drifted from /openapi.json:\n  " + "\n  ".join(found)


def test_every_model_is_compared(openapi_doc: dict[str, Any]) -> None:
    checker = Checker(openapi_doc)
    checker.operations()
    compared = {model for model, _, _ in checker.seen}
    declared = {getattr(models, n) for n in models.__all__}
    declared = {m for m in declared if isinstance(m, type) and issubclass(m, models.BraidModel)}
    assert declared - compared == set()


def test_every_operation_has_a_sync_and_an_async_method_of_the_same_shape() -> None:
    import inspect

    for op in OPERATIONS:
        sync, coro = getattr(BraidClient, op.client_method), getattr(AsyncBraidClient, op.client_method)
        assert inspect.iscoroutinefunction(coro), op.client_method
        assert inspect.signature(sync) == inspect.signature(coro), op.client_method
    public = lambda cls: {n for n in dir(cls) if not n.startswith("_")}  # noqa: E731
    assert public(BraidClient) - {"close"} == public(AsyncBraidClient) - {"aclose"}


# ----- the check itself fails when it should -----


def _mutated(doc: dict[str, Any], change: Any) -> list[str]:
    doc = copy.deepcopy(doc)
    change(doc)
    return problems(doc)


def _schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: _schemas(d)["QueryResponse"]["properties"].update(verdict={"type": "object"}),
            "field 'verdict' is in /openapi.json but not in the model",
            id="a new answer field",
        ),
        pytest.param(
            lambda d: _schemas(d)["SourceReport"]["properties"].update(cached={"type": "boolean"}),
            "field 'cached' is in /openapi.json but not in the model",
            id="a new nested field",
        ),
        pytest.param(
            lambda d: _schemas(d)["RouterStatus"]["properties"].pop("fitted_on"),
            "model field 'fitted_on' is not in /openapi.json",
            id="a removed field of a nested object",
        ),
        pytest.param(
            lambda d: _schemas(d)["EntityTypeRecord"]["properties"].update(description={"type": "string"}),
            "(EntityTypeRecord ~ EntityTypeRecord): field 'description' is in /openapi.json but not in the model",
            id="a new field in one alternative of a request union",
        ),
        pytest.param(
            lambda d: _schemas(d)["RelationTypeRecord"]["required"].append("label"),
            "the server requires 'label', which the model lets callers leave out",
            id="a field of a union alternative that becomes required",
        ),
        pytest.param(
            lambda d: _schemas(d)["SchemaRecord"]["anyOf"].append({"$ref": "#/components/schemas/Filters"}),
            "alternative 'Filters' is in /openapi.json but not in the union: add a model for it",
            id="a new kind of schema record",
        ),
        pytest.param(
            lambda d: _schemas(d)["SchemaRecord"]["anyOf"].pop(),
            "model EntityTypeRecord is not an alternative in /openapi.json",
            id="a kind of schema record withdrawn",
        ),
        pytest.param(
            lambda d: _schemas(d)["Status"]["properties"].pop("read_only"),
            "model field 'read_only' is not in /openapi.json",
            id="a removed field",
        ),
        pytest.param(
            lambda d: _schemas(d)["SourceRank"]["properties"]["rank"].update(type="string"),
            "type 'string' in the document",
            id="a changed type",
        ),
        pytest.param(
            lambda d: _schemas(d)["FusedHit"]["properties"]["uri"].update(type="string"),
            None,  # nullable → not nullable: the model's Optional still reads it; no problem
            id="a field that stops being nullable",
        ),
        pytest.param(
            lambda d: _schemas(d)["RouteStatus"]["properties"]["available"].update(type=["boolean", "null"]),
            "the document allows null; the model cannot hold None",
            id="a field that becomes nullable",
        ),
        pytest.param(
            lambda d: _schemas(d)["QueryRequest"]["required"].append("k"),
            "the server requires 'k'",
            id="a request field that becomes required",
        ),
        pytest.param(
            lambda d: _schemas(d)["Counts"]["required"].remove("images"),
            "the model requires 'images', which the server may omit",
            id="an answer field that becomes optional",
        ),
        pytest.param(
            lambda d: _schemas(d)["Route"]["oneOf"].append({"const": "sql", "type": "string"}),
            "differ from the document's",
            id="a new route",
        ),
        pytest.param(
            lambda d: d["paths"]["/v1/graph/path"]["get"]["parameters"].append(
                {"name": "max_hops", "in": "query", "required": False, "schema": {"type": "integer"}}
            ),
            "query parameters",
            id="a new query parameter",
        ),
        pytest.param(
            lambda d: _schemas(d)["Direction"]["oneOf"].pop(),
            "'direction' takes ['both', 'in', 'out'], the document ['in', 'out']",
            id="a parameter's value withdrawn",
        ),
        pytest.param(
            lambda d: d["paths"].update({"/v1/graph/pagerank": {"post": {"responses": {}}}}),
            "POST /v1/graph/pagerank: in /openapi.json but the clients have no method for it",
            id="a new operation",
        ),
        pytest.param(
            lambda d: d["paths"]["/v1/route"].pop("post"),
            "route() calls an operation /openapi.json lacks",
            id="a removed operation",
        ),
    ],
)
def test_the_check_catches(openapi_doc: dict[str, Any], change: Any, expected: str | None) -> None:
    found = _mutated(openapi_doc, change)
    if expected is None:
        assert found == []
    else:
        assert any(expected in line for line in found), found
