#!/usr/bin/env python3
"""Build the `mime` knowledge base from shared-mime-info's freedesktop.org.xml.

Entities: media types, their aliases, top-level media types, file extensions, other file-name
patterns, generic icons, XML root namespaces.  Usage: python3 mime.py [OUT_DIR] [--xml FILE]
"""
import collections
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import entity, rel, doc, write_kb, out_dir  # noqa: E402

NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DOC_LANGS = [("de", "German"), ("fr", "French"), ("es", "Spanish"), ("ru", "Russian"), ("ja", "Japanese"), ("zh_CN", "Chinese")]
LICENSE = "GPL-2.0-or-later (shared-mime-info data)"
SOURCE = "shared-mime-info freedesktop.org.xml"
TOP_DESC = {
    "application": "Media types for application-specific data, documents, archives and executables.",
    "audio": "Media types for sound and music.",
    "font": "Media types for font files.",
    "image": "Media types for still images and pictures.",
    "inode": "Pseudo media types for file-system objects such as directories, devices and links.",
    "message": "Media types for e-mail and news messages.",
    "model": "Media types for 3D models.",
    "multipart": "Media types for composite documents made of several parts.",
    "text": "Media types for human-readable text and source code.",
    "video": "Media types for moving pictures.",
    "x-content": "Pseudo media types for the content of removable media (CDs, camera cards, ...).",
    "x-epoc": "Media types for EPOC (Psion) files.",
}


def main():
    args = sys.argv[1:]
    xml_path = "/usr/share/mime/packages/freedesktop.org.xml"
    if "--xml" in args:
        i = args.index("--xml"); xml_path = args[i + 1]; del args[i:i + 2]
    sys.argv[1:] = args
    out = out_dir("mime")
    root = ET.parse(xml_path).getroot()
    entities, relations, documents = [], [], []
    tops, exts, patterns, icons, roots = set(), {}, {}, set(), {}
    alias_of = {}
    ext_types = collections.defaultdict(set)
    types = {}
    for mt in root.findall(NS + "mime-type"):
        types[mt.get("type")] = mt
    for name in sorted(types):
        mt = types[name]
        mid = "mime:" + name
        comments = {c.get(XML_LANG, "en"): (c.text or "").strip() for c in mt.findall(NS + "comment")}
        comment = comments.get("en", name)
        acr = mt.findtext(NS + "acronym")
        exp = mt.findtext(NS + "expanded-acronym")
        top = name.split("/")[0]
        tops.add(top)
        globs = []
        for g in mt.findall(NS + "glob"):
            pat = g.get("pattern")
            weight = int(g.get("weight", "50"))
            globs.append(pat)
            m = re.fullmatch(r"\*(\.[^*?\[\]]+)", pat)
            if m:
                ext = m.group(1)
                exts[ext] = exts.get(ext, 0) + 1
                ext_types[ext].add(name)
                relations.append(rel(mid, "has_extension", "ext:" + ext, {"weight": weight} if weight != 50 else {}))
            else:
                patterns[pat] = 1
                relations.append(rel(mid, "has_filename_pattern", "glob:" + pat, {"weight": weight} if weight != 50 else {}))
        for s in mt.findall(NS + "sub-class-of"):
            relations.append(rel(mid, "subclass_of", "mime:" + s.get("type")))
        for a in mt.findall(NS + "alias"):
            alias_of[a.get("type")] = name
        gi = mt.find(NS + "generic-icon")
        icon = gi.get("name") if gi is not None else None
        icon_src = "declared"
        if icon is None:
            icon = {"text": "text-x-generic", "image": "image-x-generic", "audio": "audio-x-generic",
                    "video": "video-x-generic", "font": "font-x-generic"}.get(top)
            icon_src = "derived from the top-level type" if icon else None
        if icon:
            icons.add(icon)
            relations.append(rel(mid, "represented_by", "icon:" + icon, {"how": icon_src}))
        for r in mt.findall(NS + "root-XML"):
            key = (r.get("namespaceURI") or "") + " " + (r.get("localName") or "")
            roots[key] = (r.get("namespaceURI") or "", r.get("localName") or "")
            relations.append(rel(mid, "has_xml_root", "xmlroot:" + key.strip().replace(" ", "#")))
        relations.append(rel(mid, "belongs_to", "toplevel:" + top))
        magic = mt.findall(NS + "magic")
        props = {"top_level": top, "subtype": name.split("/", 1)[1], "has_magic": bool(magic),
                 "glob_count": len(globs), "translations": len([k for k in comments if k != "en"]),
                 "is_xml": any(s.get("type") == "application/xml" for s in mt.findall(NS + "sub-class-of")) or bool(mt.findall(NS + "root-XML"))}
        if magic:
            props["magic_priority"] = max(int(m.get("priority", "50")) for m in magic)
        if acr:
            props["acronym"] = acr
        aliases = [acr] if acr else []
        if exp:
            aliases.append(exp)
        aliases += [a.get("type") for a in mt.findall(NS + "alias")]
        desc = comment[:1].upper() + comment[1:]
        if acr and exp:
            desc += f" ({acr}: {exp})"
        entities.append(entity(mid, name, "media_type", desc, aliases=aliases, props=props))
        # document
        lines = [desc + "."]
        if globs:
            lines.append("File names: " + ", ".join(globs) + ".")
        subs = [s.get("type") for s in mt.findall(NS + "sub-class-of")]
        if subs:
            lines.append("A kind of: " + ", ".join(subs) + ".")
        al = [a.get("type") for a in mt.findall(NS + "alias")]
        if al:
            lines.append("Also known as: " + ", ".join(al) + ".")
        tr = [f"{comments[l]} ({ln})" for l, ln in DOC_LANGS if l in comments]
        if tr:
            lines.append("Translations: " + "; ".join(tr) + ".")
        documents.append(doc("doc:mime:" + name, f"{name}: {comment}", "\n".join(lines), [mid], SOURCE, LICENSE))

    for a, canon in sorted(alias_of.items()):
        if a in types:
            continue
        entities.append(entity("mimealias:" + a, a, "media_type_alias", f"Alias of {canon}.",
                               props={"top_level": a.split("/")[0]}))
        relations.append(rel("mimealias:" + a, "alias_of", "mime:" + canon))
    for t in sorted(tops):
        entities.append(entity("toplevel:" + t, t, "top_level_type", TOP_DESC.get(t, f"Top-level media type '{t}'."),
                               props={"members": sum(1 for n in types if n.split('/')[0] == t)}))
    for e in sorted(exts):
        ts = sorted(ext_types[e])
        entities.append(entity("ext:" + e, e, "file_extension", f"File-name extension {e}, used by " + ", ".join(ts) + ".",
                               aliases=[e.lstrip(".")], props={"media_types": len(ts)}))
    for p in sorted(patterns):
        entities.append(entity("glob:" + p, p, "filename_pattern", f"File-name pattern '{p}'."))
    for i in sorted(icons):
        entities.append(entity("icon:" + i, i, "generic_icon", f"Generic icon '{i}' from the freedesktop Icon Naming Specification.",
                               aliases=[i.replace("-x-generic", "").replace("x-office-", "office ").replace("-", " ")]))
    for key, (ns, local) in sorted(roots.items()):
        entities.append(entity("xmlroot:" + key.strip().replace(" ", "#"), f"{local} in {ns}" if ns else local, "xml_root",
                               f"XML document root element <{local}> in namespace {ns or '(none)'}.",
                               props={"namespace": ns, "local_name": local}))
    schema = [
        {"entity_type": "media_type", "label": "media type", "plural": "media types", "aliases": ["MIME type", "mimetype", "content type", "file type", "format", "file format"]},
        {"entity_type": "media_type_alias", "label": "media type alias", "plural": "media type aliases", "aliases": ["alias", "legacy MIME type", "old name"]},
        {"entity_type": "top_level_type", "label": "top-level media type", "plural": "top-level media types", "aliases": ["media category", "MIME family"]},
        {"entity_type": "file_extension", "label": "file extension", "plural": "file extensions", "aliases": ["extension", "suffix", "file ending"]},
        {"entity_type": "filename_pattern", "label": "file-name pattern", "plural": "file-name patterns", "aliases": ["glob", "file name"]},
        {"entity_type": "generic_icon", "label": "generic icon", "plural": "generic icons", "aliases": ["icon"]},
        {"entity_type": "xml_root", "label": "XML root element", "plural": "XML root elements", "aliases": ["XML namespace", "root element"]},
        {"relation_type": "subclass_of", "label": "subclass of", "inverse": "has subclass", "aliases": ["is a kind of", "derived from", "based on", "parent type"]},
        {"relation_type": "alias_of", "label": "alias of", "inverse": "has alias", "aliases": ["other name for", "same as"]},
        {"relation_type": "has_extension", "label": "has extension", "inverse": "extension of", "aliases": ["file extension", "suffix", "ends with"]},
        {"relation_type": "has_filename_pattern", "label": "has file-name pattern", "inverse": "file-name pattern of", "aliases": ["matches file name", "glob"]},
        {"relation_type": "represented_by", "label": "represented by icon", "inverse": "icon for", "aliases": ["icon", "shown with"]},
        {"relation_type": "belongs_to", "label": "belongs to", "inverse": "contains", "aliases": ["top-level type", "category", "part of"]},
        {"relation_type": "has_xml_root", "label": "has XML root", "inverse": "XML root of", "aliases": ["root element", "namespace"]},
    ]
    write_kb(out, entities, relations, documents, schema)


if __name__ == "__main__":
    main()
