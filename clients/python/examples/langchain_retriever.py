"""Braid as a LangChain retriever, in an LCEL chain.

    pip install "braid-client[langchain]"
    braid demo &                                  # or any Braid server; BRAID_URL says where
    python langchain_retriever.py "Which countries border France?"

The chain fills a prompt with Braid's routed, fused results. No LLM is needed to run it:
append your chat model (``chain | llm | StrOutputParser()``) to get a generated answer.
"""

import os
import sys

from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from braid_client.langchain import BraidRetriever

question = sys.argv[1] if len(sys.argv) > 1 else "Which countries border France?"
base_url = os.environ.get("BRAID_URL", "http://127.0.0.1:7878")

# k, route forcing and filters are constructor options, e.g.
# BraidRetriever(base_url=base_url, k=8, routes=["vector"], filters={"modality": "image"}).
retriever = BraidRetriever(base_url=base_url, k=5)


def format_docs(docs: list[Document]) -> str:
    """Each document with the routes that found it, for the prompt."""
    return "\n\n".join(f"[{'+'.join(d.metadata['routes'])}] {d.page_content}" for d in docs)


prompt = ChatPromptTemplate.from_messages(
    [("system", "Answer the question from this context only:\n\n{context}"), ("human", "{question}")]
)
chain = {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()} | prompt

print("=== the prompt the chain builds from Braid's answer")
print(chain.invoke(question).to_string())

print("\n=== provenance of each document")
for doc in retriever.invoke(question):
    m = doc.metadata
    ranks = ", ".join(f"{route}#{rank}" for route, rank in m["ranks"].items())
    print(f"{m['score']:.4f}  {m['title']:<28} [{m['kind']}, found by {ranks}; plan: {m['plan_primary']}]")
    for fact in m["facts"]:
        print(f"        {fact}")

print("\n=== images, forcing the vector route")
images = BraidRetriever(base_url=base_url, k=3, routes=["vector"], filters={"modality": "image"})
for doc in images.invoke("musical instruments"):
    print(f"{doc.metadata['title']:<28} {doc.metadata['image_url']}")
