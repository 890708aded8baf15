#!/usr/bin/env python3
"""Converts examples/data/cranfield/docs.jsonl into Braid documents for `braid ingest`.

    python3 make_cranfield_jsonl.py OUT.jsonl [DOCS.jsonl]

Each line becomes {"id": "cran:<id>", "title": ..., "text": ..., "source": "cranfield"}.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DOCS = HERE.parent / "data" / "cranfield" / "docs.jsonl"


def convert(src: Path, dst: Path) -> int:
    n = 0
    with src.open(encoding="utf-8") as fin, dst.open("w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            doc = json.loads(line)
            title = doc.get("title") or f"Cranfield {doc['id']}"
            text = doc.get("text") or title  # two abstracts are empty: keep the title as text
            out = {"id": f"cran:{doc['id']}", "title": title, "text": text, "source": "cranfield"}
            fout.write(json.dumps(out, ensure_ascii=False) + "\n")
            n += 1
    return n


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DOCS
    print(f"{convert(src, Path(sys.argv[1]))} documents written to {sys.argv[1]}")
