#!/usr/bin/env python3
"""Validate the domain knowledge bases and their query sets.

  python3 datasets/domains/build/check.py            # check every domain; exit 1 on any problem
  python3 datasets/domains/build/check.py --fill     # also write computed golds into lines whose gold is null
  python3 datasets/domains/build/check.py tz debian  # only these domains

Checks: KB files parse; ids unique; every relation endpoint and document entity exists; schema
records name the relation/entity types used.  Query files (dev.jsonl, test.jsonl,
compositional.jsonl): JSON shape, route/also values, style/class present, every gold id exists
(entity or document), and where a line carries `seeds`+`path`, `connect` or `program` the gold
(and `count`/`answer`) must equal what the KB gives.  See ../README.md for the formats.
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ROUTES = {"graph", "vector", "web"}
QUERY_FILES = ("dev.jsonl", "test.jsonl", "compositional.jsonl")


class KB:
    def __init__(self, d):
        self.dir = d
        self.ent = {}
        self.docs = {}
        self.out = collections.defaultdict(lambda: collections.defaultdict(set))
        self.inn = collections.defaultdict(lambda: collections.defaultdict(set))
        self.rel_types = collections.Counter()
        self.problems = []
        for line in open(os.path.join(d, "entities.jsonl"), encoding="utf-8"):
            e = json.loads(line)
            for k in ("id", "name", "type"):
                if not isinstance(e.get(k), str) or not e[k]:
                    self.problems.append(f"entity without {k}: {line[:80]}")
            if e["id"] in self.ent:
                self.problems.append(f"duplicate entity {e['id']}")
            self.ent[e["id"]] = e
        for line in open(os.path.join(d, "relations.jsonl"), encoding="utf-8"):
            r = json.loads(line)
            s, rt, t = r["source"], r["relation"], r["target"]
            if s not in self.ent or t not in self.ent:
                self.problems.append(f"dangling relation {s} {rt} {t}")
            self.out[s][rt].add(t)
            self.inn[t][rt].add(s)
            self.rel_types[rt] += 1
        for line in open(os.path.join(d, "documents.jsonl"), encoding="utf-8"):
            doc = json.loads(line)
            if doc["id"] in self.docs or doc["id"] in self.ent:
                self.problems.append(f"duplicate document id {doc['id']}")
            self.docs[doc["id"]] = doc
            for e in doc.get("entities", []):
                if e not in self.ent:
                    self.problems.append(f"document {doc['id']} names unknown entity {e}")
        sp = os.path.join(d, "schema.jsonl")
        if os.path.exists(sp):
            rts, ets = set(), set()
            for line in open(sp, encoding="utf-8"):
                s = json.loads(line)
                if "relation_type" in s:
                    rts.add(s["relation_type"])
                    for k in ("label", "inverse", "aliases"):
                        if k not in s:
                            self.problems.append(f"schema record for {s['relation_type']} lacks {k}")
                elif "entity_type" in s:
                    ets.add(s["entity_type"])
                    for k in ("label", "plural", "aliases"):
                        if k not in s:
                            self.problems.append(f"schema record for {s['entity_type']} lacks {k}")
                else:
                    self.problems.append(f"schema record of unknown kind: {line[:80]}")
            for rt in self.rel_types:
                if rt not in rts:
                    self.problems.append(f"relation type {rt} has no schema record")
            for et in {e["type"] for e in self.ent.values()}:
                if et not in ets:
                    self.problems.append(f"entity type {et} has no schema record")

    # ---- evaluation helpers -------------------------------------------------------------
    def step(self, ids, relation, direction, transitive=False):
        idx = self.out if direction == "out" else self.inn
        rels = relation if isinstance(relation, list) else [relation]
        res, frontier = set(), set(ids)
        while frontier:
            nxt = set()
            for i in frontier:
                for r in rels:
                    nxt |= idx[i][r] if r in idx[i] else set()
            nxt -= res
            res |= nxt
            if not transitive:
                break
            frontier = nxt
        return res

    def follow_path(self, seeds, path):
        cur = set(seeds)
        for st in path:
            if st.get("direction") not in ("out", "in"):
                raise ValueError(f"bad direction in {st}")
            cur = self.step(cur, st["relation"], st["direction"], st.get("transitive", False))
            if "type" in st:
                types = st["type"] if isinstance(st["type"], list) else [st["type"]]
                cur = {i for i in cur if self.ent[i]["type"] in types}
        return cur

    def neighbours(self, i):
        for rt, ts in self.out[i].items():
            for t in ts:
                yield t
        for rt, ss in self.inn[i].items():
            for s in ss:
                yield s

    def shortest(self, a, b, limit=6):
        """Distance between a and b ignoring direction (None if farther than limit)."""
        if a == b:
            return 0
        seen = {a}
        frontier = [a]
        for d in range(1, limit + 1):
            nxt = []
            for x in frontier:
                for y in self.neighbours(x):
                    if y == b:
                        return d
                    if y not in seen:
                        seen.add(y)
                        nxt.append(y)
            frontier = nxt
        return None

    def path_between(self, a, b, limit=6):
        """One shortest undirected path a..b (BFS over sorted neighbours, so deterministic)."""
        prev = {a: None}
        frontier = [a]
        for _ in range(limit):
            nxt = []
            for x in frontier:
                for y in sorted(set(self.neighbours(x))):
                    if y not in prev:
                        prev[y] = x
                        if y == b:
                            chain = [b]
                            while prev[chain[-1]] is not None:
                                chain.append(prev[chain[-1]])
                            return chain[::-1]
                        nxt.append(y)
            frontier = nxt
        return None

    def linked(self, a, b):
        return b in set(self.neighbours(a))

    # ---- tiny program language (see README) --------------------------------------------
    def ev(self, p):
        if not isinstance(p, dict):
            raise ValueError(f"bad program node {p!r}")
        op = next(iter(p))
        if op == "seeds":
            for i in p["seeds"]:
                if i not in self.ent:
                    raise ValueError(f"unknown seed {i}")
            return set(p["seeds"])
        if op == "all":
            types = p["all"] if isinstance(p["all"], list) else [p["all"]]
            return {i for i, e in self.ent.items() if e["type"] in types}
        if op == "follow":
            src = self.ev(p["from"])
            res = self.step(src, p["follow"], p.get("dir", "out"), p.get("transitive", False))
            if "type" in p:
                types = p["type"] if isinstance(p["type"], list) else [p["type"]]
                res = {i for i in res if self.ent[i]["type"] in types}
            return res
        if op == "and":
            sets = [self.ev(x) for x in p["and"]]
            return set.intersection(*sets)
        if op == "or":
            return set.union(*[self.ev(x) for x in p["or"]])
        if op == "minus":
            a, *rest = [self.ev(x) for x in p["minus"]]
            for r in rest:
                a -= r
            return a
        if op == "where":
            src = self.ev(p["where"])
            return {i for i in src if self.test(i, p)}
        if op == "count":
            return len(self.ev(p["count"]))
        if op in ("argmax", "argmin"):
            src = self.ev(p[op])
            scored = [(self.score(i, p), i) for i in src]
            scored = [(s, i) for s, i in scored if s is not None]
            if not scored:
                return set()
            best = max(s for s, _ in scored) if op == "argmax" else min(s for s, _ in scored)
            return {i for s, i in scored if s == best}
        if op == "top":
            src = self.ev(p["top"])
            scored = sorted(((self.score(i, p), i) for i in src if self.score(i, p) is not None),
                            key=lambda si: (-si[0] if p.get("order", "desc") == "desc" else si[0], si[1]))
            k = p["k"]
            if len(scored) > k and scored[k - 1][0] == scored[k][0]:
                raise ValueError("tie at the top-k boundary; choose another k")
            return {i for _, i in scored[:k]}
        if op == "exists":
            return bool(self.ev(p["exists"]))
        if op == "compare":
            a, b = (self.value(x) for x in p["compare"])
            return {">": a > b, "<": a < b, "=": a == b, ">=": a >= b, "<=": a <= b, "!=": a != b}[p["op"]]
        if op == "value":
            return self.value(p)
        raise ValueError(f"unknown op {op}")

    def value(self, p):
        if "value" in p and isinstance(p["value"], dict) and ("prop" in p or "degree" in p):
            src = self.ev(p["value"])
            if len(src) != 1:
                raise ValueError(f"value of a set of {len(src)} entities")
            return self.score(next(iter(src)), p)
        if "count" in p:
            return self.ev(p)
        raise ValueError(f"bad value node {p}")

    def score(self, i, p):
        if "degree" in p:
            idx = self.out if p.get("dir", "out") == "out" else self.inn
            rels = p["degree"] if isinstance(p["degree"], list) else [p["degree"]]
            return sum(len(idx[i].get(r, ())) for r in rels)
        v = self.ent[i]["props"].get(p["prop"])
        return v

    def test(self, i, p):
        if "degree" in p:
            v = self.score(i, p)
        else:
            v = self.ent[i]["props"].get(p["prop"])
        want = p.get("value")
        o = p.get("op", "=")
        if o == "exists":
            return v is not None
        if v is None:
            return False
        try:
            return {"=": lambda: v == want, "!=": lambda: v != want, ">": lambda: v > want, ">=": lambda: v >= want,
                    "<": lambda: v < want, "<=": lambda: v <= want, "in": lambda: v in want,
                    "contains": lambda: str(want).lower() in str(v).lower(),
                    "startswith": lambda: str(v).startswith(str(want))}[o]()
        except TypeError:
            return False


def check_queries(kb, path, fill, problems, stats):
    name = os.path.relpath(path, ROOT)
    lines = open(path, encoding="utf-8").read().split("\n")
    changed = False
    seen_q = {}
    out_lines = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            out_lines.append(line)
            continue
        where = f"{name}:{n}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not JSON ({e})")
            out_lines.append(line)
            continue
        for k in ("query", "route", "why", "style", "class"):
            if not isinstance(q.get(k), str) or not q[k].strip():
                problems.append(f"{where}: missing {k}")
        if q.get("route") not in ROUTES:
            problems.append(f"{where}: bad route {q.get('route')}")
        also = q.get("also", [])
        if not isinstance(also, list) or any(a not in ROUTES or a == q.get("route") for a in also):
            problems.append(f"{where}: bad also {also}")
        if name.endswith("compositional.jsonl") and q.get("split") not in ("dev", "test"):
            problems.append(f"{where}: compositional line without split dev|test")
        key = " ".join(q.get("query", "").lower().split())
        if key in seen_q:
            problems.append(f"{where}: same query as line {seen_q[key]}")
        seen_q[key] = n
        stats[(name, q.get("route"), q.get("class"), q.get("style"))] += 1
        computed = None
        try:
            if "program" in q:
                computed = kb.ev(q["program"])
            elif "seeds" in q or "path" in q:
                for s in q.get("seeds", []):
                    if s not in kb.ent:
                        raise ValueError(f"unknown seed {s}")
                computed = kb.follow_path(q["seeds"], q["path"])
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"{where}: cannot evaluate: {e!r}")
        if isinstance(computed, bool):
            if fill and q.get("answer") is None:
                q["answer"] = computed; changed = True
            if q.get("answer") is not computed:
                problems.append(f"{where}: answer {q.get('answer')} but the KB gives {computed}")
        elif isinstance(computed, int):
            if fill and q.get("count") is None:
                q["count"] = computed; changed = True
            if q.get("count") != computed:
                problems.append(f"{where}: count {q.get('count')} but the KB gives {computed}")
        elif isinstance(computed, set):
            if fill and q.get("gold") is None:
                q["gold"] = sorted(computed); changed = True
            if "count" in q and q["count"] != len(computed):
                problems.append(f"{where}: count {q['count']} but the KB gives {len(computed)}")
            gold = q.get("gold")
            if gold is None or set(gold) != computed:
                missing = sorted(computed - set(gold or []))[:5]
                extra = sorted(set(gold or []) - computed)[:5]
                problems.append(f"{where}: gold differs from the KB (missing {missing}, extra {extra}, KB has {len(computed)})")
            if not computed:
                problems.append(f"{where}: the annotated path gives an empty answer")
        gold = q.get("gold", [])
        if gold is None:
            gold = []
            if not fill:
                problems.append(f"{where}: gold is null")
        if not isinstance(gold, list):
            problems.append(f"{where}: gold is not a list")
            gold = []
        for g in gold:
            if g not in kb.ent and g not in kb.docs:
                problems.append(f"{where}: gold id {g} is neither an entity nor a document")
        if q.get("route") == "graph" and not gold and "answer" not in q and "count" not in q:
            problems.append(f"{where}: graph line without gold")
        if q.get("route") == "vector" and not gold:
            problems.append(f"{where}: vector line without gold")
        if "connect" in q:
            a, b = q["connect"]
            if fill and q.get("gold") is None and a in kb.ent and b in kb.ent:
                q["gold"] = kb.path_between(a, b)
                changed = True
            d = kb.shortest(a, b)
            if d is None:
                problems.append(f"{where}: {a} and {b} are not connected within 6 steps")
            else:
                chain = q.get("gold", [])
                if chain[:1] != [a] or chain[-1:] != [b] or len(chain) != d + 1 or \
                        any(not kb.linked(x, y) for x, y in zip(chain, chain[1:])):
                    problems.append(f"{where}: gold is not a shortest path from {a} to {b} (distance {d})")
        if "seeds" in q and "path" not in q and "program" not in q:
            problems.append(f"{where}: seeds without path")
        out_lines.append(json.dumps(q, ensure_ascii=False) if changed else line)
    if fill and changed:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out_lines).rstrip("\n") + "\n")


def print_stats(stats):
    """Markdown tables: queries per file by route, class and style."""
    files = sorted({k[0] for k in stats})
    for dim, idx in (("route", 1), ("class", 2), ("style", 3)):
        keys = sorted({k[idx] or "-" for k in stats})
        print(f"\n| file | " + " | ".join(keys) + " | total |")
        print("|---" * (len(keys) + 2) + "|")
        for f in files:
            row = [sum(v for k, v in stats.items() if k[0] == f and (k[idx] or "-") == key) for key in keys]
            print(f"| {f} | " + " | ".join(str(x) for x in row) + f" | {sum(row)} |")


def main():
    args = sys.argv[1:]
    fill = "--fill" in args
    names = [a for a in args if not a.startswith("--")]
    domains = names or sorted(d for d in os.listdir(ROOT)
                              if os.path.isfile(os.path.join(ROOT, d, "entities.jsonl")))
    problems = []
    warnings = []
    stats = collections.Counter()
    for d in domains:
        kb = KB(os.path.join(ROOT, d))
        problems += [f"{d}: {p}" for p in kb.problems]
        print(f"{d}: {len(kb.ent)} entities, {sum(kb.rel_types.values())} relations ({len(kb.rel_types)} types), {len(kb.docs)} documents")
        seen_all = {}
        for f in QUERY_FILES:
            p = os.path.join(ROOT, d, f)
            if not os.path.exists(p):
                continue
            for n, line in enumerate(open(p, encoding="utf-8"), 1):
                if not line.strip():
                    continue
                try:
                    words = tuple(re.findall(r"[a-z0-9_.+:/@-]+", json.loads(line)["query"].lower()))
                except (json.JSONDecodeError, KeyError):
                    continue
                for (g, m), other in seen_all.items():
                    if words == other and g == f:
                        continue  # reported by the per-file check
                    if words == other:
                        problems.append(f"{d}/{f}:{n}: same query as {d}/{g}:{m}")
                    elif len(words) > 3 and len(set(words) & set(other)) / len(set(words) | set(other)) > 0.85:
                        warnings.append(f"{d}/{f}:{n} looks like {d}/{g}:{m}")
                seen_all[(f, n)] = words
        for f in QUERY_FILES:
            p = os.path.join(ROOT, d, f)
            if os.path.exists(p):
                before = len(problems)
                check_queries(kb, p, fill, problems, stats)
                n = sum(v for k, v in stats.items() if k[0] == os.path.relpath(p, ROOT))
                print(f"  {f}: {n} queries, {len(problems) - before} problems")
    for p in problems:
        print("PROBLEM", p)
    for w in warnings:
        print("WARNING near-duplicate:", w)
    print(f"{len(problems)} problems, {len(warnings)} near-duplicate warnings")
    if "--stats" in args:
        print_stats(stats)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
