#!/usr/bin/env python3
"""Soak driver of bench/soak.sh (standard library only): a steady open-loop rate of mixed
reads and writes against a running Braid, with the server's resident set sampled from
/proc/PID/status every 10 s. Prints Markdown: one row per minute and a summary.

    soak.py --url http://127.0.0.1:PORT --pid PID [--seconds 600] [--qps 40] [--write-share 0.2]
            [--workers 8] [--warmup 120] [--json OUT]

Reads are POST /v1/query over a rotation of graph-, vector- and multi-route questions
(k = 10). Writes are POST /v1/documents upserting one document whose id is drawn from a
fixed pool of 500 (`doc:soak:N`) with fresh random text, so the data set stays the same
size and memory should be flat once every id has been written. Requests are scheduled at
fixed instants (open loop); a worker pool of --workers threads sends them; a request that
starts late counts its lateness in its latency.
"""
import argparse
import http.client
import json
import queue
import random
import threading
import time
import urllib.parse

QUERIES = [
    ("Which countries border France?", None),
    ("pictures of musical instruments", None),
    ("capital of Japan", None),
    ("photos of animals that live in Australia", None),
    ("what language is spoken in Brazil", None),
    ("flags with a red circle", None),
    ("flags of the countries that border Germany", ["graph", "vector"]),
    ("how is Spain connected to Portugal", None),
]
WORDS = ("river mountain violin koala flag harbour museum cathedral desert forest island bridge "
         "festival railway glacier volcano market lighthouse orchestra canal").split()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(sorted_values, p):
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * p // 100)))
    return sorted_values[int(rank) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--qps", type=float, default=40)
    ap.add_argument("--write-share", type=float, default=0.2)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=120)
    ap.add_argument("--json")
    args = ap.parse_args()
    u = urllib.parse.urlparse(args.url)

    lock = threading.Lock()
    results = []  # (minute, kind, status, latency_ms)
    jobs = queue.Queue()
    start = time.monotonic()
    rng = random.Random(7)

    def worker():
        conn = None
        while True:
            job = jobs.get()
            if job is None:
                return
            due, kind, path, body = job
            status = -1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except Exception:
                status = -1
                if conn is not None:
                    conn.close()
                conn = None
            done = time.monotonic()
            with lock:
                results.append((int((due - start) // 60), kind, status, (done - due) * 1000))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.workers)]
    for t in threads:
        t.start()

    rss = []  # (seconds, KiB)
    next_sample = start
    interval = 1.0 / args.qps
    n = 0
    while True:
        now = time.monotonic()
        if now - start >= args.seconds:
            break
        if now >= next_sample:
            rss.append((now - start, rss_kib(args.pid)))
            next_sample += 10
        due = start + n * interval
        if due > now:
            time.sleep(min(due, next_sample) - now)
            continue
        if rng.random() < args.write_share:
            doc_id = f"doc:soak:{rng.randrange(500)}"
            text = " ".join(rng.choice(WORDS) for _ in range(30))
            body = json.dumps({"id": doc_id, "title": f"soak {doc_id}", "text": text})
            jobs.put((due, "write", "/v1/documents", body))
        else:
            q, routes = QUERIES[n % len(QUERIES)]
            body = {"query": q, "k": 10}
            if routes:
                body["routes"] = routes
            jobs.put((due, "read", "/v1/query", json.dumps(body)))
        n += 1
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(timeout=60)
    rss.append((time.monotonic() - start, rss_kib(args.pid)))

    minutes = sorted({r[0] for r in results})
    print(f"Schedule: {args.qps:g} requests/s for {args.seconds} s ({n:,} scheduled), "
          f"{args.write_share:.0%} writes, {args.workers} client connections.")
    print()
    print("| minute | reads | writes | 2xx | 4xx | 5xx | socket errors | read p50 | read p99 | write p50 | write p99 | RSS at end of minute |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in minutes:
        rs = [r for r in results if r[0] == m]
        reads = sorted(r[3] for r in rs if r[1] == "read")
        writes = sorted(r[3] for r in rs if r[1] == "write")
        c2 = sum(1 for r in rs if 200 <= r[2] < 300)
        c4 = sum(1 for r in rs if 400 <= r[2] < 500)
        c5 = sum(1 for r in rs if r[2] >= 500)
        ce = sum(1 for r in rs if r[2] < 0)
        mrss = [k for s, k in rss if s <= (m + 1) * 60]
        print(f"| {m + 1} | {len(reads)} | {len(writes)} | {c2} | {c4} | {c5} | {ce} | {pct(reads, 50):.1f} ms | "
              f"{pct(reads, 99):.1f} ms | {pct(writes, 50):.1f} ms | {pct(writes, 99):.1f} ms | "
              f"{(mrss[-1] if mrss else 0) / 1024:.0f} MiB |")
    after = [k for s, k in rss if s >= args.warmup]
    total5 = sum(1 for r in results if r[2] >= 500)
    totalerr = sum(1 for r in results if r[2] < 0 or r[2] >= 400)
    summary = {
        "requests": len(results), "5xx": total5, "errors": totalerr,
        "rss_first_after_warmup_mib": after[0] / 1024 if after else None,
        "rss_last_mib": after[-1] / 1024 if after else None,
        "rss_min_after_warmup_mib": min(after) / 1024 if after else None,
        "rss_max_after_warmup_mib": max(after) / 1024 if after else None,
        "rss_samples": [(round(s), k) for s, k in rss],
    }
    if after:
        summary["drift_pct"] = (after[-1] - after[0]) / after[0] * 100
        summary["spread_pct"] = (max(after) - min(after)) / min(after) * 100
    print()
    print(f"Summary: {len(results):,} requests answered, {total5} with 5xx, {totalerr} errors of any kind "
          f"(4xx, 5xx, socket). Resident set after the {args.warmup} s warm-up: first "
          f"{summary['rss_first_after_warmup_mib']:.0f} MiB, last {summary['rss_last_mib']:.0f} MiB, "
          f"min {summary['rss_min_after_warmup_mib']:.0f} MiB, max {summary['rss_max_after_warmup_mib']:.0f} MiB; "
          f"drift first→last {summary['drift_pct']:+.1f} %, spread (max − min)/min {summary['spread_pct']:.1f} % "
          f"(target: within 10 %).")
    print()
    print("RSS samples (s: MiB): " + ", ".join(f"{s}: {k / 1024:.0f}" for s, k in summary["rss_samples"]))
    if args.json:
        json.dump(summary, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
