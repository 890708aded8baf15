#!/usr/bin/env python3
"""Build the `rustdoc` knowledge base from the Rust standard library's HTML documentation.

Source: $(rustc --print sysroot)/share/doc/rust/html/std (rustdoc output shipped with the toolchain;
std re-exports core and alloc, so their items appear under std::). The per-architecture
intrinsics under std::arch are left out (thousands of SIMD functions).
Entities: modules, structs, enums, unions, traits, functions, macros, primitive types, type
aliases, constants, statics, keywords, and the methods of types and traits.
Relations: part_of (module -> parent module), defined_in (item -> module), method_of
(method -> type/trait), implements (type -> trait, from "Trait Implementations"),
has_supertrait (trait -> trait).
Usage: python3 rustdoc.py [OUT_DIR] [--html DIR]
"""
import glob
import html
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import entity, rel, doc, write_kb, out_dir  # noqa: E402

LICENSE = "MIT OR Apache-2.0"
KINDS = {"mod": "module", "struct": "struct", "enum": "enum", "union": "union", "trait": "trait",
         "fn": "function", "macro": "macro", "primitive": "primitive", "type": "type_alias",
         "constant": "constant", "static": "static", "keyword": "keyword", "traitalias": "trait_alias",
         "attr": "macro", "derive": "macro"}
PAGE_PREFIX = {"struct": "struct", "enum": "enum", "union": "union", "trait": "trait", "primitive": "primitive"}


def text(fragment):
    s = re.sub(r"<[^>]+>", "", fragment)
    s = html.unescape(s)
    return re.sub(r"\s+", " ", s).strip()


def first_paragraphs(block, limit=700):
    paras = re.findall(r"<p>(.*?)</p>", block, re.S)
    out = ""
    for p in paras:
        t = text(p)
        if not t:
            continue
        out = (out + " " + t).strip()
        if len(out) > 160:
            break
    if len(out) > limit:
        out = out[:limit].rsplit(" ", 1)[0] + " ..."
    return out


def version_key(v):
    m = re.match(r"(\d+)\.(\d+)", v or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def find_html():
    try:
        root = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True).stdout.strip()
        return os.path.join(root, "share", "doc", "rust", "html", "std")
    except (OSError, subprocess.CalledProcessError):
        return None


def sections(page):
    """{h2 id: html between it and the next h2}"""
    marks = [(m.group(1), m.start()) for m in re.finditer(r'<h2 id="([^"]+)"', page)]
    out = {}
    for i, (sid, pos) in enumerate(marks):
        end = marks[i + 1][1] if i + 1 < len(marks) else len(page)
        out[sid] = page[pos:end]
    return out


def main():
    args = sys.argv[1:]
    base = None
    if "--html" in args:
        i = args.index("--html"); base = args[i + 1]; del args[i:i + 2]
    sys.argv[1:] = args
    base = base or find_html()
    if not base or not os.path.isdir(base):
        raise SystemExit("rust std html documentation not found; pass --html DIR")
    out = out_dir("rustdoc")
    version = "unknown"
    m = glob.glob(os.path.join(os.path.dirname(base), "crates*.js"))
    if m:
        version = re.sub(r"^crates|\.js$", "", os.path.basename(sorted(m)[0]))

    entities, relations, documents = {}, [], []
    pages = {}  # id -> page path for types/traits
    # 1. module listings
    mod_index = sorted(p for p in glob.glob(os.path.join(base, "**", "index.html"), recursive=True)
                       if "/arch/" not in p.replace(base, "", 1))
    modules = {}
    for path in mod_index:
        rel_dir = os.path.relpath(os.path.dirname(path), base)
        mpath = "std" if rel_dir == "." else "std::" + rel_dir.replace(os.sep, "::")
        page = open(path, encoding="utf-8").read()
        if "<title>" in page and "Redirection" in page[:500]:
            continue
        modules[mpath] = path
        for sec_id, body in sections(page).items():
            if sec_id in ("reexports",):
                continue
            for m in re.finditer(r'<dt><a class="(\w+)" href="([^"]+)" title="(\w+) ([^"]+)">.*?</a>.*?</dt>(?:<dd>(.*?)</dd>)?', body, re.S):
                cls, href, kind_t, full, dd = m.groups()
                kind = KINDS.get(cls)
                if kind is None or not full.startswith("std"):
                    continue
                if full.startswith("std::arch::") and full.count("::") > 2:
                    continue
                short = full.rsplit("::", 1)[1]
                iid = {"primitive": "rs:primitive:" + short, "keyword": "rs:keyword:" + short}.get(kind, "rs:" + full)
                if cls == "macro":
                    iid += "!"  # macros share names with modules (vec!, env!, ...)
                elif cls in ("attr", "derive"):
                    iid += "#" + cls  # derive macros share names with traits (Debug, Clone, ...)
                parent = full.rsplit("::", 1)[0]
                if iid not in entities:
                    entities[iid] = {"id": iid, "name": full.rsplit("::", 1)[1] + ("!" if cls == "macro" else ""), "type": kind, "full": full,
                                     "summary": text(dd or ""), "props": ({"macro_kind": cls} if kind == "macro" else {}), "href": os.path.normpath(os.path.join(os.path.dirname(path), href.split("#")[0]))}
                if parent == mpath and kind not in ("primitive", "keyword"):
                    relations.append(rel(iid, "part_of" if kind == "module" else "defined_in", "rs:" + mpath))
    entities["rs:std"] = {"id": "rs:std", "name": "std", "type": "crate", "full": "std",
                          "summary": "The Rust Standard Library.", "props": {}, "href": os.path.join(base, "index.html")}
    # 2. item pages: since/unstable, top doc, methods, trait impls, supertraits
    method_entities = {}
    for iid in sorted(entities):
        e = entities[iid]
        path = e["href"]
        if not os.path.isfile(path) or e["type"] in ("crate",):
            continue
        page = open(path, encoding="utf-8").read()
        head = page[page.find("main-heading"):page.find("main-heading") + 3000]
        sm = re.search(r'<span class="since" title="Stable since Rust version ([0-9.]+)', head)
        if sm:
            e["props"]["stable_since"] = sm.group(1)
            vk = version_key(sm.group(1))
            e["props"]["since_minor"] = vk[1] if vk else None
        mh = page.find("main-heading")
        ends = [x for x in (page.find('<details class="toggle top-doc"', mh), page.find("<h2 ", mh)) if x > 0]
        intro = page[mh:min(ends) if ends else mh + 6000]
        e["props"]["unstable"] = "nightly-only experimental API" in intro
        e["props"]["deprecated"] = 'class="stab deprecated"' in intro
        td = re.search(r'<details class="toggle top-doc" open>.*?<div class="docblock">(.*?)</div></details>', page, re.S)
        e["doc"] = first_paragraphs(td.group(1)) if td else ""
        if e["type"] not in PAGE_PREFIX:
            continue
        secs = sections(page)
        # inherent methods (types) or required/provided methods (traits)
        msecs = []
        if e["type"] == "trait":
            msecs = [("required-methods", True), ("provided-methods", False)]
        else:
            msecs = [("implementations", None)]
        for sid, required in msecs:
            body = secs.get(sid, "")
            starts = [(mm.group(1), mm.start()) for mm in re.finditer(r'<section id="(?:ty)?method\.([A-Za-z0-9_]+)" class="method">', body)]
            for k, (name, pos) in enumerate(starts):
                chunk = body[pos:starts[k + 1][1] if k + 1 < len(starts) else len(body)]
                header = chunk[:chunk.find("</section>")]
                rest = chunk[len(header):]
                dbm = re.search(r'<div class="docblock">(.*?)</div></details>', rest, re.S)
                block = dbm.group(1) if dbm else ""
                info = rest[:dbm.start()] if dbm else rest
                mid = f"{iid}::{name}"
                if mid in method_entities:
                    continue
                props = {}
                sv = re.search(r'title="Stable since Rust version ([0-9.]+)', header)
                if sv:
                    props["stable_since"] = sv.group(1)
                    vk = version_key(sv.group(1))
                    props["since_minor"] = vk[1] if vk else None
                props["unstable"] = "nightly-only experimental API" in info
                props["deprecated"] = "stab deprecated" in info
                hm = re.search(r'<h4 class="code-header">(.*?)</h4>', header, re.S)
                sig = text(hm.group(1)) if hm else ""
                props["signature"] = sig[:300]
                props["is_const"] = sig.startswith("pub const fn") or sig.startswith("const fn")
                props["is_unsafe"] = "unsafe fn" in sig[:40]
                if required is not None:
                    props["required"] = required
                method_entities[mid] = {"id": mid, "name": name, "type": "method", "full": f"{e['full']}::{name}",
                                        "summary": first_paragraphs(block, 160), "props": props, "doc": first_paragraphs(block, 400)}
                relations.append(rel(mid, "method_of", iid))
        # trait implementations (of types; a trait page's own list concerns dyn Trait)
        body = secs.get("trait-implementations", "") if e["type"] != "trait" else ""
        for im in re.finditer(r'<section id="impl-([^"]+)" class="impl">.*?<h3 class="code-header">(.*?)</h3>', body, re.S):
            sid, h3 = im.groups()
            tname = re.split(r"%3C|<|-for-", sid, 1)[0]
            if "-for-" in sid:
                for_part = urllib.parse.unquote(sid.rsplit("-for-", 1)[1]).replace("+", " ")
                base_for = re.sub(r"^(?:&(?:'\w+ )?(?:mut )?|\*(?:const|mut) )+", "", for_part)
                base_for = re.split(r"[<\s-]", base_for, 1)[0]
                if base_for != e["name"]:
                    name = e["name"]
                    ok = (e["type"] == "primitive" and (
                        (name == "slice" and base_for.startswith("[") and ";" not in base_for)
                        or (name == "array" and base_for.startswith("[") and ";" in base_for)
                        or name in ("pointer", "reference", "fn", "tuple", "unit", "never")))
                    if not ok:
                        continue  # an impl for another type that merely mentions this one
            negative = h3.lstrip().startswith("impl !") or "&gt; !" in h3[:200]
            for tm in re.finditer(r'<a class="trait" href="[^"]*" title="trait ([^"]+)">([^<]+)</a>', h3):
                if tm.group(2) == tname:
                    if not negative:
                        relations.append(rel(iid, "implements", "rs:" + tm.group(1)))
                    break
        if e["type"] == "trait":
            decl = re.search(r'<pre class="rust item-decl"><code>(.*?)\{', page, re.S)
            if decl:
                head_decl = decl.group(1).split("where")[0]
                if ":" in text(head_decl).split("<")[0] or re.search(r"pub (?:unsafe )?trait \w+(?:&lt;.*?&gt;)?:", head_decl):
                    after = head_decl.split(":", 1)[1] if ":" in head_decl else ""
                    for tm in re.finditer(r'title="trait ([^"]+)"', after):
                        relations.append(rel(iid, "has_supertrait", "rs:" + tm.group(1)))
    entities.update(method_entities)
    ids = set(entities)
    relations = [r for r in relations if r["source"] in ids and r["target"] in ids and r["source"] != r["target"]]
    out_entities = []
    for iid in sorted(entities):
        e = entities[iid]
        desc = e["summary"] or e.get("doc", "")[:200]
        kind_word = e["type"].replace("_", " ")
        aliases = [e["full"]]
        if e["type"] == "method":
            owner = e["full"].rsplit("::", 2)
            aliases.append(f"{owner[-2]}::{owner[-1]}")
        if e["type"] in ("primitive", "keyword"):
            aliases = [e["name"]]
        props = {k: v for k, v in e["props"].items() if v is not None}
        out_entities.append(entity(iid, e["name"], e["type"], desc or f"{kind_word} {e['full']}", aliases=aliases, props=props))
        d = e.get("doc") or e["summary"]
        if d:
            documents.append(doc("doc:" + iid, f"{e['full']} ({kind_word})", d, [iid],
                                 f"rustdoc std {version}", LICENSE))
    schema = [
        {"entity_type": "crate", "label": "crate", "plural": "crates", "aliases": ["library"]},
        {"entity_type": "module", "label": "module", "plural": "modules", "aliases": ["mod", "namespace"]},
        {"entity_type": "struct", "label": "struct", "plural": "structs", "aliases": ["type", "structure"]},
        {"entity_type": "enum", "label": "enum", "plural": "enums", "aliases": ["enumeration", "type"]},
        {"entity_type": "union", "label": "union", "plural": "unions", "aliases": ["type"]},
        {"entity_type": "trait", "label": "trait", "plural": "traits", "aliases": ["interface"]},
        {"entity_type": "trait_alias", "label": "trait alias", "plural": "trait aliases", "aliases": []},
        {"entity_type": "function", "label": "function", "plural": "functions", "aliases": ["fn", "free function"]},
        {"entity_type": "method", "label": "method", "plural": "methods", "aliases": ["associated function", "member function"]},
        {"entity_type": "macro", "label": "macro", "plural": "macros", "aliases": ["macro_rules", "attribute macro", "derive macro"]},
        {"entity_type": "primitive", "label": "primitive type", "plural": "primitive types", "aliases": ["primitive", "built-in type"]},
        {"entity_type": "type_alias", "label": "type alias", "plural": "type aliases", "aliases": ["typedef"]},
        {"entity_type": "constant", "label": "constant", "plural": "constants", "aliases": ["const"]},
        {"entity_type": "static", "label": "static", "plural": "statics", "aliases": ["global"]},
        {"entity_type": "keyword", "label": "keyword", "plural": "keywords", "aliases": ["reserved word"]},
        {"relation_type": "part_of", "label": "part of", "inverse": "has submodule", "aliases": ["submodule of", "inside", "parent module"]},
        {"relation_type": "defined_in", "label": "defined in", "inverse": "defines", "aliases": ["lives in", "module of", "declared in"]},
        {"relation_type": "method_of", "label": "method of", "inverse": "has method", "aliases": ["member of", "methods"]},
        {"relation_type": "implements", "label": "implements", "inverse": "implemented by", "aliases": ["impl", "has impl", "supports"]},
        {"relation_type": "has_supertrait", "label": "has supertrait", "inverse": "supertrait of", "aliases": ["requires trait", "extends", "bound"]},
    ]
    write_kb(out, out_entities, relations, documents, schema)


if __name__ == "__main__":
    main()
