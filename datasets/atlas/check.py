#!/usr/bin/env python3
"""Check (and with --fill, complete) the atlas compositional questions.

  python3 datasets/atlas/check.py          # exit 1 if a gold, count or answer differs from its program
  python3 datasets/atlas/check.py --fill   # write the computed answer into lines whose gold/count/answer is missing

The programs are in the format of datasets/domains/README.md ("Compositional program format"),
evaluated on examples/data/atlas by the same evaluator as the domains' checker.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "datasets", "domains", "build"))
from check import KB  # noqa: E402


def main():
    fill = "--fill" in sys.argv[1:]
    kb = KB(os.path.join(ROOT, "examples", "data", "atlas"))
    path = os.path.join(HERE, "compositional.jsonl")
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    problems = []
    seen = set()
    for n, q in enumerate(rows, 1):
        key = " ".join(q["query"].lower().split())
        if key in seen:
            problems.append(f"line {n}: duplicate query")
        seen.add(key)
        if q.get("split") not in ("dev", "test"):
            problems.append(f"line {n}: split must be dev or test")
        try:
            got = kb.ev(q["program"])
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"line {n}: cannot evaluate: {e!r}")
            continue
        field = "answer" if isinstance(got, bool) else "count" if isinstance(got, int) else "gold"
        value = sorted(got) if isinstance(got, set) else got
        if field == "gold" and not value:
            problems.append(f"line {n}: the program gives an empty answer")
        if fill and q.get(field) is None:
            q[field] = value
        if q.get(field) != value:
            problems.append(f"line {n}: {field} {q.get(field)!r} but the KB gives {value!r}")
    if fill:
        with open(path, "w", encoding="utf-8") as f:
            for q in rows:
                f.write(json.dumps(q, ensure_ascii=False) + "\n")
    for p in problems:
        print(p)
    print(f"{len(rows)} questions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
