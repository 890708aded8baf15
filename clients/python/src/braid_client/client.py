"""The synchronous client, :class:`BraidClient`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar, Union

import httpx
from pydantic import BaseModel

from . import _operations as ops
from . import models as m
from ._transport import DEFAULT_TIMEOUT, DEFAULT_URL, Call, RetryPolicy, join, send_sync
from .errors import BraidError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Records = Union[M, Mapping[str, Any], Iterable[Union[M, Mapping[str, Any]]]]  # noqa: UP007
"""One record (a model, or a mapping in the import shape) or an iterable of them."""


def _settings(
    base_url: str | None, api_key: str | None, headers: Mapping[str, str] | None
) -> tuple[str, dict[str, str]]:
    url = (base_url or os.environ.get("BRAID_URL") or DEFAULT_URL).rstrip("/")
    key = api_key if api_key is not None else os.environ.get("BRAID_API_KEY")
    all_headers = {"user-agent": f"braid-client-python/{_version()}", **(headers or {})}
    if key:
        all_headers["authorization"] = f"Bearer {key}"
    return url, all_headers


def _version() -> str:
    from . import __version__

    return __version__


class BraidClient:
    """A client for one Braid server (synchronous; see :class:`AsyncBraidClient` for asyncio).

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:7878``. Default: ``$BRAID_URL``, else
            ``http://127.0.0.1:7878``.
        api_key: Sent as ``Authorization: Bearer``. Default: ``$BRAID_API_KEY`` (none if
            unset). A read key may query and read; writes need a write key.
        timeout: Seconds for each attempt (a float or an :class:`httpx.Timeout`); ``None``
            waits forever.
        max_retries: How often a call answered 429 or 503 is sent again; 0 turns retrying off.
            The wait is the answer's ``Retry-After``, else an exponential backoff.
        max_retry_wait: A ``Retry-After`` longer than this many seconds is not waited for;
            the :class:`BraidError` is raised at once, with its ``retry_after``.
        headers: Extra headers for every request.
        http_client: An :class:`httpx.Client` of your own (proxies, transports, event hooks).
            Its base URL, headers and timeout are set from the arguments above; closing it
            stays your job.

    Every method raises :class:`BraidError` on failure. Use the client as a context
    manager, or call :meth:`close`, to release its connections.

    >>> with BraidClient() as braid:                          # doctest: +SKIP
    ...     answer = braid.query("Which countries border France?", k=3)
    ...     print([hit.title for hit in answer.results])
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        url, all_headers = _settings(base_url, api_key, headers)
        self._retry = RetryPolicy(max_retries=max_retries, max_wait=max_retry_wait)
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client()
        self._http.base_url = httpx.URL(url)
        self._http.headers.update(all_headers)
        self._http.timeout = httpx.Timeout(timeout)

    # ----- plumbing -----

    @property
    def base_url(self) -> str:
        """The server's URL, without a trailing slash."""
        return str(self._http.base_url).rstrip("/")

    def absolute_url(self, path: str) -> str:
        """``path`` (e.g. a hit's ``thumbnail``) as an absolute URL on this server."""
        return join(self._http.base_url, path)

    def _send(self, call: Call[T]) -> T:
        return send_sync(self._http, call, self._retry)

    def close(self) -> None:
        """Closes the connections (unless the ``http_client`` was passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> BraidClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BraidClient({self.base_url!r})"

    # ----- service -----

    def health(self) -> m.Health:
        """``GET /healthz``: the liveness probe (no key needed)."""
        return self._send(ops.call(ops.HEALTH))

    def healthy(self) -> bool:
        """True when ``GET /healthz`` answers ``ok``; never raises."""
        try:
            return self.health().status == "ok"
        except BraidError:
            return False

    def wait_until_ready(self, timeout: float = 120.0, interval: float = 0.5) -> m.Status:
        """Polls ``/healthz`` until the server answers (a demo takes a while to load).

        Returns :meth:`status`; raises :class:`BraidError` (``unreachable``) after ``timeout`` s.
        """
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() >= deadline:
                raise BraidError("unreachable", f"no Braid server answered at {self.base_url} within {timeout:g} s")
            time.sleep(interval)
        return self.status()

    def status(self) -> m.Status:
        """``GET /v1/status``: version, counts, embedder, vector backend, route availability, routing weights."""
        return self._send(ops.call(ops.STATUS))

    def metrics(self) -> str:
        """``GET /metrics``: Prometheus metrics in the text exposition format."""
        return self._send(ops.call(ops.METRICS))

    def openapi(self) -> dict[str, Any]:
        """``GET /openapi.json``: the server's OpenAPI 3.1 document."""
        doc: dict[str, Any] = self._send(ops.call(ops.OPENAPI))
        return doc

    # ----- query -----

    def query(
        self,
        query: str | m.QueryRequest,
        *,
        k: int | None = None,
        routes: Iterable[m.Route] | None = None,
        filters: m.Filters | Mapping[str, Any] | None = None,
        explain: bool | None = None,
        image: m.ImageInput | Mapping[str, Any] | None = None,
        fusion: m.FusionMethod | None = None,
        diversity: float | None = None,
        interleave: bool | None = None,
        ef: int | None = None,
    ) -> m.QueryResponse:
        """``POST /v1/query``: plans the query, runs the selected routes, fuses their hits.

        Args:
            query: The question or search text, or a whole :class:`QueryRequest` (then
                give no other argument).
            k: How many results (1–1000; server default 10).
            routes: Force these routes (``graph``, ``vector``, ``web``) instead of the plan's.
            filters: e.g. ``{"modality": "image"}``, ``{"type": "country"}``,
                ``{"tags": ["animal"]}``, ``{"entities": ["country:FRA"]}``.
            explain: Also return the decision trace (``QueryResponse.trace``).
            image: ``{"url": ...}`` or ``{"base64": ...}`` to search by an image.
            fusion: ``rrf`` (default), ``relative_score`` or ``dbsf``.
            diversity: 0–1, maximal marginal relevance after fusion.
            interleave: Alternate text and image results.
            ef: HNSW search width of the vector route for this query.
        """
        request = ops.query_request(
            query,
            k=k,
            routes=routes,
            filters=filters,
            explain=explain,
            image=image,
            fusion=fusion,
            diversity=diversity,
            interleave=interleave,
            ef=ef,
        )
        return self._send(ops.query_call(request))

    def route(self, query: str) -> m.RouteResponse:
        """``POST /v1/route``: the routing plan only; nothing is executed."""
        return self._send(ops.call(ops.ROUTE, body={"query": query}))

    def search(
        self, route: m.Route, query: str, *, k: int | None = None, filters: m.Filters | Mapping[str, Any] | None = None
    ) -> m.SearchResponse:
        """``POST /v1/search/{route}``: one route's own ranked hits, unfused.

        A route that cannot run here (e.g. ``web`` without a provider) raises
        :class:`BraidError` with status 422 and code ``unavailable``.
        """
        return self._send(ops.search_call(route, ops.search_request(query, k, filters)))

    # ----- writes -----

    def add_entities(self, entities: Records[m.Entity]) -> m.WriteSummary:
        """``POST /v1/entities``: inserts or replaces entities, all or none.

        ``entities`` is one :class:`Entity` or mapping in the import shape, or an iterable of them.
        """
        return self._send(ops.write_call(ops.ADD_ENTITIES, entities))

    def add_relations(self, relations: Records[m.Relation]) -> m.WriteSummary:
        """``POST /v1/relations``: inserts relations between existing entities, all or none."""
        return self._send(ops.write_call(ops.ADD_RELATIONS, relations))

    def add_documents(self, documents: Records[m.DocumentRecord]) -> m.WriteSummary:
        """``POST /v1/documents``: inserts or replaces documents, all or none; indexed at once."""
        return self._send(ops.write_call(ops.ADD_DOCUMENTS, documents))

    def add_images(self, images: Records[m.ImageUpload]) -> m.WriteSummary:
        """``POST /v1/images``: inserts or replaces images given as base64 bytes or a URL."""
        return self._send(ops.write_call(ops.ADD_IMAGES, images))

    def add_schema(self, records: Records[m.SchemaRecord]) -> m.WriteSummary:
        """``POST /v1/schema``: gives relation and entity types the words people use for them.

        ``records`` is one :class:`RelationTypeRecord` or :class:`EntityTypeRecord` (or a
        mapping in the schema-record shape: ``{"relation_type": "depends_on", "label": "depends
        on", "inverse": "required by", "aliases": ["requires"]}``, ``{"entity_type": "package",
        "plural": "packages"}``), or an iterable of them, all or none. A record replaces the
        type's earlier words (fields left out are cleared); :meth:`schema` shows them. A type
        the graph lacks, a type described twice in one call, or a blank word is refused with
        :class:`BraidError` 400 ``invalid_request`` naming the field (``items[0].relation_type``).
        Needs a write key.
        """
        return self._send(ops.write_call(ops.ADD_SCHEMA, records))

    # ----- reads and deletes -----

    def get_entity(self, entity_id: str) -> m.EntityView:
        """``GET /v1/entities/{id}``: the entity with its relations and linked items."""
        return self._send(ops.call(ops.GET_ENTITY, id=entity_id))

    def delete_entity(self, entity_id: str) -> m.Deleted:
        """``DELETE /v1/entities/{id}``: removes the entity and its relations."""
        return self._send(ops.call(ops.DELETE_ENTITY, id=entity_id))

    def get_document(self, document_id: str) -> m.DocumentRecord:
        """``GET /v1/documents/{id}``: the stored document."""
        return self._send(ops.call(ops.GET_DOCUMENT, id=document_id))

    def delete_document(self, document_id: str) -> m.Deleted:
        """``DELETE /v1/documents/{id}``: removes the document from every index."""
        return self._send(ops.call(ops.DELETE_DOCUMENT, id=document_id))

    def get_image(self, image_id: str) -> m.ImageRecord:
        """``GET /v1/images/{id}``: the stored image record."""
        return self._send(ops.call(ops.GET_IMAGE, id=image_id))

    def delete_image(self, image_id: str) -> m.Deleted:
        """``DELETE /v1/images/{id}``: removes the image from every index."""
        return self._send(ops.call(ops.DELETE_IMAGE, id=image_id))

    def image_content(self, image_id: str) -> bytes:
        """``GET /v1/images/{id}/content``: the stored image's bytes."""
        return self._send(ops.call(ops.IMAGE_CONTENT, id=image_id))

    # ----- graph -----

    def neighbors(
        self,
        entity_id: str,
        *,
        depth: int | None = None,
        relation: str | None = None,
        direction: m.NeighborDirection | None = None,
        limit: int | None = None,
    ) -> m.Neighborhood:
        """``GET /v1/entities/{id}/neighbors``: entities within ``depth`` hops (1–3, default 1),
        optionally along one ``relation`` type and ``direction``, at most ``limit`` (default 100)."""
        params = ops.neighbors_params(depth, relation, direction, limit)
        return self._send(ops.call(ops.NEIGHBORS, params=params, id=entity_id))

    def path(self, from_id: str, to_id: str, *, relations: str | Iterable[str] | None = None) -> m.GraphPath:
        """``GET /v1/graph/path``: a shortest path between two entities (``found`` is False if none)."""
        return self._send(ops.call(ops.GRAPH_PATH, params=ops.path_params(from_id, to_id, relations)))

    def schema(self) -> m.KbSchema:
        """``GET /v1/schema``: the knowledge base's relation and entity types, what the router
        reads questions with: each type's count, a relation's source and target entity types and
        symmetry, and the words given to them by schema records (label, inverse, plural, aliases).
        """
        return self._send(ops.call(ops.SCHEMA))

    # ----- tools -----

    def tools(self) -> list[m.Tool]:
        """``GET /v1/tools``: OpenAI-style function-calling schemas of Braid's agent tools."""
        return self._send(ops.call(ops.TOOLS))

    def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """``POST /v1/tools/{name}``: runs one tool with JSON arguments; returns its JSON result."""
        return self._send(ops.call(ops.CALL_TOOL, body=dict(arguments or {}), name=name))
