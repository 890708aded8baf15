"""The LangChain retriever against a live ``braid demo``, inside an LCEL chain of LangChain's own."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from langchain_core.documents import Document
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from braid_client import AsyncBraidClient, BraidClient, BraidError
from braid_client.langchain import BraidRetriever

QUESTION = "Which countries border France?"


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(f"[{'+'.join(d.metadata['routes'])}] {d.page_content}" for d in docs)


def test_it_is_a_langchain_retriever_returning_documents_with_provenance(braid_url: str) -> None:
    retriever = BraidRetriever(base_url=braid_url, k=5)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    assert 1 <= len(docs) <= 5 and all(isinstance(d, Document) for d in docs)
    first = docs[0]
    assert first.id == first.metadata["id"] and first.metadata["kind"] == "entity"
    assert first.metadata["routes"] == ["graph"] and first.metadata["ranks"] == {"graph": 1}
    assert first.metadata["sources"][0]["route"] == "graph" and first.metadata["sources"][0]["rank"] == 1
    assert first.metadata["plan_primary"] == "graph" and "graph" in first.metadata["plan_selected"]
    assert first.metadata["query"] == QUESTION
    fact = first.metadata["facts"][0]
    assert "France" in fact and "borders" in fact
    assert first.page_content.startswith(first.metadata["title"]) and f"Facts: {fact}" in first.page_content


def test_route_forcing_filters_and_k(braid_url: str) -> None:
    retriever = BraidRetriever(base_url=braid_url, k=3, routes=["vector"], filters={"modality": "image"})
    docs = retriever.invoke("musical instruments")
    assert 1 <= len(docs) <= 3
    for doc in docs:
        assert doc.metadata["routes"] == ["vector"] and doc.metadata["modality"] == "image"
        assert doc.metadata["image_url"] == doc.metadata["thumbnail_url"]
        assert doc.metadata["image_url"].startswith(f"{braid_url}/v1/images/")
        assert doc.metadata["uri"].startswith("images/")
    image = httpx.get(docs[0].metadata["image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    # The plan alone would have sent this question to the graph.
    graph_first = BraidRetriever(base_url=braid_url, k=3).invoke(QUESTION)
    forced = BraidRetriever(base_url=braid_url, k=3, routes=["vector"]).invoke(QUESTION)
    assert graph_first[0].metadata["routes"] == ["graph"]
    assert all(d.metadata["routes"] == ["vector"] for d in forced)


def test_in_an_lcel_chain(braid_url: str) -> None:
    retriever = BraidRetriever(base_url=braid_url, k=8)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from this context only:\n\n{context}"), ("human", "{question}")]
    )
    chain = {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()} | prompt
    value = chain.invoke(QUESTION)
    text = value.to_string()
    assert "[graph] Germany" in text and "France —borders→ Germany" in text and text.endswith(QUESTION)
    # The same chain with LangChain's own fake chat model at the end, sync and async.
    llm_chain = chain | FakeListChatModel(responses=["Germany, Belgium, ..."]) | StrOutputParser()
    assert llm_chain.invoke(QUESTION) == "Germany, Belgium, ..."
    assert "France —borders→ Spain" in asyncio.run(chain.ainvoke(QUESTION)).to_string()


def test_async_paths(braid_url: str) -> None:
    async def main() -> None:
        own = await BraidRetriever(base_url=braid_url, k=3).ainvoke(QUESTION)
        async with AsyncBraidClient(braid_url, api_key="") as client:
            given = await BraidRetriever(async_client=client, k=3).ainvoke(QUESTION)
        sync_only = await BraidRetriever(client=BraidClient(braid_url, api_key=""), k=3).ainvoke(QUESTION)
        assert [d.id for d in own] == [d.id for d in given] == [d.id for d in sync_only]
        assert own[0].metadata["routes"] == ["graph"]

    asyncio.run(main())


def test_server_errors_surface_as_braid_errors(braid_url: str) -> None:
    retriever = BraidRetriever(base_url=braid_url, diversity=5.0)
    with pytest.raises(BraidError) as raised:
        retriever.invoke(QUESTION)
    assert raised.value.field == "diversity"


def test_the_api_key_stays_secret(braid_url: str) -> None:
    retriever = BraidRetriever(base_url=braid_url, api_key="s3cret")  # type: ignore[arg-type]
    assert "s3cret" not in repr(retriever) and "s3cret" not in str(retriever.model_dump())
