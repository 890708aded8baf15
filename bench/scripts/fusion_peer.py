#!/usr/bin/env python3
"""Retrieval quality side by side: Braid's vector route (through a running `braid serve`)
next to independent baselines computed here from the same documents, passages and queries.

Baselines (no Braid code):
  - BM25: title + text, NLTK's Porter stemmer, the English function-word stop list, k1 = 1.2,
    b = 0.75, over the same passages Braid indexes (a passage ranks its document);
  - dense: all-MiniLM-L6-v2 through sentence-transformers (PyTorch) over "title\\npassage";
  - RRF (k = 60) and relative-score fusion of the two, and relative-score + dense
    pseudo-relevance feedback (what Braid's vector route does), depth 100 per side.

Collections: Cranfield (graded qrels, gain 2^(5-grade)-1, all 225 queries) and the
descriptive (`"route": "vector"`) queries of datasets/domains/<name>/{dev,test}.jsonl (gold
documents, gain 1); test sets are reported in aggregate only.

  python bench/scripts/fusion_peer.py --model-dir "$M" --collection cranfield --braid-url http://127.0.0.1:7901
  python bench/scripts/fusion_peer.py --model-dir "$M" --collection debian --split dev --braid-url http://127.0.0.1:7902

Needs numpy, nltk and sentence-transformers (pip); the Braid column needs a server that
ingested the same collection (`braid ingest` of the JSONL the script writes with --write-jsonl).
"""
import argparse, collections, json, math, os, re, sys, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSAGE_WORDS, OVERLAP_WORDS = 180, 40
STOP = set("""a about above after again against ain all am an and any are aren as at be because been before being
below between both but by can couldn d did didn do does doesn doing don down during each few for from further had
hadn has hasn have haven having he her here hers herself him himself his how i if in into is isn it its itself just
ll m ma me mightn more most mustn my myself needn no nor not now o of off on once only or other our ours ourselves
out over own re s same shan she should shouldn so some such t than that the their theirs them themselves then there
these they this those through to too under until up ve very was wasn we were weren what when where which while who
whom why will with won wouldn y you your yours yourself yourselves""".split())


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def sentences(text):
    out, start = [], 0
    for i, c in enumerate(text):
        if c in ".!?" and i + 1 < len(text) and text[i + 1] in " \t\n\r":
            out.append(text[start:i + 1]); start = i + 1
    if start < len(text) and text[start:].strip():
        out.append(text[start:])
    return out


def split(text):
    """Braid's passages (kb/src/passages.rs): whole sentences, 180 words, 40 overlapping."""
    if len(text.split()) <= PASSAGE_WORDS:
        return [text]
    sents = []
    for s in sentences(text):
        w = s.split()
        sents += [w[i:i + PASSAGE_WORDS - OVERLAP_WORDS] for i in range(0, len(w), PASSAGE_WORDS - OVERLAP_WORDS)]
    out, start = [], 0
    while start < len(sents):
        end, count = start, 0
        while end < len(sents) and (end == start or count + len(sents[end]) <= PASSAGE_WORDS):
            count += len(sents[end]); end += 1
        out.append(" ".join(" ".join(s) for s in sents[start:end]))
        if end == len(sents):
            break
        nxt, over = end, 0
        while nxt > start + 1 and over + len(sents[nxt - 1]) <= OVERLAP_WORDS:
            over += len(sents[nxt - 1]); nxt -= 1
        start = nxt
    return out


def load(collection, split_name):
    """(documents, queries): documents as dicts with id/title/text, queries as (text, {doc: gain})."""
    if collection == "cranfield":
        base = os.path.join(ROOT, "examples/data/cranfield")
        docs = [d for d in read_jsonl(f"{base}/docs.jsonl") if (d.get("text") or "").strip()]
        for d in docs:
            d["id"] = f"cran:{d['id']}"
        rel = collections.defaultdict(dict)
        for r in read_jsonl(f"{base}/qrels.jsonl"):
            rel[r["qid"]][f"cran:{r['doc']}"] = 2 ** (5 - r["grade"]) - 1
        queries = [(q["text"], rel[q["qid"]]) for q in read_jsonl(f"{base}/queries.jsonl") if q["qid"] in rel]
        return docs, queries
    base = os.path.join(ROOT, "datasets/domains", collection)
    docs = read_jsonl(f"{base}/documents.jsonl")
    queries = [(q["query"], {g: 1 for g in q["gold"]}) for q in read_jsonl(f"{base}/{split_name}.jsonl")
               if q.get("route") == "vector"]
    return docs, queries


class Bm25:
    def __init__(self, items, stem):
        self.stem, self.cache = stem, {}
        tf = [collections.Counter(self.analyze(t)) for t in items]
        self.dl = [sum(c.values()) for c in tf]
        self.avg = sum(self.dl) / max(len(self.dl), 1)
        self.df = collections.Counter()
        self.inv = collections.defaultdict(list)
        for i, c in enumerate(tf):
            self.df.update(c.keys())
            for w, n in c.items():
                self.inv[w].append((i, n))
        self.n = len(items)

    def analyze(self, text):
        out = []
        for w in re.split(r"[^0-9a-z]+", text.lower()):
            if w and len(w) <= 40 and w not in STOP:
                if w not in self.cache:
                    self.cache[w] = self.stem(w)
                out.append(self.cache[w])
        return out

    def search(self, query, k1=1.2, b=0.75):
        acc = collections.defaultdict(float)
        for w in dict.fromkeys(self.analyze(query)):
            df = self.df.get(w)
            if not df:
                continue
            idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            for i, n in self.inv[w]:
                acc[i] += idf * n * (k1 + 1) / (n + k1 * (1 - b + b * self.dl[i] / self.avg))
        return sorted(acc.items(), key=lambda x: -x[1])


def to_docs(ranking, owner, depth=100):
    seen, out = set(), []
    for i, s in ranking[:depth]:
        d = owner[i]
        if d not in seen:
            seen.add(d); out.append((d, s))
    return out


def fuse(lists, method, weights=(0.5, 0.5), k=60):
    total = collections.defaultdict(float)
    for lst, w in zip(lists, weights):
        if not lst:
            continue
        if method == "rrf":
            scaled = [1 / (k + r + 1) for r in range(len(lst))]
        else:
            lo, hi = min(s for _, s in lst), max(s for _, s in lst)
            scaled = [(s - lo) / (hi - lo) if hi > lo else 1.0 for _, s in lst]
        for (d, _), v in zip(lst, scaled):
            total[d] += w * v
    return sorted(total, key=lambda d: -total[d])


def ndcg10(ranked, rel):
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(rel.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def hit5(ranked, rel):
    return float(any(d in rel for d in ranked[:5]))


def braid_ranking(url, query, k=10, path="/v1/search/vector"):
    body = json.dumps({"query": query, "k": k}).encode()
    req = urllib.request.Request(f"{url}{path}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        hits = json.load(r).get("results", [])
    return [h["id"].split("#")[0] for h in hits]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--collection", default="cranfield")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--braid-url")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write-jsonl", help="write the collection as Braid documents to this file and stop")
    ap.add_argument("--braid-only", action="store_true", help="only the Braid columns (no PyTorch needed)")
    a = ap.parse_args()
    docs, queries = load(a.collection, a.split)
    if a.write_jsonl:
        with open(a.write_jsonl, "w") as f:
            for d in docs:
                f.write(json.dumps({"id": d["id"], "title": d.get("title", ""), "text": d.get("text", "")}) + "\n")
        return
    if a.braid_only:
        rows = collections.defaultdict(list)
        for text, rel in queries:
            for name, path in [("Braid /v1/search/vector", "/v1/search/vector"), ("Braid /v1/query", "/v1/query")]:
                ranked = braid_ranking(a.braid_url, text, path=path)
                rows[name].append((ndcg10(ranked, rel), hit5(ranked, rel)))
        return report(a, docs, None, queries, rows)
    import numpy as np, torch
    from nltk.stem import PorterStemmer
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(a.threads)
    owner, texts = [], []
    for d in docs:
        for p in split(d.get("text") or ""):
            owner.append(d["id"])
            title = d.get("title") or ""
            texts.append(f"{title}\n{p}" if title else p)
    bm25 = Bm25(texts, PorterStemmer().stem)
    model = SentenceTransformer(a.model_dir, device="cpu")
    V = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    Q = model.encode([q for q, _ in queries], batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    by_doc = collections.defaultdict(list)
    for i, d in enumerate(owner):
        by_doc[d].append(i)

    def dense(qv, depth=100):
        sims = V @ qv
        top = np.argsort(-sims)[:depth * 3]
        return to_docs([(int(i), float(sims[i])) for i in top], owner, depth)

    rows = collections.defaultdict(list)
    for (text, rel), qv in zip(queries, Q):
        lex, den = to_docs(bm25.search(text), owner), dense(qv)
        rel_fused = fuse([den, lex], "relative")
        best = [V[by_doc[d][int(np.argmax(V[by_doc[d]] @ qv))]] for d in rel_fused[:5]]
        moved = qv + 0.5 * np.mean(best, axis=0)
        moved /= np.linalg.norm(moved)
        runs = {
            "BM25 (Porter, independent)": [d for d, _ in lex],
            "MiniLM dense (sentence-transformers)": [d for d, _ in den],
            "RRF k=60 of the two": fuse([den, lex], "rrf"),
            "relative-score fusion of the two": rel_fused,
            "relative score + dense feedback": fuse([dense(moved), lex], "relative"),
        }
        if a.braid_url:
            runs["Braid vector route (braid serve, /v1/search/vector)"] = braid_ranking(a.braid_url, text)
            runs["Braid /v1/query (router's choice of routes)"] = braid_ranking(a.braid_url, text, path="/v1/query")
        for name, ranked in runs.items():
            rows[name].append((ndcg10(ranked, rel), hit5(ranked, rel)))
    return report(a, docs, len(texts), queries, rows)


def report(a, docs, passages, queries, rows):
    label = a.collection if a.collection == "cranfield" else f"{a.collection} ({a.split}, descriptive queries)"
    print(f"{label}: {len(docs)} documents, {passages or '-'} passages, {len(queries)} queries, {a.threads} threads")
    print()
    print("| ranking | nDCG@10 | ± 95% CI | hit@5 |")
    print("|---|---:|---:|---:|")
    for name, vals in rows.items():
        n = len(vals)
        m = sum(v for v, _ in vals) / n
        sd = math.sqrt(sum((v - m) ** 2 for v, _ in vals) / max(n - 1, 1))
        print(f"| {name} | {m:.4f} | {1.96 * sd / math.sqrt(n):.4f} | {sum(h for _, h in vals) / n:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
