#!/usr/bin/env python3
"""Build the `locales` knowledge base from glibc's locale sources (/usr/share/i18n/locales).

Entities: locales, languages, territories, currencies, paper sizes, measurement systems,
definition files (i18n, collation and transliteration tables that locales copy).
Usage: python3 locales.py [OUT_DIR] [--locales DIR]
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import entity, rel, doc, write_kb, out_dir  # noqa: E402

LICENSE = "glibc locale data: the FSF claims no copyright interest in the locale data (see the files' headers)"
LOCALE_RE = re.compile(r"^([a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?|C|POSIX)$")
CATS = ["LC_IDENTIFICATION", "LC_CTYPE", "LC_COLLATE", "LC_TIME", "LC_NUMERIC", "LC_MONETARY",
        "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT"]
WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
PAPER = {(297, 210): "A4", (279, 216): "Letter"}


def decode(s):
    s = re.sub(r"<U([0-9A-Fa-f]{4,8})>", lambda m: chr(int(m.group(1), 16)), s)
    return s


def parse(path):
    """-> {category: {"copy": name|None, key: [raw values]}}"""
    text = open(path, encoding="utf-8", errors="replace").read()
    comment, esc = "%", "/"
    m = re.search(r"^comment_char\s+(\S)", text, re.M)
    if m:
        comment = m.group(1)
    m = re.search(r"^escape_char\s+(\S)", text, re.M)
    if m:
        esc = m.group(1)
    lines, buf = [], ""
    for ln in text.split("\n"):
        if ln.lstrip().startswith(comment):
            continue
        if ln.endswith(esc) and not ln.endswith(esc + esc):
            buf += ln[:-1]
            continue
        lines.append(buf + ln)
        buf = ""
    cats, cur = {}, None
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if s in CATS:
            cur = s
            cats[cur] = {"copy": None}
            continue
        if s.startswith("END "):
            cur = None
            continue
        if cur is None:
            continue
        parts = s.split(None, 1)
        key = parts[0]
        val = parts[1].strip() if len(parts) > 1 else ""
        if key == "copy":
            cats[cur]["copy"] = val.strip('"')
        else:
            cats[cur].setdefault(key, val)
    return cats


def string(v):
    if v is None:
        return None
    m = re.findall(r'"((?:[^"])*)"', v)
    if m:
        return decode(m[0]).replace("//", "/")
    return decode(v)


def main():
    args = sys.argv[1:]
    ldir = "/usr/share/i18n/locales"
    if "--locales" in args:
        i = args.index("--locales"); ldir = args[i + 1]; del args[i:i + 2]
    sys.argv[1:] = args
    out = out_dir("locales")
    files = sorted(os.listdir(ldir))
    parsed = {f: parse(os.path.join(ldir, f)) for f in files if os.path.isfile(os.path.join(ldir, f))}
    locales = [f for f in parsed if LOCALE_RE.match(f)]
    deffiles = [f for f in parsed if not LOCALE_RE.match(f)]

    def get(loc, cat, key, depth=0):
        c = parsed.get(loc, {}).get(cat)
        if c is None or depth > 10:
            return None
        if key in c:
            return c[key]
        if c.get("copy"):
            return get(c["copy"], cat, key, depth + 1)
        return None

    entities, relations, documents = [], [], []
    langs = collections.defaultdict(lambda: {"en": collections.Counter(), "native": collections.Counter(), "codes": set()})
    terrs = collections.defaultdict(lambda: {"en": collections.Counter(), "native": collections.Counter(), "codes": set()})
    currencies = collections.defaultdict(collections.Counter)
    papers, measures = collections.Counter(), collections.Counter()
    for loc in sorted(locales):
        lid = "locale:" + loc
        ident = parsed[loc].get("LC_IDENTIFICATION", {})
        title = string(ident.get("title")) or loc
        lang_en = string(ident.get("language")) or ""
        terr_en = string(ident.get("territory")) or ""
        props = {"code": loc}
        base, _, modifier = loc.partition("@")
        if modifier:
            props["modifier"] = modifier
        # copy inheritance
        copies = collections.defaultdict(list)
        for cat in CATS:
            c = parsed[loc].get(cat)
            if c and c.get("copy"):
                copies[c["copy"]].append(cat)
        for src, cats in sorted(copies.items()):
            if src in parsed:
                t = ("locale:" if LOCALE_RE.match(src) else "deffile:") + src
                relations.append(rel(lid, "copies_from", t, {"categories": cats}))
        # LC_CTYPE/LC_COLLATE "copy" inside a category plus "include" lines
        for cat in ("LC_CTYPE", "LC_COLLATE"):
            c = parsed[loc].get(cat, {})
            inc = c.get("include")
            if inc:
                name = string(inc.split(";")[0]) if '"' in inc else inc.split(";")[0]
                if name in parsed:
                    relations.append(rel(lid, "includes", ("locale:" if LOCALE_RE.match(name) else "deffile:") + name, {"category": cat}))
        if modifier and base in parsed:
            relations.append(rel(lid, "variant_of", "locale:" + base))
        lang_ab = string(get(loc, "LC_ADDRESS", "lang_ab")) or ""
        lang_term = string(get(loc, "LC_ADDRESS", "lang_term")) or ""
        lang_native = string(get(loc, "LC_ADDRESS", "lang_name")) or ""
        code = (base.split("_")[0] if loc not in ("C", "POSIX") else "")
        if code:
            L = langs[code]
            if lang_en:
                L["en"][lang_en] += 1
            if lang_native:
                L["native"][lang_native] += 1
            L["codes"].update(x for x in (lang_ab, lang_term) if x)
            relations.append(rel(lid, "for_language", "language:" + code))
        cab2 = string(get(loc, "LC_ADDRESS", "country_ab2")) or ""
        if "_" in base and loc not in ("C", "POSIX"):
            tcode = base.split("_")[1]
            T = terrs[tcode]
            if terr_en:
                T["en"][terr_en] += 1
            cn = string(get(loc, "LC_ADDRESS", "country_name"))
            if cn:
                T["native"][cn] += 1
            ab3 = string(get(loc, "LC_ADDRESS", "country_ab3"))
            if ab3 and cab2 == tcode:
                T["codes"].add(ab3)
            relations.append(rel(lid, "for_territory", "territory:" + tcode))
        cur = (string(get(loc, "LC_MONETARY", "int_curr_symbol")) or "").strip()
        sym = string(get(loc, "LC_MONETARY", "currency_symbol")) or ""
        if re.fullmatch(r"[A-Z]{3}", cur):
            currencies[cur][sym] += 1
            relations.append(rel(lid, "uses_currency", "currency:" + cur))
            props["currency_symbol"] = sym
        h = get(loc, "LC_PAPER", "height")
        w = get(loc, "LC_PAPER", "width")
        if h and w and h.strip().isdigit() and w.strip().isdigit():
            size = PAPER.get((int(h), int(w)), f"{h}x{w} mm")
            papers[size] += 1
            relations.append(rel(lid, "uses_paper_size", "paper:" + size))
            props["paper_height_mm"], props["paper_width_mm"] = int(h), int(w)
        ms = get(loc, "LC_MEASUREMENT", "measurement")
        if ms and ms.strip() in ("1", "2"):
            mname = "metric" if ms.strip() == "1" else "US customary"
            measures[mname] += 1
            relations.append(rel(lid, "measures_in", "measurement:" + ("metric" if ms.strip() == "1" else "us")))
        fw = get(loc, "LC_TIME", "first_weekday")
        week = get(loc, "LC_TIME", "week")
        if fw and fw.strip().isdigit():
            # glibc: first_weekday counts from the week's origin day (19971130 = a Sunday)
            origin_sunday = not week or "19971130" in week
            idx = int(fw) - 1 if origin_sunday else int(fw)
            props["first_weekday"] = WEEKDAYS[idx % 7]
        elif loc not in ("C", "POSIX"):
            props["first_weekday"] = "Sunday"  # glibc default when the locale does not set it
        for key, cat, name in (("d_fmt", "LC_TIME", "date_format"), ("t_fmt", "LC_TIME", "time_format"),
                               ("decimal_point", "LC_NUMERIC", "decimal_point"), ("thousands_sep", "LC_NUMERIC", "thousands_sep"),
                               ("int_prefix", "LC_TELEPHONE", "calling_code")):
            v = string(get(loc, cat, key))
            if v is not None:
                props[name] = v
        if "calling_code" in props and props["calling_code"].isdigit():
            props["calling_code"] = int(props["calling_code"])
        am = string(get(loc, "LC_TIME", "am_pm"))
        tfmt = props.get("time_format", "")
        props["uses_12_hour_clock"] = "%I" in tfmt or "%r" in tfmt or "%l" in tfmt
        fd = get(loc, "LC_MONETARY", "frac_digits")
        if fd and fd.strip().isdigit():
            props["currency_decimals"] = int(fd)
        rev = string(ident.get("revision"))
        date = string(ident.get("date"))
        if date:
            props["date"] = date
            if re.match(r"\d{4}", date):
                props["year"] = int(date[:4])
        if rev:
            props["revision"] = rev
        source = string(ident.get("source"))
        if source:
            props["contributor"] = source
        desc = title[:1].upper() + title[1:]
        aliases = [loc + ".UTF-8"] if loc not in ("C", "POSIX") else []
        entities.append(entity(lid, loc, "locale", desc + ".", aliases=aliases, props=props))
        # document
        parts = [f"{desc} ({loc})."]
        if lang_en or lang_native:
            parts.append(f"Language: {lang_en}" + (f" ({lang_native})" if lang_native and lang_native != lang_en else "") + ".")
        if terr_en:
            parts.append(f"Territory: {terr_en}" + (f" ({string(get(loc, 'LC_ADDRESS', 'country_name'))})" if get(loc, 'LC_ADDRESS', 'country_name') else "") + ".")
        if cur:
            parts.append(f"Currency {cur}, written {sym}.")
        if "date_format" in props:
            parts.append(f"Dates are written {props['date_format']} and times {props.get('time_format', '')}" + (" (12-hour clock)." if props['uses_12_hour_clock'] else "."))
        if "first_weekday" in props:
            parts.append(f"The week starts on {props['first_weekday']}.")
        if "decimal_point" in props:
            parts.append(f"Decimal separator '{props['decimal_point']}', thousands separator '{props.get('thousands_sep', '')}'.")
        if "paper_height_mm" in props:
            parts.append(f"Paper {PAPER.get((props['paper_height_mm'], props['paper_width_mm']), 'custom')}; {'metric' if ms and ms.strip() == '1' else 'US customary'} units.")
        if "calling_code" in props:
            parts.append(f"International calling code +{props['calling_code']}.")
        if copies:
            parts.append("Copies " + "; ".join(f"{', '.join(c)} from {s}" for s, c in sorted(copies.items())) + ".")
        documents.append(doc("doc:locale:" + loc, title, " ".join(parts),
                             [lid] + (["language:" + code] if code else []), "glibc locale source " + loc, LICENSE))
    for code, L in sorted(langs.items()):
        # prefer the base name that other variants end with ("German" over "Swiss High German")
        en = sorted(L["en"].items(), key=lambda kv: (-(kv[1] + sum(c for k, c in L["en"].items() if k != kv[0] and k.endswith(" " + kv[0]))), len(kv[0]), kv[0]))
        nat = sorted(L["native"].items(), key=lambda kv: (-kv[1], kv[0]))
        name = en[0][0] if en else (nat[0][0] if nat else code)
        aliases = [k for k, _ in en[1:]] + [k for k, _ in nat] + sorted(c for c in L["codes"] if c != code) + [code]
        entities.append(entity("language:" + code, name, "language", f"Language {name} (code {code})" + (f", natively {nat[0][0]}" if nat else "") + ".",
                               aliases=aliases, props={"code": code, "iso639": sorted(L["codes"] | {code})}))
    for code, T in sorted(terrs.items()):
        en = sorted(T["en"].items(), key=lambda kv: (-kv[1], kv[0]))
        nat = sorted(T["native"].items(), key=lambda kv: (-kv[1], kv[0]))
        name = en[0][0] if en else code
        aliases = [k for k, _ in en[1:]] + [k for k, _ in nat] + sorted(T["codes"]) + [code]
        entities.append(entity("territory:" + code, name, "territory", f"Territory {name} (ISO 3166 {code}).", aliases=aliases,
                               props={"code": code}))
    for cur, syms in sorted(currencies.items()):
        s = sorted(syms.items(), key=lambda kv: (-kv[1], kv[0]))
        entities.append(entity("currency:" + cur, cur, "currency", f"Currency {cur} (ISO 4217), symbol {s[0][0]}.",
                               aliases=[k for k, _ in s if k and k != cur], props={"code": cur}))
    for p, n in sorted(papers.items()):
        entities.append(entity("paper:" + p, p, "paper_size", f"Paper size {p}" + (" (297 x 210 mm)" if p == "A4" else " (279 x 216 mm, US letter)" if p == "Letter" else "") + ".",
                               props={"locales": n}))
    for mid, mname in (("metric", "metric"), ("us", "US customary")):
        if mname in measures:
            entities.append(entity("measurement:" + mid, mname, "measurement_system",
                                   "Metric (SI) units." if mid == "metric" else "US customary units (inches, pounds, ...).",
                                   aliases=["imperial"] if mid == "us" else ["SI"], props={"locales": measures[mname]}))
    for f in sorted(deffiles):
        ident = parsed[f].get("LC_IDENTIFICATION", {})
        title = string(ident.get("title")) or f
        entities.append(entity("deffile:" + f, f, "definition_file", title[:1].upper() + title[1:] + ".",
                               props={"categories": sorted(parsed[f])}))
        for cat in ("LC_CTYPE", "LC_COLLATE"):
            c = parsed[f].get(cat, {})
            if c.get("copy") and c["copy"] in parsed:
                relations.append(rel("deffile:" + f, "copies_from", ("locale:" if LOCALE_RE.match(c["copy"]) else "deffile:") + c["copy"], {"categories": [cat]}))
    schema = [
        {"entity_type": "locale", "label": "locale", "plural": "locales", "aliases": ["locale definition", "language setting", "regional setting"]},
        {"entity_type": "language", "label": "language", "plural": "languages", "aliases": ["tongue"]},
        {"entity_type": "territory", "label": "territory", "plural": "territories", "aliases": ["country", "region"]},
        {"entity_type": "currency", "label": "currency", "plural": "currencies", "aliases": ["money"]},
        {"entity_type": "paper_size", "label": "paper size", "plural": "paper sizes", "aliases": ["paper format"]},
        {"entity_type": "measurement_system", "label": "measurement system", "plural": "measurement systems", "aliases": ["units", "unit system"]},
        {"entity_type": "definition_file", "label": "definition file", "plural": "definition files", "aliases": ["collation table", "transliteration table", "character class file"]},
        {"relation_type": "for_language", "label": "for language", "inverse": "has locale", "aliases": ["language", "in language"]},
        {"relation_type": "for_territory", "label": "for territory", "inverse": "has locale", "aliases": ["country", "territory", "region"]},
        {"relation_type": "uses_currency", "label": "uses currency", "inverse": "currency of", "aliases": ["currency", "money", "pays with"]},
        {"relation_type": "uses_paper_size", "label": "uses paper size", "inverse": "paper size of", "aliases": ["paper", "paper format"]},
        {"relation_type": "measures_in", "label": "measures in", "inverse": "measurement system of", "aliases": ["units", "measurement system"]},
        {"relation_type": "copies_from", "label": "copies from", "inverse": "copied by", "aliases": ["inherits from", "based on", "copy"]},
        {"relation_type": "includes", "label": "includes", "inverse": "included by", "aliases": ["include"]},
        {"relation_type": "variant_of", "label": "variant of", "inverse": "has variant", "aliases": ["modifier of", "version of"]},
    ]
    write_kb(out, entities, relations, documents, schema)


if __name__ == "__main__":
    main()
