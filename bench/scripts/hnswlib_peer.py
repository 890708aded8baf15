#!/usr/bin/env python3
"""hnswlib peer for `ann-bench` (bench/src/bin/ann_bench.rs).

Reads the files the Rust benchmark writes (meta.json, base.f32, queries.f32, gt.u32 in
--dir), builds an hnswlib index with the same M / ef_construction, then times single-
threaded queries (one knn_query call per query, as Braid serves them) at each --ef.
Prints one JSON line: build rate, and per ef: QPS, p50/p99 latency (µs), recall@k.

    target/ci-venv/bin/python bench/scripts/hnswlib_peer.py --dir target/bench-data/ann \
        --m 16 --ef-construction 128 --ef 64,128,256 --build-threads 2
"""

import argparse
import importlib.metadata
import json
import os
import sys
import time

import hnswlib
import numpy as np


def rss_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=128)
    p.add_argument("--ef", default="64")
    p.add_argument("--build-threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=100)
    a = p.parse_args()

    with open(os.path.join(a.dir, "meta.json")) as f:
        meta = json.load(f)
    n, dim, nq, k = meta["n"], meta["dim"], meta["queries"], meta["k"]
    data = np.fromfile(os.path.join(a.dir, "base.f32"), dtype="<f4")
    queries = np.fromfile(os.path.join(a.dir, "queries.f32"), dtype="<f4")
    gt = np.fromfile(os.path.join(a.dir, "gt.u32"), dtype="<u4")
    if data.size != n * dim or queries.size != nq * dim or gt.size != nq * k:
        sys.exit(f"file sizes do not match meta.json {meta}")
    data = data.reshape(n, dim)
    queries = queries.reshape(nq, dim)
    gt = gt.reshape(nq, k)
    truth = [set(int(x) for x in row if x != 0xFFFFFFFF) for row in gt]

    rss_before = rss_bytes()
    index = hnswlib.Index(space="cosine", dim=dim)
    index.init_index(max_elements=n, ef_construction=a.ef_construction, M=a.m)
    index.set_num_threads(a.build_threads)
    started = time.perf_counter()
    index.add_items(data, np.arange(n), num_threads=a.build_threads)
    build_seconds = time.perf_counter() - started
    rss_growth = rss_bytes() - rss_before
    print(f"hnswlib built {n} in {build_seconds:.1f}s", file=sys.stderr)

    index.set_num_threads(1)
    rows = []
    for ef in [int(x) for x in a.ef.split(",") if x]:
        index.set_ef(ef)
        for q in queries[: a.warmup]:
            index.knn_query(q, k=k, num_threads=1)
        latencies = []
        found = []
        wall = time.perf_counter()
        for q in queries:
            t = time.perf_counter()
            labels, _ = index.knn_query(q, k=k, num_threads=1)
            latencies.append((time.perf_counter() - t) * 1e6)
            found.append(labels[0])
        wall = time.perf_counter() - wall
        latencies.sort()
        pct = lambda p: latencies[round((len(latencies) - 1) * p)]
        recall = sum(len(t & set(int(x) for x in f[:k])) / len(t) if t else 1.0 for f, t in zip(found, truth)) / nq
        rows.append({"ef": ef, "qps": nq / wall, "p50_us": pct(0.5), "p99_us": pct(0.99), "recall": recall})
        print(f"hnswlib ef={ef}: {rows[-1]}", file=sys.stderr)

    print(json.dumps({
        "version": importlib.metadata.version("hnswlib"),
        "build_seconds": build_seconds,
        "build_rate": n / build_seconds,
        "rss_bytes_per_vector": rss_growth / n,
        "rows": rows,
    }))


if __name__ == "__main__":
    main()
