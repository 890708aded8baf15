#!/usr/bin/env python3
"""Build the `debian` knowledge base: Debian 12 (bookworm) packages and how they relate.

Sources (local, offline):
  * /var/lib/dpkg/status: the packages installed on this machine (full long descriptions);
  * APT's list of Debian bookworm main amd64 (`/var/lib/apt/lists/*bookworm_main_binary-amd64_Packages.lz4`).
Selection: every installed package, every archive package in the sections listed in
SECTIONS, and the closure of their Depends/Pre-Depends, so that every hard dependency is in
the KB.  Usage: python3 debian.py [OUT_DIR] [--status FILE] [--packages FILE]
"""
import collections
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import entity, rel, doc, write_kb, out_dir  # noqa: E402
import lz4frame  # noqa: E402

SECTIONS = set(os.environ.get("DEB_SECTIONS", "utils,shells,editors").split(","))
TAG_FACETS = {"interface", "use", "works-with", "works-with-format", "protocol", "network",
              "uitoolkit", "security", "hardware", "field", "mail", "web", "admin"}
DEP_FIELDS = [("Depends", "depends_on"), ("Pre-Depends", "pre_depends_on"),
              ("Recommends", "recommends"), ("Suggests", "suggests"), ("Enhances", "enhances"),
              ("Conflicts", "conflicts_with"), ("Breaks", "breaks"), ("Replaces", "replaces")]
PRIORITY_RANK = {"required": 1, "important": 2, "standard": 3, "optional": 4, "extra": 5}
LICENSE = "package metadata; each package's own licence (see README)"


def stanzas(text):
    cur, last = {}, None
    for line in text.splitlines():
        if not line.strip():
            if cur:
                yield cur
            cur, last = {}, None
            continue
        if line[0] in " \t" and last:
            cur[last] += "\n" + line
            continue
        k, _, v = line.partition(":")
        cur[k] = v.strip()
        last = k
    if cur:
        yield cur


def parse_rel(value):
    """'a (>= 1) | b, c:any' -> [[('a', '>= 1'), ('b', '')], [('c', '')]]"""
    groups = []
    for g in value.split(","):
        alts = []
        for a in g.split("|"):
            a = a.strip()
            if not a:
                continue
            m = re.match(r"([^\s(\[:]+)(?::\S+)?\s*(?:\(([^)]*)\))?", a)
            if m:
                alts.append((m.group(1), (m.group(2) or "").strip()))
        if alts:
            groups.append(alts)
    return groups


def parse_maint(value):
    m = re.match(r"\s*(.*?)\s*<([^>]+)>", value)
    if not m:
        return value.strip(), value.strip().lower()
    return m.group(1).strip().strip('"'), m.group(2).strip().lower()


def long_description(desc):
    lines = desc.split("\n")
    synopsis = lines[0].strip()
    paras, cur = [], []
    for ln in lines[1:]:
        ln = ln.strip()
        if ln == ".":
            if cur:
                paras.append(" ".join(cur))
            cur = []
        else:
            cur.append(ln)
    if cur:
        paras.append(" ".join(cur))
    return synopsis, "\n\n".join(paras)


def main():
    args = [a for a in sys.argv[1:]]
    status_path = "/var/lib/dpkg/status"
    pk_path = None
    if "--status" in args:
        i = args.index("--status"); status_path = args[i + 1]; del args[i:i + 2]
    if "--packages" in args:
        i = args.index("--packages"); pk_path = args[i + 1]; del args[i:i + 2]
    sys.argv[1:] = args
    out = out_dir("debian")
    if pk_path is None:
        cands = sorted(glob.glob("/var/lib/apt/lists/*debian_dists_bookworm_main_binary-amd64_Packages*"))
        if not cands:
            raise SystemExit("no APT list for bookworm main; pass --packages FILE")
        pk_path = cands[0]
    raw = open(pk_path, "rb").read()
    text = (lz4frame.decompress(raw) if pk_path.endswith(".lz4") else raw).decode("utf-8", "replace")
    archive = {}
    for s in stanzas(text):
        archive.setdefault(s["Package"], s)
    installed = {}
    for s in stanzas(open(status_path, encoding="utf-8", errors="replace").read()):
        if "installed" in s.get("Status", "").split() and s.get("Status", "").endswith("installed"):
            installed[s["Package"]] = s
    pkgs = dict(archive)
    pkgs.update(installed)  # the installed stanza wins (long description, installed version)

    provided_by = collections.defaultdict(set)
    for p, s in pkgs.items():
        for g in parse_rel(s.get("Provides", "")):
            for name, _ in g:
                provided_by[name].add(p)

    sel = set(installed) | {p for p, s in archive.items() if s.get("Section", "").split("/")[-1] in SECTIONS}
    todo = sorted(sel)
    while todo:
        p = todo.pop()
        for f in ("Depends", "Pre-Depends"):
            for g in parse_rel(pkgs[p].get(f, "")):
                for name, _ in g:
                    if name in pkgs and name not in sel:
                        sel.add(name); todo.append(name)
    # a virtual package used in a hard dependency: bring in its providers too
    virt_needed = set()
    for p in sorted(sel):
        for f in ("Depends", "Pre-Depends"):
            for g in parse_rel(pkgs[p].get(f, "")):
                for name, _ in g:
                    if name not in pkgs and name in provided_by:
                        virt_needed.add(name)

    entities, relations, documents = [], [], []
    ids = {}
    virtuals = set()
    maint_names = collections.defaultdict(collections.Counter)
    sources = collections.defaultdict(set)
    sections, langs, tags = set(), set(), set()

    def target(name):
        if name in sel:
            return "pkg:" + name
        if name not in pkgs and name in provided_by:
            virtuals.add(name)
            return "pkg:" + name
        return None

    for p in sorted(sel):
        s = pkgs[p]
        pid = "pkg:" + p
        synopsis, longd = long_description(s.get("Description", ""))
        props = {}
        if s.get("Version"):
            props["version"] = s["Version"]
        if s.get("Installed-Size", "").isdigit():
            props["installed_size_kib"] = int(s["Installed-Size"])
        if s.get("Size", "").isdigit():
            props["download_size_bytes"] = int(s["Size"])
        prio = s.get("Priority", "")
        if prio:
            props["priority"] = prio
            props["priority_rank"] = PRIORITY_RANK.get(prio, 9)
        sec = s.get("Section", "")
        props["section"] = sec
        props["essential"] = s.get("Essential", "no") == "yes"
        props["installed"] = p in installed
        props["architecture"] = s.get("Architecture", "")
        if s.get("Multi-Arch"):
            props["multi_arch"] = s["Multi-Arch"]
        desc = synopsis[:1].upper() + synopsis[1:] if synopsis else ""
        entities.append(entity(pid, p, "package", desc, props=props))
        text = synopsis + ("." if synopsis and not synopsis.endswith(".") else "")
        if longd:
            text += "\n\n" + longd
        documents.append(doc("doc:pkg:" + p, f"{p}: {synopsis}", text, [pid],
                             "dpkg status" if p in installed else "APT list bookworm main",
                             LICENSE))
        # maintainer
        if s.get("Maintainer"):
            name, email = parse_maint(s["Maintainer"])
            maint_names[email][name] += 1
            relations.append(rel(pid, "maintained_by", "maint:" + email))
        if sec:
            sections.add(sec)
            relations.append(rel(pid, "in_section", "section:" + sec))
        src = s.get("Source", p).split(" ")[0] or p
        sources[src].add(p)
        relations.append(rel(pid, "built_from", "src:" + src))
        for field, rname in DEP_FIELDS:
            for g in parse_rel(s.get(field, "")):
                alt = len(g) > 1
                for name, ver in g:
                    t = target(name)
                    if t is None or t == pid:
                        continue
                    props = {}
                    if alt:
                        props["alternatives"] = " | ".join(n for n, _ in g)
                    relations.append(rel(pid, rname, t, props))
        for g in parse_rel(s.get("Provides", "")):
            for name, ver in g:
                if name == p:
                    continue
                if name in sel:
                    relations.append(rel(pid, "provides", "pkg:" + name))
                elif name not in pkgs:
                    virtuals.add(name)
                    relations.append(rel(pid, "provides", "pkg:" + name))
        for t in re.split(r"[,\s]+", s.get("Tag", "")):
            if "::" not in t:
                continue
            facet, _, value = t.partition("::")
            if facet == "implemented-in":
                langs.add(value)
                relations.append(rel(pid, "implemented_in", "lang:" + value))
            elif facet in TAG_FACETS and value not in ("TODO", ""):
                tags.add(t)
                relations.append(rel(pid, "has_tag", "debtag:" + t))

    for v in sorted(virtuals):
        provs = sorted(x for x in provided_by.get(v, ()) if x in sel)
        d = "Virtual package" + (", provided by " + ", ".join(provs[:8]) + (" and others" if len(provs) > 8 else "") if provs else "")
        entities.append(entity("pkg:" + v, v, "virtual_package", d + ".",
                               props={"providers_in_kb": len(provs)}))
    for email, names in sorted(maint_names.items()):
        name = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        kind = "team" if re.search(r"team|maintainers|group|lists\.|@tracker|alioth|project", email + " " + name, re.I) else "person"
        entities.append(entity("maint:" + email, name, "maintainer",
                               f"Debian maintainer ({kind}) <{email}>.",
                               aliases=[n for n in names if n != name] + [email],
                               props={"email": email, "kind": kind}))
    for sec in sorted(sections):
        area = sec.split("/")[0] if "/" in sec else "main"
        entities.append(entity("section:" + sec, sec, "section", f"Debian archive section '{sec}'.",
                               props={"archive_area": area}))
    for src, bins in sorted(sources.items()):
        entities.append(entity("src:" + src, src, "source_package",
                               f"Debian source package building {len(bins)} binary package(s) in this KB.",
                               props={"binaries_in_kb": len(bins)}))
    for lang in sorted(langs):
        entities.append(entity("lang:" + lang, lang, "programming_language",
                               f"Programming language '{lang}' (debtags implemented-in::{lang})."))
    for t in sorted(tags):
        facet, _, value = t.partition("::")
        entities.append(entity("debtag:" + t, t, "debtag", f"Debtags tag: facet '{facet}', value '{value}'.",
                               aliases=[value.replace("-", " ")] if facet in ("works-with", "use", "interface", "protocol", "works-with-format") else [],
                               props={"facet": facet, "value": value}))

    schema = [
        {"entity_type": "package", "label": "package", "plural": "packages", "aliases": ["deb", "binary package", "program", "library", "tool"]},
        {"entity_type": "virtual_package", "label": "virtual package", "plural": "virtual packages", "aliases": ["virtual", "provided name"]},
        {"entity_type": "maintainer", "label": "maintainer", "plural": "maintainers", "aliases": ["developer", "team", "packager"]},
        {"entity_type": "section", "label": "section", "plural": "sections", "aliases": ["archive section", "category"]},
        {"entity_type": "source_package", "label": "source package", "plural": "source packages", "aliases": ["source", "srcpkg"]},
        {"entity_type": "programming_language", "label": "programming language", "plural": "programming languages", "aliases": ["language", "implementation language"]},
        {"entity_type": "debtag", "label": "tag", "plural": "tags", "aliases": ["debtag", "facet"]},
        {"relation_type": "depends_on", "label": "depends on", "inverse": "required by", "aliases": ["requires", "needs", "dependency", "dependencies"]},
        {"relation_type": "pre_depends_on", "label": "pre-depends on", "inverse": "pre-required by", "aliases": ["pre-depends", "must be installed before"]},
        {"relation_type": "recommends", "label": "recommends", "inverse": "recommended by", "aliases": ["recommendation"]},
        {"relation_type": "suggests", "label": "suggests", "inverse": "suggested by", "aliases": ["suggestion", "optional extra"]},
        {"relation_type": "enhances", "label": "enhances", "inverse": "enhanced by", "aliases": ["extends", "plugin for"]},
        {"relation_type": "conflicts_with", "label": "conflicts with", "inverse": "conflicts with", "aliases": ["conflict", "incompatible with"]},
        {"relation_type": "breaks", "label": "breaks", "inverse": "broken by", "aliases": []},
        {"relation_type": "replaces", "label": "replaces", "inverse": "replaced by", "aliases": ["supersedes", "takes over files of"]},
        {"relation_type": "provides", "label": "provides", "inverse": "provided by", "aliases": ["implements", "offers"]},
        {"relation_type": "maintained_by", "label": "maintained by", "inverse": "maintains", "aliases": ["maintainer", "looked after by"]},
        {"relation_type": "in_section", "label": "in section", "inverse": "section contains", "aliases": ["section", "category"]},
        {"relation_type": "built_from", "label": "built from", "inverse": "builds", "aliases": ["source package", "source"]},
        {"relation_type": "implemented_in", "label": "implemented in", "inverse": "language of", "aliases": ["written in", "programmed in"]},
        {"relation_type": "has_tag", "label": "has tag", "inverse": "tag of", "aliases": ["tagged", "tags"]},
    ]
    write_kb(out, entities, relations, documents, schema)


if __name__ == "__main__":
    main()
