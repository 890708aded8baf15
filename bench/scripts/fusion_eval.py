#!/usr/bin/env python3
"""Does fusion help or dilute? Each query through the graph route alone, the vector route
alone, and the router's own choice (routed and fused), on two sets:

- atlas relational questions generated from the atlas relations themselves (borders, capital,
  currency, official language, is_a): the entities the relation names are relevant (gain 2),
  and so are the documents and images about them (gain 1);
- Cranfield (if --cranfield-url is given): the 225 queries with graded judgements.

    python3 bench/scripts/fusion_eval.py --url http://127.0.0.1:7878 [--cranfield-url URL]

Prints a Markdown table (hit@1, hit@5, nDCG@10, mean results) per set and route choice.
Only the standard library; talks to Braid's REST API (docs/API.md).
"""

import argparse
import json
import math
import os
import random
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def ndcg(ranked, gains, k=10):
    dcg = sum((2 ** gains.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def items_about(atlas):
    """Entity id -> ids of the documents and images linked to it."""
    about = {}
    for d in read_jsonl(os.path.join(atlas, "documents.jsonl")):
        for e in d.get("entities", []):
            about.setdefault(e, set()).add(d["id"])
    for i in read_jsonl(os.path.join(atlas, "images.jsonl")):
        for e in i.get("depicts", []):
            about.setdefault(e, set()).add(i["id"])
    return about


def atlas_questions(atlas, per_kind, seed):
    ents = {e["id"]: e for e in read_jsonl(os.path.join(atlas, "entities.jsonl"))}
    rels = read_jsonl(os.path.join(atlas, "relations.jsonl"))
    out = {}
    def add(kind, text, target):
        out.setdefault((kind, text), set()).add(target)
    for r in rels:
        s, t, rel = ents.get(r["source"]), ents.get(r["target"]), r["relation"]
        if not s or not t:
            continue
        if rel == "borders":
            add("borders", f"Which countries border {s['name']}?", t["id"])
            add("borders", f"Which countries border {t['name']}?", s["id"])
        elif rel == "capital":
            add("capital", f"What is the capital of {s['name']}?", t["id"])
        elif rel == "uses_currency":
            add("currency", f"What currency does {s['name']} use?", t["id"])
        elif rel == "official_language":
            add("language", f"What languages are spoken in {s['name']}?", t["id"])
        elif rel == "is_a" and s["id"].startswith("concept:"):
            add("is_a", f"What is a {s['name']} a kind of?", t["id"])
    # A document or image about an answer is a good result too (gain 1; the entity itself 2).
    about = items_about(atlas)
    rng = random.Random(seed)
    picked = []
    for kind in ["borders", "capital", "currency", "language", "is_a"]:
        qs = sorted((text, targets) for (k, text), targets in out.items() if k == kind)
        rng.shuffle(qs)
        for text, targets in qs[:per_kind]:
            gains = {item: 1 for t in targets for item in about.get(t, ())}
            gains.update({t: 2 for t in targets})
            picked.append((kind, text, gains))
    return picked


def atlas_topics(atlas, n, seed):
    """ "Tell me about X" for entities that documents or images are about: the entity (gain 2)
    and everything about it (gain 1) are relevant, so both routes can contribute."""
    ents = {e["id"]: e for e in read_jsonl(os.path.join(atlas, "entities.jsonl"))}
    about = items_about(atlas)
    ids = sorted(e for e in about if e in ents)
    random.Random(seed).shuffle(ids)
    out = []
    for e in ids[:n]:
        gains = {item: 1 for item in about[e]}
        gains[e] = 2
        out.append(("topic", f"Tell me about {ents[e]['name']}", gains))
    return out


def cranfield_questions(cran):
    qrels = {}
    for q in read_jsonl(os.path.join(cran, "qrels.jsonl")):
        qrels.setdefault(q["qid"], {})[f"cran:{q['doc']}"] = 5 - q["grade"]
    return [("cranfield", q["text"], qrels[q["qid"]]) for q in read_jsonl(os.path.join(cran, "queries.jsonl"))
            if q["qid"] in qrels]


ROUTE_CHOICES = {
    "graph only": ["graph"],
    "vector only": ["vector"],
    "graph + vector, fused": ["graph", "vector"],
    "router's choice, fused": None,
}


def evaluate(url, questions, k, choices=tuple(ROUTE_CHOICES)):
    """(hit@1, hit@5, nDCG@10, results per query) per route choice named in `choices`."""
    rows = {}
    for name in choices:
        routes = ROUTE_CHOICES[name]
        h1 = h5 = nd = n_results = 0.0
        for _, text, gains in questions:
            body = {"query": text, "k": k}
            if routes:
                body["routes"] = routes
            ranked = [h["id"] for h in post(url, "/v1/query", body)["results"]]
            h1 += any(d in gains for d in ranked[:1])
            h5 += any(d in gains for d in ranked[:5])
            # hit@k counts any relevant result; nDCG weighs the answer entities above items about them.
            nd += ndcg(ranked, gains)
            n_results += len(ranked)
        n = len(questions)
        rows[name] = (h1 / n, h5 / n, nd / n, n_results / n)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="a Braid serving the demo atlas")
    ap.add_argument("--cranfield-url", help="a Braid serving the Cranfield documents (ids cran:N)")
    ap.add_argument("--atlas", default=os.path.join(ROOT, "examples/data/atlas"))
    ap.add_argument("--cranfield", default=os.path.join(ROOT, "examples/data/cranfield"))
    ap.add_argument("--per-kind", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    sets = [
        ("atlas relational questions", args.url, atlas_questions(args.atlas, args.per_kind, args.seed)),
        ("atlas \"tell me about X\"", args.url, atlas_topics(args.atlas, 100, args.seed)),
    ]
    if args.cranfield_url:
        sets.append(("Cranfield (225 queries, graded)", args.cranfield_url, cranfield_questions(args.cranfield)))
    print("| set | queries | route choice | hit@1 | hit@5 | nDCG@10 | results per query |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for label, url, qs in sets:
        for name, (h1, h5, nd, nr) in evaluate(url, qs, 10).items():
            print(f"| {label} | {len(qs)} | {name} | {h1:.3f} | {h5:.3f} | {nd:.3f} | {nr:.1f} |")
    kinds = sorted({k for k, _, _ in sets[0][2]})
    print()
    print("Atlas questions per kind: " + ", ".join(f"{k} {sum(1 for q in sets[0][2] if q[0] == k)}" for k in kinds) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
