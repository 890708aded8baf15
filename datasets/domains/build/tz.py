#!/usr/bin/env python3
"""Build the `tz` knowledge base from the IANA time zone database installed by Debian's tzdata.

Sources: /usr/share/zoneinfo/{tzdata.zi,zone.tab,zone1970.tab,iso3166.tab}.
Entities: time zones (Zone lines), zone links (Link lines, old/alias names), countries,
areas (the first part of a zone name), current daylight-saving rules, time-zone abbreviations.
Usage: python3 tz.py [OUT_DIR] [--zoneinfo DIR]
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import entity, rel, doc, write_kb, out_dir  # noqa: E402

LICENSE = "public domain (IANA tz database)"
MONTHS = {"Ja": "January", "F": "February", "Mar": "March", "Ap": "April", "May": "May", "Jun": "June",
          "Jul": "July", "Au": "August", "S": "September", "O": "October", "N": "November", "D": "December"}
DAYS = {"Su": "Sunday", "M": "Monday", "Tu": "Tuesday", "W": "Wednesday", "Th": "Thursday", "F": "Friday", "Sa": "Saturday"}


def hours(s):
    """'-0:25:21' -> -0.4225 ; '5:30' -> 5.5"""
    neg = s.startswith("-")
    parts = [int(x) for x in s.lstrip("-+").split(":")]
    while len(parts) < 3:
        parts.append(0)
    v = parts[0] + parts[1] / 60 + parts[2] / 3600
    return -v if neg else v


def fmt_offset(h):
    sign = "-" if h < 0 else "+"
    h = abs(h)
    hh = int(h)
    mm = round((h - hh) * 60)
    return f"UTC{sign}{hh:02d}:{mm:02d}"


def month(m):
    for k, v in MONTHS.items():
        if v.lower().startswith(m.lower()) and m.lower().startswith(k.lower()[:len(m)]):
            return v
    return m


def day(on):
    m = re.fullmatch(r"last([A-Za-z]+)", on)
    if m:
        return "last " + DAYS.get(m.group(1), m.group(1))
    m = re.fullmatch(r"([A-Za-z]+)>=(\d+)", on)
    if m:
        return f"first {DAYS.get(m.group(1), m.group(1))} on or after day {m.group(2)}"
    return "day " + on


def at(a):
    suffix = {"u": " UTC", "g": " UTC", "z": " UTC", "s": " standard time", "w": ""}
    m = re.fullmatch(r"([\d:]+)([a-z]?)", a)
    if not m:
        return a
    t = m.group(1)
    if ":" not in t:
        t += ":00"
    return t + suffix.get(m.group(2), "") + (" local time" if m.group(2) in ("", "w") else "")


def main():
    args = sys.argv[1:]
    zdir = "/usr/share/zoneinfo"
    if "--zoneinfo" in args:
        i = args.index("--zoneinfo"); zdir = args[i + 1]; del args[i:i + 2]
    sys.argv[1:] = args
    out = out_dir("tz")
    version = "unknown"
    zones = collections.OrderedDict()
    links = {}
    rules = collections.defaultdict(list)
    cur = None
    for line in open(os.path.join(zdir, "tzdata.zi"), encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# version"):
            version = line.split()[-1]
            continue
        if not line or line.startswith("#"):
            continue
        f = line.split()
        if f[0] == "R":
            rules[f[1]].append(f[2:])
            cur = None
        elif f[0] == "L":
            links[f[2]] = f[1]
            cur = None
        elif f[0] == "Z":
            cur = f[1]
            zones[cur] = [f[2:]]
        elif cur:
            zones[cur].append(f)
    iso = {}
    for line in open(os.path.join(zdir, "iso3166.tab"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        code, name = line.rstrip("\n").split("\t")
        iso[code] = name
    ztab = {}
    for line in open(os.path.join(zdir, "zone.tab"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        ztab[f[2]] = (f[0], f[1], f[3] if len(f) > 3 else "")
    z1970 = {}
    for line in open(os.path.join(zdir, "zone1970.tab"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        z1970[f[2]] = (f[0].split(","), f[1], f[3] if len(f) > 3 else "")

    def coords(s):
        m = re.fullmatch(r"([+-]\d{4,6})([+-]\d{5,7})", s)
        def conv(x, deg):
            sign = -1 if x[0] == "-" else 1
            x = x[1:]
            d, mi, se = int(x[:deg]), int(x[deg:deg + 2]), int(x[deg + 2:deg + 4] or 0)
            return round(sign * (d + mi / 60 + se / 3600), 4)
        return conv(m.group(1), 2), conv(m.group(2), 3)

    entities, relations, documents = [], [], []
    abbrs = collections.defaultdict(set)
    areas = collections.Counter()
    dst_rules = {}
    dst_zone_rule = {}
    for name, lines in zones.items():
        last = lines[-1]
        stdoff, rname, fmt = last[0], last[1], last[2]
        off = hours(stdoff)
        tid = "tz:" + name
        current = []
        if rname != "-" and not re.fullmatch(r"-?[\d:]+", rname):
            current = [r for r in rules.get(rname, []) if r[1] == "ma"]
        fixed_save = hours(rname) if re.fullmatch(r"-?[\d:]+", rname) else 0
        observes_dst = any(r[6] not in ("0", "-0") for r in current)
        letters = set()
        if current:
            letters = {("" if r[7] == "-" else r[7]) for r in current}
        elif rname != "-" and not re.fullmatch(r"-?[\d:]+", rname):
            past = sorted(rules.get(rname, []), key=lambda r: int(r[1] if r[1] != "o" else r[0]) if (r[1] if r[1] != "o" else r[0]).isdigit() else 0)
            std_rules = [r for r in past if r[6] in ("0", "-0")]
            if std_rules:
                letters = {"" if std_rules[-1][7] == "-" else std_rules[-1][7]}
        names = set()
        if "%z" in fmt:
            pass
        elif "/" in fmt:
            names = set(fmt.split("/"))
        elif "%s" in fmt:
            names = {fmt.replace("%s", l) for l in letters} if letters else {fmt.replace("%s", "")}
        else:
            names = {fmt}
        names = {n for n in names if n and not n.startswith(("+", "-"))}
        area = name.split("/")[0] if "/" in name else "(none)"
        props = {"utc_offset_hours": round(off, 4), "utc_offset": fmt_offset(off), "observes_dst": observes_dst or fixed_save != 0,
                 "tzdata_version": version}
        if observes_dst:
            saves = sorted({hours(r[6]) for r in current if r[6] not in ("0", "-0")})
            props["dst_save_hours"] = saves[0]
        if fixed_save:
            props["permanent_save_hours"] = fixed_save
        # history: first line's LMT offset and year of last change
        props["lmt_offset_hours"] = round(hours(lines[0][0]), 4)
        if len(lines) > 1:
            until = lines[-2][3:]
            if until and until[0].isdigit():
                props["current_rules_since"] = int(until[0])
        props["history_lines"] = len(lines)
        countries_here = []
        comment = ""
        if name in z1970:
            codes, c, comment = z1970[name]
            props["lat"], props["lon"] = coords(c)
            countries_here = codes
        if name in ztab:
            code, c, comment2 = ztab[name]
            props["lat"], props["lon"] = coords(c)
            comment = comment or comment2
            relations.append(rel(tid, "located_in", "country:" + code))
        elif countries_here:
            relations.append(rel(tid, "located_in", "country:" + countries_here[0]))
        for code in countries_here:
            relations.append(rel(tid, "used_in", "country:" + code))
        if comment:
            props["comment"] = comment
        in_tab = name in ztab or name in z1970
        props["in_zone_tab"] = in_tab
        if area != "(none)":
            areas[area] += 1
            relations.append(rel(tid, "part_of", "area:" + area))
        for n in sorted(names):
            abbrs[n].add(name)
            relations.append(rel(tid, "abbreviated_as", "abbr:" + n))
        if observes_dst:
            key = rname
            if key not in dst_rules:
                parts = []
                for r in sorted(current, key=lambda r: list(MONTHS).index(r[3]) if r[3] in MONTHS else 0):
                    save = hours(r[6])
                    verb = f"clocks change by {'+' if save > 0 else ''}{save:g} h" if save else "back to standard time"
                    parts.append(f"{month(r[3])}, {day(r[4])}, at {at(r[5])}: {verb}")
                dst_rules[key] = "; ".join(parts)
            dst_zone_rule[tid] = rname
        city = name.split("/")[-1].replace("_", " ")
        cn = [iso.get(c, c) for c in countries_here] or ([iso.get(ztab[name][0])] if name in ztab else [])
        desc = f"Time zone {name}"
        if cn:
            desc += " for " + ", ".join(cn)
        if comment:
            desc += f" ({comment})"
        desc += f"; standard time {fmt_offset(off)}"
        desc += ", with daylight saving time" if props["observes_dst"] else ", no daylight saving time"
        entities.append(entity(tid, name, "timezone", desc + ".", aliases=[city] if city != name else [], props=props))
        text = [desc + "."]
        if names:
            text.append("Abbreviations: " + ", ".join(sorted(names)) + ".")
        if observes_dst:
            text.append("Daylight saving: " + dst_rules[rname] + ".")
        if "lat" in props:
            text.append(f"Reference location {city} at latitude {props['lat']}, longitude {props['lon']}.")
        if "current_rules_since" in props:
            text.append(f"Current rules in force since {props['current_rules_since']}; before that local mean time was {fmt_offset(props['lmt_offset_hours'])} (approx.).")
        documents.append(doc("doc:tz:" + name, name, " ".join(text), [tid] + ["country:" + c for c in countries_here],
                             f"IANA tz database {version}", LICENSE))
    link_entities = []
    for lname, target in sorted(links.items()):
        while target in links:
            target = links[target]
        if target not in zones:
            continue
        props = {"tzdata_version": version}
        lid = "tzlink:" + lname
        if lname in ztab:
            code, c, comment = ztab[lname]
            props["lat"], props["lon"] = coords(c)
            if comment:
                props["comment"] = comment
            relations.append(rel(lid, "located_in", "country:" + code))
        entities.append(entity(lid, lname, "timezone_link", f"Alternative (link) name for the time zone {target}.", props=props))
        relations.append(rel(lid, "links_to", "tz:" + target))
        if "/" in lname and lname.split("/")[0] in areas:
            relations.append(rel(lid, "part_of", "area:" + lname.split("/")[0]))
    used = collections.Counter()
    for r in relations:
        if r["target"].startswith("country:") and r["relation"] == "located_in":
            used[r["target"]] += 1
    for code, cname in sorted(iso.items()):
        entities.append(entity("country:" + code, cname, "country", f"{cname} (ISO 3166 code {code}).", aliases=[code],
                               props={"iso_code": code, "zones_located": used["country:" + code]}))
    for a, n in sorted(areas.items()):
        entities.append(entity("area:" + a, a, "area", f"Time-zone area '{a}' (first part of zone names such as {a}/...).",
                               props={"zones": n}))
    for ab, zs in sorted(abbrs.items()):
        entities.append(entity("abbr:" + ab, ab, "abbreviation", f"Time-zone abbreviation {ab}, used by {len(zs)} zone(s).",
                               props={"zones": len(zs)}))
    by_text = collections.defaultdict(list)
    for rn, text in sorted(dst_rules.items()):
        by_text[text].append(rn)
    rule_id = {}
    for text, rns in sorted(by_text.items()):
        rid = "dstrule:" + "-".join(sorted(rns))
        for rn in rns:
            rule_id[rn] = rid
        n = sum(1 for z in dst_zone_rule.values() if z in rns)
        entities.append(entity(rid, "DST rule " + "/".join(sorted(rns)), "dst_rule", text + ".",
                               props={"tzdata_rule_names": sorted(rns), "zones": n}))
    for tid, rn in sorted(dst_zone_rule.items()):
        relations.append(rel(tid, "follows_dst_rule", rule_id[rn]))
    schema = [
        {"entity_type": "timezone", "label": "time zone", "plural": "time zones", "aliases": ["timezone", "tz", "zone", "IANA zone", "Olson zone"]},
        {"entity_type": "timezone_link", "label": "time-zone link", "plural": "time-zone links", "aliases": ["link", "legacy zone name", "backward link", "zone alias"]},
        {"entity_type": "country", "label": "country", "plural": "countries", "aliases": ["territory", "nation"]},
        {"entity_type": "area", "label": "area", "plural": "areas", "aliases": ["region", "continent", "ocean"]},
        {"entity_type": "abbreviation", "label": "time-zone abbreviation", "plural": "time-zone abbreviations", "aliases": ["abbreviation", "abbr", "zone name"]},
        {"entity_type": "dst_rule", "label": "daylight-saving rule", "plural": "daylight-saving rules", "aliases": ["DST rule", "summer time rule", "clock change rule"]},
        {"relation_type": "located_in", "label": "located in", "inverse": "has time zone", "aliases": ["in", "country", "zones of"]},
        {"relation_type": "used_in", "label": "used in", "inverse": "uses time zone", "aliases": ["covers", "observed in", "applies to"]},
        {"relation_type": "part_of", "label": "part of", "inverse": "contains", "aliases": ["area", "region", "continent"]},
        {"relation_type": "abbreviated_as", "label": "abbreviated as", "inverse": "abbreviation of", "aliases": ["abbreviation", "short name"]},
        {"relation_type": "follows_dst_rule", "label": "follows DST rule", "inverse": "DST rule of", "aliases": ["daylight saving rule", "clock changes", "summer time"]},
        {"relation_type": "links_to", "label": "links to", "inverse": "linked from", "aliases": ["alias of", "same as", "now called", "points to"]},
    ]
    write_kb(out, entities, relations, documents, schema)


if __name__ == "__main__":
    main()
