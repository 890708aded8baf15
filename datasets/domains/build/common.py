"""Shared helpers for the domain knowledge-base builders (Python 3.11 standard library only)."""
import json
import os
import re
import sys


def slug(text):
    """Lowercase ASCII-ish slug for ids: keeps letters, digits, '.', '+', '-' and '_'."""
    s = re.sub(r"[^0-9A-Za-z.+_-]+", "-", text.strip().lower())
    return s.strip("-") or "x"


def dump_jsonl(path, rows, key):
    """Write rows as JSON Lines sorted by key, with stable key order inside each object."""
    rows = sorted(rows, key=key)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")
    return len(rows)


def write_kb(out, entities, relations, documents, schema, images=None):
    """Validate endpoints and write the four (or five) files of a knowledge base."""
    os.makedirs(out, exist_ok=True)
    ids = {e["id"] for e in entities}
    if len(ids) != len(entities):
        seen = set()
        dup = [e["id"] for e in entities if e["id"] in seen or seen.add(e["id"])]
        raise SystemExit(f"duplicate entity ids: {dup[:10]}")
    # dedupe relations
    seen = set()
    rels = []
    for r in relations:
        k = (r["source"], r["relation"], r["target"])
        if k in seen:
            continue
        seen.add(k)
        for end in (r["source"], r["target"]):
            if end not in ids:
                raise SystemExit(f"relation endpoint {end!r} is not an entity: {r}")
        r.setdefault("props", {})
        rels.append(r)
    for d in documents:
        for e in d["entities"]:
            if e not in ids:
                raise SystemExit(f"document {d['id']} names unknown entity {e}")
    n_e = dump_jsonl(os.path.join(out, "entities.jsonl"), entities, key=lambda e: e["id"])
    n_r = dump_jsonl(os.path.join(out, "relations.jsonl"), rels,
                     key=lambda r: (r["source"], r["relation"], r["target"]))
    n_d = dump_jsonl(os.path.join(out, "documents.jsonl"), documents, key=lambda d: d["id"])
    with open(os.path.join(out, "schema.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for s in schema:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    print(f"{out}: {n_e} entities, {n_r} relations, {n_d} documents, {len(schema)} schema records")


def entity(id, name, type, description="", aliases=(), props=None):
    al = sorted({a for a in aliases if a and a != name})
    return {"id": id, "name": name, "type": type, "aliases": al,
            "description": description, "props": props or {}}


def rel(source, relation, target, props=None):
    return {"source": source, "relation": relation, "target": target, "props": props or {}}


def doc(id, title, text, entities, source, license):
    return {"id": id, "title": title, "text": text, "entities": sorted(set(entities)),
            "source": source, "license": license}


def out_dir(default_name):
    if len(sys.argv) > 1:
        return sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), default_name)
