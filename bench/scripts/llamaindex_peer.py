#!/usr/bin/env python3
"""Peer comparison of issue 9: LlamaIndex's RouterRetriever with its EmbeddingSingleSelector
over the same vectors Braid indexes the atlas by, networkx for the graph part.

Run by bench/e2e.sh after `embed-dump` has written the vectors (documents, images, the
benchmark queries and the two route descriptions below, all embedded by Braid's own
embedder), and after `overhead-bench` has written Braid's library latency for the same
request bodies (--library). Prints a Markdown table: per body, the route LlamaIndex chose,
its route+retrieve latency (p50/p99 over --iters calls after warm-up) next to
`Braid::query`'s p50/p99, and Braid's speed-up (peer p50 / Braid p50).

Setup of the peer:
- embeddings: a `BaseEmbedding` that returns the dumped vectors by exact text (it refuses
  texts it was not given, so nothing is embedded differently);
- "vector": `VectorStoreIndex` (in-memory `SimpleVectorStore`, exact cosine) over every
  document and image node, each carrying Braid's vector; `similarity_top_k` = k;
- "graph": a `BaseRetriever` that links entity names and aliases in the query (longest
  n-gram, case-insensitive, exact match; Braid also handles typos and relation cues) and
  returns the networkx neighbours (both directions, depth 1) of the linked entities;
- `RouterRetriever(selector=EmbeddingSingleSelector.from_defaults(embed_model=...),
  retriever_tools=[graph, vector], llm=MockLLM())`: the selector embeds the query and
  both descriptions and picks the closer one. A body that forces routes (Braid's
  `"routes": ["graph", "vector"]`) calls both retrievers and concatenates their answers,
  as the selector cannot pick two.
"""
import argparse
import json
import statistics
import sys
import time

GRAPH_DESCRIPTION = ("Facts about named entities and the relations between them: which countries border "
                     "which, capitals, languages, currencies, what is part of or located in what.")
VECTOR_DESCRIPTION = ("Documents and pictures described in text: photos, images and articles about animals, "
                      "musical instruments, flags, objects and topics.")


def percentile(sorted_values, p):
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * p // 100)))
    return sorted_values[int(rank) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--print-descriptions", action="store_true")
    ap.add_argument("--vectors")
    ap.add_argument("--atlas")
    ap.add_argument("--bodies")
    ap.add_argument("--library")
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    args = ap.parse_args()
    if args.print_descriptions:
        print(GRAPH_DESCRIPTION)
        print(VECTOR_DESCRIPTION)
        return

    import llama_index.core
    import networkx as nx
    from llama_index.core import VectorStoreIndex
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import BaseRetriever, RouterRetriever
    from llama_index.core.schema import NodeWithScore, TextNode
    from llama_index.core.selectors import EmbeddingSingleSelector
    from llama_index.core.tools import RetrieverTool
    from pydantic import PrivateAttr

    rows = [json.loads(l) for l in open(args.vectors)]
    table = {r["text"]: r["vector"] for r in rows}

    class DumpedEmbedding(BaseEmbedding):
        """Returns Braid's vectors by exact text."""
        _table: dict = PrivateAttr()

        def __init__(self, table, **kw):
            super().__init__(model_name="braid-dump", embed_batch_size=256, **kw)
            self._table = table

        def _look(self, text):
            try:
                return self._table[text]
            except KeyError:
                raise KeyError(f"no dumped vector for {text[:60]!r}") from None

        def _get_query_embedding(self, query):
            return self._look(query)

        def _get_text_embedding(self, text):
            return self._look(text)

        async def _aget_query_embedding(self, query):
            return self._look(query)

    embed = DumpedEmbedding(table)
    nodes = [TextNode(id_=r["id"], text=r["text"], embedding=r["vector"], metadata={"kind": r["kind"]})
             for r in rows if r["kind"] in ("document", "image")]
    t0 = time.perf_counter()
    index = VectorStoreIndex(nodes, embed_model=embed)
    build_s = time.perf_counter() - t0

    # The graph: entities, names and aliases for linking; relations in networkx.
    g = nx.MultiDiGraph()
    names = {}
    entity_name = {}
    for line in open(f"{args.atlas}/entities.jsonl"):
        e = json.loads(line)
        g.add_node(e["id"])
        entity_name[e["id"]] = e["name"]
        for n in [e["name"], *e.get("aliases", [])]:
            names.setdefault(n.lower(), e["id"])
    for line in open(f"{args.atlas}/relations.jsonl"):
        r = json.loads(line)
        g.add_edge(r["source"], r["target"], relation=r["relation"])
    max_words = max(len(n.split()) for n in names)

    class GraphRetriever(BaseRetriever):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def _retrieve(self, query_bundle):
            words = "".join(c if c.isalnum() or c.isspace() else " " for c in query_bundle.query_str.lower()).split()
            linked, i = [], 0
            while i < len(words):
                for n in range(min(max_words, len(words) - i), 0, -1):
                    eid = names.get(" ".join(words[i:i + n]))
                    if eid:
                        linked.append(eid)
                        i += n
                        break
                else:
                    i += 1
            out, seen = [], set(linked)
            for eid in linked:
                for nb in list(g.successors(eid)) + list(g.predecessors(eid)):
                    if nb not in seen:
                        seen.add(nb)
                        out.append(NodeWithScore(node=TextNode(id_=nb, text=entity_name.get(nb, nb)), score=1.0))
            return out[: self.k]

    bodies = [json.loads(l) for l in open(args.bodies)]
    library = json.load(open(args.library)) if args.library else {}

    print(f"llama-index-core {llama_index.core.__version__}, networkx {nx.__version__}, Python "
          f"{sys.version.split()[0]}; {len(nodes):,} document and image nodes with Braid's "
          f"{len(rows[0]['vector'])}-dimensional vectors (index built in {build_s:.2f} s); "
          f"{g.number_of_nodes():,} entities, {g.number_of_edges():,} relations in networkx.")
    print()
    print("| class | query | LlamaIndex route | peer hits | peer p50 | peer p99 | Braid p50 | Braid p99 | Braid speed-up (p50) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for b in bodies:
        body = b["body"]
        k = body.get("k", 10)
        graph_r = GraphRetriever(k)
        vector_r = index.as_retriever(similarity_top_k=k)
        tools = [RetrieverTool.from_defaults(retriever=graph_r, name="graph", description=GRAPH_DESCRIPTION),
                 RetrieverTool.from_defaults(retriever=vector_r, name="vector", description=VECTOR_DESCRIPTION)]
        forced = body.get("routes")
        if forced:
            by_name = {"graph": graph_r, "vector": vector_r}

            def call(q, rs=[by_name[r] for r in forced]):
                return [h for r in rs for h in r.retrieve(q)]
            chosen = "+".join(forced) + " (forced)"
        else:
            router = RouterRetriever(selector=EmbeddingSingleSelector.from_defaults(embed_model=embed),
                                     retriever_tools=tools, llm=MockLLM())
            call = router.retrieve
            sel = EmbeddingSingleSelector.from_defaults(embed_model=embed).select(
                [t.metadata for t in tools], body["query"])
            chosen = tools[sel.selections[0].index].metadata.name
        q = body["query"]
        hits = call(q)
        for _ in range(args.warmup):
            call(q)
        times = []
        for _ in range(args.iters):
            t = time.perf_counter()
            call(q)
            times.append((time.perf_counter() - t) * 1e6)
        times.sort()
        p50, p99 = statistics.median(times), percentile(times, 99)
        lib = library.get(b["name"], {})
        bp50, bp99 = lib.get("p50_us"), lib.get("p99_us")
        speed = f"{p50 / bp50:.1f}×" if bp50 else "—"
        fmt = lambda us: f"{us / 1000:.2f} ms" if us is not None else "—"
        print(f"| {b['name']} | {q} | {chosen} | {len(hits)} | {fmt(p50)} | {fmt(p99)} | {fmt(bp50)} | {fmt(bp99)} | {speed} |")


if __name__ == "__main__":
    main()
