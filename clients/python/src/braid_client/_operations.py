"""Every REST operation, declared once: its method and path, the client method that calls it,
its request and response models. The clients build their calls from this table, and the
drift test compares the table with the server's ``/openapi.json``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import UnionType
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from . import models as m
from ._transport import Call, json_body

ModelT = TypeVar("ModelT", bound=BaseModel)
R = TypeVar("R")

ResponseKind = Literal["model", "model_list", "json", "bytes", "text"]

RequestType = type[BaseModel] | UnionType
"""A request body's model, or a union of models (``RelationTypeRecord | EntityTypeRecord``)."""


@dataclass(frozen=True)
class Operation(Generic[R]):
    """One operation of the REST API, as this client implements it."""

    method: str
    """HTTP method, upper case."""
    path: str
    """Path template, as in ``/openapi.json`` (``/v1/entities/{id}``)."""
    client_method: str
    """Name of the method on :class:`~braid_client.BraidClient` and ``AsyncBraidClient``."""
    parse: Callable[[httpx.Response], R]
    """Reads a successful answer."""
    response_kind: ResponseKind
    """What the answer is: a ``model``, a JSON array of models, free ``json``, ``bytes``, ``text``."""
    response: type[BaseModel] | None = None
    """The model of a ``model`` answer, or of each item of a ``model_list`` answer."""
    request: RequestType | None = None
    """The model of the JSON body (or a union of models, one of which each body matches), if any."""
    batch: bool = False
    """The body is ``request`` or ``{"items": [request, ...]}`` (the write endpoints)."""
    free_body: bool = False
    """The body is a JSON object of no fixed shape (a tool's arguments)."""
    query_params: Mapping[str, str] = field(default_factory=dict)
    """Query parameters: wire name → the client method's argument name."""
    path_params: Mapping[str, str] = field(default_factory=dict)
    """Path parameters: wire name → the client method's argument name."""


def _model(method: str, path: str, client_method: str, model: type[ModelT], **kw: Any) -> Operation[ModelT]:
    def parse(response: httpx.Response) -> ModelT:
        return model.model_validate(json_body(response))

    return Operation(method, path, client_method, parse, "model", model, **kw)


def _model_list(method: str, path: str, client_method: str, model: type[ModelT]) -> Operation[list[ModelT]]:
    adapter: TypeAdapter[list[ModelT]] = TypeAdapter(list[model])  # type: ignore[valid-type]

    def parse(response: httpx.Response) -> list[ModelT]:
        return adapter.validate_python(json_body(response))

    return Operation(method, path, client_method, parse, "model_list", model)


def _bytes(response: httpx.Response) -> bytes:
    return response.content


def _text(response: httpx.Response) -> str:
    return response.text


HEALTH = _model("GET", "/healthz", "health", m.Health)
STATUS = _model("GET", "/v1/status", "status", m.Status)
QUERY = _model("POST", "/v1/query", "query", m.QueryResponse, request=m.QueryRequest)
ROUTE = _model("POST", "/v1/route", "route", m.RouteResponse, request=m.RouteRequest)
SEARCH = _model(
    "POST", "/v1/search/{route}", "search", m.SearchResponse, request=m.SearchRequest, path_params={"route": "route"}
)
ADD_ENTITIES = _model("POST", "/v1/entities", "add_entities", m.WriteSummary, request=m.Entity, batch=True)
ADD_RELATIONS = _model("POST", "/v1/relations", "add_relations", m.WriteSummary, request=m.Relation, batch=True)
ADD_DOCUMENTS = _model("POST", "/v1/documents", "add_documents", m.WriteSummary, request=m.DocumentRecord, batch=True)
ADD_IMAGES = _model("POST", "/v1/images", "add_images", m.WriteSummary, request=m.ImageUpload, batch=True)
GET_ENTITY = _model("GET", "/v1/entities/{id}", "get_entity", m.EntityView, path_params={"id": "entity_id"})
DELETE_ENTITY = _model("DELETE", "/v1/entities/{id}", "delete_entity", m.Deleted, path_params={"id": "entity_id"})
NEIGHBORS = _model(
    "GET",
    "/v1/entities/{id}/neighbors",
    "neighbors",
    m.Neighborhood,
    path_params={"id": "entity_id"},
    query_params={"depth": "depth", "relation": "relation", "direction": "direction", "limit": "limit"},
)
GRAPH_PATH = _model(
    "GET",
    "/v1/graph/path",
    "path",
    m.GraphPath,
    query_params={"from": "from_id", "to": "to_id", "relation": "relations"},
)
GET_DOCUMENT = _model("GET", "/v1/documents/{id}", "get_document", m.DocumentRecord, path_params={"id": "document_id"})
DELETE_DOCUMENT = _model(
    "DELETE", "/v1/documents/{id}", "delete_document", m.Deleted, path_params={"id": "document_id"}
)
SCHEMA = _model("GET", "/v1/schema", "schema", m.KbSchema)
ADD_SCHEMA = _model("POST", "/v1/schema", "add_schema", m.WriteSummary, request=m.SchemaRecord, batch=True)
GET_IMAGE = _model("GET", "/v1/images/{id}", "get_image", m.ImageRecord, path_params={"id": "image_id"})
DELETE_IMAGE = _model("DELETE", "/v1/images/{id}", "delete_image", m.Deleted, path_params={"id": "image_id"})
IMAGE_CONTENT: Operation[bytes] = Operation(
    "GET", "/v1/images/{id}/content", "image_content", _bytes, "bytes", path_params={"id": "image_id"}
)
TOOLS = _model_list("GET", "/v1/tools", "tools", m.Tool)
CALL_TOOL: Operation[Any] = Operation(
    "POST", "/v1/tools/{name}", "call_tool", json_body, "json", free_body=True, path_params={"name": "name"}
)
METRICS: Operation[str] = Operation("GET", "/metrics", "metrics", _text, "text")
OPENAPI: Operation[Any] = Operation("GET", "/openapi.json", "openapi", json_body, "json")

OPERATIONS: tuple[Operation[Any], ...] = (
    HEALTH,
    STATUS,
    QUERY,
    ROUTE,
    SEARCH,
    ADD_ENTITIES,
    ADD_RELATIONS,
    ADD_DOCUMENTS,
    ADD_IMAGES,
    GET_ENTITY,
    DELETE_ENTITY,
    NEIGHBORS,
    GRAPH_PATH,
    SCHEMA,
    ADD_SCHEMA,
    GET_DOCUMENT,
    DELETE_DOCUMENT,
    GET_IMAGE,
    DELETE_IMAGE,
    IMAGE_CONTENT,
    TOOLS,
    CALL_TOOL,
    METRICS,
    OPENAPI,
)
"""Every operation the clients implement."""

NOT_WRAPPED: dict[tuple[str, str], str] = {
    ("GET", "/docs"): "an HTML page for browsers; open client.absolute_url('/docs')",
}
"""Operations of the API the clients deliberately have no method for, and why."""


# ----- building calls -----


def _path(op: Operation[Any], **values: str) -> str:
    path = op.path
    for name, value in values.items():
        if not value:
            raise ValueError(f"{op.path_params.get(name, name)} must not be empty")
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def _dump(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)


@cache
def _adapter(request: RequestType) -> TypeAdapter[BaseModel]:
    return TypeAdapter(request)  # type: ignore[arg-type]  # a union of models is a type form too


def _items(request: RequestType, items: Any) -> list[BaseModel]:
    """The records of a write: one model or mapping, or an iterable of them, as models of
    ``request`` (a mapping that fits none raises pydantic's ``ValidationError``)."""
    # A model or a mapping is one record (a model is iterable too: check it first).
    batch: Iterable[Any] = [items] if isinstance(items, (BaseModel, Mapping)) else items
    out = [item if isinstance(item, request) else _adapter(request).validate_python(item) for item in batch]
    if not out:
        raise ValueError("nothing to write: give at least one record")
    return out


def call(op: Operation[R], *, body: Any = None, params: dict[str, Any] | None = None, **path: str) -> Call[R]:
    """The call of ``op`` with its path parameters filled in (``None`` query parameters dropped)."""
    if params is not None:
        params = {k: v for k, v in params.items() if v is not None}
    return Call(op.method, _path(op, **path), op.parse, params=params or None, json=body)


def query_call(request: m.QueryRequest) -> Call[m.QueryResponse]:
    return call(QUERY, body=_dump(request))


def search_call(route: str, request: m.SearchRequest) -> Call[m.SearchResponse]:
    return call(SEARCH, body=_dump(request), route=route)


def write_call(op: Operation[m.WriteSummary], items: Any) -> Call[m.WriteSummary]:
    assert op.request is not None and op.batch
    return call(op, body={"items": [_dump(i) for i in _items(op.request, items)]})


def query_request(
    query: str | m.QueryRequest,
    *,
    k: int | None,
    routes: Iterable[m.Route] | None,
    filters: m.Filters | Mapping[str, Any] | None,
    explain: bool | None,
    image: m.ImageInput | Mapping[str, Any] | None,
    fusion: m.FusionMethod | None,
    diversity: float | None,
    interleave: bool | None,
    ef: int | None,
) -> m.QueryRequest:
    """A :class:`QueryRequest` from a query text and options, or the request given as is."""
    options = {
        "k": k,
        "routes": list(routes) if routes is not None else None,
        "filters": filters,
        "explain": explain,
        "image": image,
        "fusion": fusion,
        "diversity": diversity,
        "interleave": interleave,
        "ef": ef,
    }
    given = {name: value for name, value in options.items() if value is not None}
    if isinstance(query, m.QueryRequest):
        if given:
            raise TypeError(f"pass options inside the QueryRequest, not beside it: {sorted(given)}")
        return query
    return m.QueryRequest.model_validate({"query": query, **given})


def search_request(query: str, k: int | None, filters: m.Filters | Mapping[str, Any] | None) -> m.SearchRequest:
    given = {name: value for name, value in {"k": k, "filters": filters}.items() if value is not None}
    return m.SearchRequest.model_validate({"query": query, **given})


def neighbors_params(
    depth: int | None, relation: str | None, direction: str | None, limit: int | None
) -> dict[str, Any]:
    return {"depth": depth, "relation": relation, "direction": direction, "limit": limit}


def path_params(from_id: str, to_id: str, relations: str | Iterable[str] | None) -> dict[str, Any]:
    if relations is not None and not isinstance(relations, str):
        relations = ",".join(relations)
    return {"from": from_id, "to": to_id, "relation": relations}
