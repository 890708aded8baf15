"""The LlamaIndex retriever against a live ``braid demo``, inside a RetrieverQueryEngine
of LlamaIndex's own (with its MockLLM, which echoes the prompt it is given)."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

from braid_client import AsyncBraidClient, BraidClient, BraidError
from braid_client.llama_index import BraidRetriever

QUESTION = "Which countries border France?"


def test_it_is_a_llamaindex_retriever_returning_scored_nodes_with_provenance(braid_url: str) -> None:
    retriever = BraidRetriever(braid_url, k=5)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(QUESTION)
    assert 1 <= len(nodes) <= 5
    assert all(isinstance(n, NodeWithScore) and isinstance(n.node, TextNode) for n in nodes)
    first = nodes[0]
    assert first.node.node_id == first.node.metadata["id"] and first.score is not None and first.score > 0
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    meta = first.node.metadata
    assert meta["routes"] == ["graph"] and meta["ranks"] == {"graph": 1} and meta["plan_primary"] == "graph"
    assert any("France" in f and "borders" in f for f in meta["facts"])
    # An LLM sees the text and a little provenance; an embedder sees the text alone.
    for_llm = first.node.get_content(metadata_mode=MetadataMode.LLM)
    assert "routes: ['graph']" in for_llm and "sources:" not in for_llm and "Facts:" in for_llm
    assert first.node.get_content(metadata_mode=MetadataMode.EMBED) == first.node.get_content()


def test_route_forcing_filters_and_k(braid_url: str) -> None:
    nodes = BraidRetriever(braid_url, k=3, routes=["vector"], filters={"modality": "image"}).retrieve(
        "musical instruments"
    )
    assert 1 <= len(nodes) <= 3
    for n in nodes:
        assert n.node.metadata["routes"] == ["vector"] and n.node.metadata["modality"] == "image"
        assert n.node.metadata["image_url"].startswith(f"{braid_url}/v1/images/")
    forced = BraidRetriever(braid_url, k=3, routes=["vector"]).retrieve(QUESTION)
    assert all(n.node.metadata["routes"] == ["vector"] for n in forced)
    with pytest.raises(ValueError, match="k must be"):
        BraidRetriever(braid_url, k=0)


def test_in_a_query_engine(braid_url: str) -> None:
    engine = RetrieverQueryEngine.from_args(BraidRetriever(braid_url, k=8), llm=MockLLM())
    response = engine.query(QUESTION)
    ids = [n.node.node_id for n in response.source_nodes]
    assert "country:DEU" in ids and "country:ESP" in ids
    # MockLLM answers with its prompt: the context the engine built from Braid's nodes.
    assert "France —borders→ Germany" in str(response) and QUESTION in str(response)
    assert all(n.node.metadata["routes"] == ["graph"] for n in response.source_nodes[:3])
    answer = asyncio.run(engine.aquery(QUESTION))
    assert [n.node.node_id for n in answer.source_nodes] == ids


def test_async_paths(braid_url: str) -> None:
    async def main() -> None:
        own = await BraidRetriever(braid_url, k=3).aretrieve(QUESTION)
        async with AsyncBraidClient(braid_url, api_key="") as client:
            given = await BraidRetriever(async_client=client, k=3).aretrieve(QUESTION)
        sync_only = await BraidRetriever(client=BraidClient(braid_url, api_key=""), k=3).aretrieve(QUESTION)
        assert [n.node.node_id for n in own] == [n.node.node_id for n in given] == [n.node.node_id for n in sync_only]

    asyncio.run(main())


def test_server_errors_surface_as_braid_errors(braid_url: str) -> None:
    with pytest.raises(BraidError) as raised:
        BraidRetriever(braid_url, diversity=5.0).retrieve(QUESTION)
    assert raised.value.field == "diversity"
