#!/usr/bin/env python3
"""Convert the WordNet 3.0 database files (Debian package `wordnet-base`) to Braid JSONL.

    wordnet.py <dict dir containing data.noun ...> <out dir>

Writes <out>/entities.jsonl (one entity per synset: id `wn:<offset>-<pos>`, name = first
lemma, aliases = the other lemmas, type = noun/verb/adj/adj_satellite/adv, description =
gloss) and <out>/relations.jsonl (one relation per pointer, named after its symbol), and
prints the counts as JSON. Format: wndb(5WN) — `synset_offset lex_filenum ss_type w_cnt
word lex_id [word lex_id...] p_cnt [ptr...] [frames...] | gloss`.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

FILES = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
KIND = {"n": "noun", "v": "verb", "a": "adj", "s": "adj_satellite", "r": "adv"}
# Pointer symbol -> relation name, read as `source <name> target` (wninput(5WN)).
POINTERS = {
    "!": "antonym",
    "@": "is_a",
    "@i": "instance_of",
    "~": "hyponym",
    "~i": "instance_hyponym",
    "#m": "member_of",
    "#s": "substance_of",
    "#p": "part_of",
    "%m": "has_member",
    "%s": "has_substance",
    "%p": "has_part",
    "=": "attribute",
    "+": "derivationally_related",
    ";c": "topic_domain",
    "-c": "topic_member",
    ";r": "region_domain",
    "-r": "region_member",
    ";u": "usage_domain",
    "-u": "usage_member",
    "*": "entails",
    ">": "causes",
    "^": "also_see",
    "$": "verb_group",
    "&": "similar_to",
    "<": "participle_of",
}
ADJ_MARKER = re.compile(r"\((a|p|ip)\)$")


def synset_id(offset: str, pos: str) -> str:
    # Satellites live in data.adj with the head adjectives: one id space per file.
    return f"wn:{offset}-{'a' if pos == 's' else pos}"


def lemma_text(word: str) -> str:
    return ADJ_MARKER.sub("", word).replace("_", " ")


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    counts = Counter()
    symbols = Counter()
    with open(out / "entities.jsonl", "w") as ents, open(out / "relations.jsonl", "w") as rels:
        for name, file_pos in FILES.items():
            with open(src / f"data.{name}", encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("  "):  # licence header
                        continue
                    data, _, gloss = line.partition(" | ")
                    fields = data.split()
                    offset, ss_type = fields[0], fields[2]
                    w_cnt = int(fields[3], 16)
                    words = [lemma_text(fields[4 + 2 * i]) for i in range(w_cnt)]
                    at = 4 + 2 * w_cnt
                    p_cnt = int(fields[at])
                    at += 1
                    source = synset_id(offset, file_pos)
                    aliases = []
                    for w in words[1:]:
                        if w != words[0] and w not in aliases:
                            aliases.append(w)
                    entity = {
                        "id": source,
                        "name": words[0],
                        "type": KIND[ss_type],
                        "aliases": aliases,
                        "description": gloss.strip(),
                    }
                    ents.write(json.dumps(entity, ensure_ascii=False) + "\n")
                    counts["synsets"] += 1
                    counts["lemmas"] += len(words)
                    for i in range(p_cnt):
                        symbol, target_offset, target_pos = fields[at + 4 * i : at + 4 * i + 3]
                        symbols[symbol] += 1
                        if symbol == "\\":
                            relation = "derived_from" if file_pos == "r" else "pertains_to"
                        else:
                            relation = POINTERS[symbol]
                        target = synset_id(target_offset, target_pos)
                        rels.write(json.dumps({"source": source, "relation": relation, "target": target}) + "\n")
                        counts["pointers"] += 1
                        if target == source:
                            counts["self_pointers"] += 1
    print(json.dumps({**counts, "symbols": dict(symbols.most_common())}))


if __name__ == "__main__":
    main()
