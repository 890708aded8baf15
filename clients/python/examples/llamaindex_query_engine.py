"""Braid as a LlamaIndex retriever, in a RetrieverQueryEngine.

    pip install "braid-client[llamaindex]"
    braid demo &                                  # or any Braid server; BRAID_URL says where
    python llamaindex_query_engine.py "Which countries border France?"

The engine runs with LlamaIndex's MockLLM, which answers with the prompt it was given, so
this runs without a model: pass your LLM (``llm=...``) to get a generated answer.
"""

import os
import sys

from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine

from braid_client.llama_index import BraidRetriever

question = sys.argv[1] if len(sys.argv) > 1 else "Which countries border France?"
base_url = os.environ.get("BRAID_URL", "http://127.0.0.1:7878")

# k, route forcing and filters are constructor options, e.g.
# BraidRetriever(base_url, k=8, routes=["vector"], filters={"modality": "image"}).
retriever = BraidRetriever(base_url, k=5)
engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
response = engine.query(question)

print("=== the engine's answer (MockLLM echoes the prompt built from Braid's nodes)")
print(response)

print("\n=== provenance of each source node")
for n in response.source_nodes:
    m = n.node.metadata
    ranks = ", ".join(f"{route}#{rank}" for route, rank in m["ranks"].items())
    print(f"{n.score:.4f}  {m['title']:<28} [{m['kind']}, found by {ranks}; plan: {m['plan_primary']}]")
    for fact in m["facts"]:
        print(f"        {fact}")

print("\n=== images, forcing the vector route")
images = BraidRetriever(base_url, k=3, routes=["vector"], filters={"modality": "image"})
for n in images.retrieve("musical instruments"):
    print(f"{n.node.metadata['title']:<28} {n.node.metadata['image_url']}")
