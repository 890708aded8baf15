"""sentence-transformers (PyTorch, CPU) throughput on the sentences of an embed-bench run.

Called by `cargo run --release -p braid-bench --bin embed-bench -- --python PY`, which
passes the sentences it embeds with candle; writes vectors and timings as JSON so the Rust
side can print both rates next to each other and the cosine between the two models' vectors.

    python st_throughput.py --model DIR --sentences sentences.json --out st.json \
        --batch-sizes 16,32,64 --threads 2
"""

import argparse
import json
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="folder of all-MiniLM-L6-v2")
    ap.add_argument("--sentences", required=True, help="JSON list of sentences")
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch-sizes", default="32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--queries", help="JSON list of queries to embed one at a time (latency)")
    args = ap.parse_args()

    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    with open(args.sentences, encoding="utf-8") as f:
        sentences = json.load(f)
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(sentences[:64], batch_size=32)  # warm-up

    runs = []
    vectors = None
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        best = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = model.encode(sentences, batch_size=batch, convert_to_numpy=True, normalize_embeddings=True)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        vectors = out
        runs.append({"batch_size": batch, "seconds": best, "sentences_per_second": len(sentences) / best})
        print(f"sentence-transformers batch {batch}: {len(sentences) / best:.1f} sentences/s", flush=True)

    latency = {}
    if args.queries:
        with open(args.queries, encoding="utf-8") as f:
            queries = json.load(f)
        times = []
        for q in queries:
            start = time.perf_counter()
            model.encode([q], batch_size=1, convert_to_numpy=True, normalize_embeddings=True)
            times.append(time.perf_counter() - start)
        if times:
            times.sort()
            at = lambda p: times[round((len(times) - 1) * p)] * 1e3
            latency = {"query_p50_ms": at(0.5), "query_p99_ms": at(0.99)}
            print(f"sentence-transformers single query: p50 {at(0.5):.2f} ms, p99 {at(0.99):.2f} ms", flush=True)

    result = {
        **latency,
        "engine": f"sentence-transformers {sentence_transformers.__version__} / torch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "runs": runs,
        "vectors": vectors.tolist(),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    main()
