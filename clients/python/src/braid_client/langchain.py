"""A LangChain retriever over Braid's ``POST /v1/query`` (extra ``langchain``).

>>> from braid_client.langchain import BraidRetriever                       # doctest: +SKIP
>>> retriever = BraidRetriever(base_url="http://127.0.0.1:7878", k=5)       # doctest: +SKIP
>>> for doc in retriever.invoke("Which countries border France?"):          # doctest: +SKIP
...     print(doc.metadata["routes"], doc.metadata["facts"], doc.page_content)

Each result is a :class:`langchain_core.documents.Document` whose ``page_content`` is the
hit's title, snippet and supporting facts, and whose ``metadata`` carries Braid's
provenance (see :mod:`braid_client.retrieval`). ``id`` is the hit's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("braid_client.langchain needs langchain-core: pip install 'braid-client[langchain]'") from e

from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from .async_client import AsyncBraidClient
from .client import BraidClient
from .models import FusionMethod, QueryRequest, QueryResponse, Route
from .retrieval import QueryOptions, hit_metadata, hit_text

__all__ = ["BraidRetriever"]


class BraidRetriever(BaseRetriever):
    """Retrieves from Braid: routed, fused hits as LangChain documents with provenance.

    Either give ``base_url`` (and ``api_key``, ``timeout``), or a ready ``client`` and
    optionally an ``async_client``. Without an ``async_client``, async calls use a
    short-lived :class:`AsyncBraidClient` built from ``base_url`` and ``api_key``, or, when
    only a sync ``client`` was given, run it in an executor.

    The query options are the retriever's fields: ``k``, ``routes`` (force routes instead of
    the plan's), ``filters`` (e.g. ``{"modality": "image"}``), ``fusion``, ``diversity``,
    ``interleave``. Failures raise :class:`braid_client.BraidError`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    base_url: str | None = None
    """The server; default ``$BRAID_URL``, else ``http://127.0.0.1:7878``."""
    api_key: SecretStr | None = None
    """Bearer key; default ``$BRAID_API_KEY``."""
    timeout: float = 60.0
    """Seconds per request attempt."""
    k: int = Field(default=10, ge=1, le=1000)
    """How many documents to return."""
    routes: list[Route] | None = None
    """Force these routes (``graph``, ``vector``, ``web``) instead of the plan's."""
    filters: dict[str, Any] | None = None
    """Filters, e.g. ``{"modality": "image"}``, ``{"type": "country"}``, ``{"tags": [...]}``."""
    fusion: FusionMethod | None = None
    """``rrf`` (default), ``relative_score`` or ``dbsf``."""
    diversity: float | None = None
    """0–1: maximal marginal relevance after fusion."""
    interleave: bool | None = None
    """Alternate text and image results."""
    client: BraidClient | None = Field(default=None, exclude=True)
    """A ready synchronous client (overrides ``base_url``, ``api_key`` and ``timeout``)."""
    async_client: AsyncBraidClient | None = Field(default=None, exclude=True)
    """A ready asyncio client."""

    _own_client: BraidClient | None = PrivateAttr(default=None)

    def _options(self) -> QueryOptions:
        return QueryOptions(
            k=self.k,
            routes=self.routes,
            filters=self.filters,
            fusion=self.fusion,
            diversity=self.diversity,
            interleave=self.interleave,
        )

    def _key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def _sync_client(self) -> BraidClient:
        if self.client is not None:
            return self.client
        if self._own_client is None:
            self._own_client = BraidClient(self.base_url, api_key=self._key(), timeout=self.timeout)
        return self._own_client

    def _documents(self, answer: QueryResponse, absolute_url: Callable[[str], str]) -> list[Document]:
        return [
            Document(id=hit.id, page_content=hit_text(hit), metadata=hit_metadata(hit, answer, absolute_url))
            for hit in answer.results
        ]

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        client = self._sync_client()
        answer = client.query(QueryRequest.model_validate(self._options().request(query)))
        return self._documents(answer, client.absolute_url)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        request = QueryRequest.model_validate(self._options().request(query))
        if self.async_client is not None:
            answer = await self.async_client.query(request)
            return self._documents(answer, self.async_client.absolute_url)
        if self.client is not None:
            # Only a sync client was given: LangChain's default runs it in an executor.
            return await super()._aget_relevant_documents(query, run_manager=run_manager)
        async with AsyncBraidClient(self.base_url, api_key=self._key(), timeout=self.timeout) as client:
            answer = await client.query(request)
            return self._documents(answer, client.absolute_url)
