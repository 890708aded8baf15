"""A LlamaIndex retriever over Braid's ``POST /v1/query`` (extra ``llamaindex``).

>>> from braid_client.llama_index import BraidRetriever                     # doctest: +SKIP
>>> retriever = BraidRetriever("http://127.0.0.1:7878", k=5)                # doctest: +SKIP
>>> for n in retriever.retrieve("Which countries border France?"):          # doctest: +SKIP
...     print(n.score, n.node.metadata["routes"], n.node.metadata["facts"])

Each result is a :class:`llama_index.core.schema.NodeWithScore` holding a ``TextNode``
(``id_`` = the hit's id, text = title, snippet and supporting facts) scored with Braid's
fused score; the node's ``metadata`` carries Braid's provenance (see
:mod:`braid_client.retrieval`). Only ``id``, ``kind``, ``routes`` and ``image_url`` are
shown to an LLM and none to an embedder; the rest stays in the metadata for your code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

try:
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("braid_client.llama_index needs llama-index-core: pip install 'braid-client[llamaindex]'") from e

from .async_client import AsyncBraidClient
from .client import BraidClient
from .models import FusionMethod, QueryRequest, QueryResponse, Route
from .retrieval import QueryOptions, hit_metadata, hit_text

__all__ = ["BraidRetriever"]

#: Metadata keys an LLM sees in a node's content; the others are for code.
LLM_METADATA_KEYS = ("id", "kind", "routes", "image_url")


class BraidRetriever(BaseRetriever):
    """Retrieves from Braid: routed, fused hits as LlamaIndex nodes with provenance.

    Args:
        base_url: The server; default ``$BRAID_URL``, else ``http://127.0.0.1:7878``.
        api_key: Bearer key; default ``$BRAID_API_KEY``.
        k: How many nodes to return (1–1000).
        routes: Force these routes (``graph``, ``vector``, ``web``) instead of the plan's.
        filters: e.g. ``{"modality": "image"}``, ``{"type": "country"}``, ``{"tags": [...]}``.
        fusion: ``rrf`` (default), ``relative_score`` or ``dbsf``.
        diversity: 0–1, maximal marginal relevance after fusion.
        interleave: Alternate text and image results.
        timeout: Seconds per request attempt.
        client: A ready :class:`BraidClient` (overrides ``base_url``, ``api_key``, ``timeout``).
        async_client: A ready :class:`AsyncBraidClient` for :meth:`aretrieve`; without one,
            a short-lived client is made per call (or, if only ``client`` was given, the
            sync client is used).
        callback_manager, verbose: As for any LlamaIndex retriever.

    Failures raise :class:`braid_client.BraidError`.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        k: int = 10,
        routes: Sequence[Route] | None = None,
        filters: Mapping[str, Any] | None = None,
        fusion: FusionMethod | None = None,
        diversity: float | None = None,
        interleave: bool | None = None,
        timeout: float = 60.0,
        client: BraidClient | None = None,
        async_client: AsyncBraidClient | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        if not 1 <= k <= 1000:
            raise ValueError(f"k must be 1 to 1000, not {k}")
        self.options = QueryOptions(
            k=k, routes=routes, filters=filters, fusion=fusion, diversity=diversity, interleave=interleave
        )
        self._base_url = base_url
        self._api_key = api_key
        self._timeout = timeout
        self.client = client if client is not None else BraidClient(base_url, api_key=api_key, timeout=timeout)
        self._given_sync_only = client is not None and async_client is None
        self.async_client = async_client
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    def _nodes(self, answer: QueryResponse, absolute_url: Callable[[str], str]) -> list[NodeWithScore]:
        nodes = []
        for hit in answer.results:
            metadata = hit_metadata(hit, answer, absolute_url)
            node = TextNode(
                id_=hit.id,
                text=hit_text(hit),
                metadata=metadata,
                excluded_llm_metadata_keys=[key for key in metadata if key not in LLM_METADATA_KEYS],
                excluded_embed_metadata_keys=list(metadata),
            )
            nodes.append(NodeWithScore(node=node, score=hit.score))
        return nodes

    def _request(self, query_bundle: QueryBundle) -> QueryRequest:
        return QueryRequest.model_validate(self.options.request(query_bundle.query_str))

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        answer = self.client.query(self._request(query_bundle))
        return self._nodes(answer, self.client.absolute_url)

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        request = self._request(query_bundle)
        if self.async_client is not None:
            answer = await self.async_client.query(request)
            return self._nodes(answer, self.async_client.absolute_url)
        if self._given_sync_only:
            return self._retrieve(query_bundle)
        async with AsyncBraidClient(self._base_url, api_key=self._api_key, timeout=self._timeout) as client:
            answer = await client.query(request)
            return self._nodes(answer, client.absolute_url)
