#!/usr/bin/env python3
"""Build the `pystdlib` knowledge base from the Python 3.11 standard library's source, with `ast`.

Entities: packages, modules, classes, exception classes, functions, methods (public names only;
test suites, private `_modules`, idlelib, turtledemo, lib2to3 and site-packages are left out).
Relations: part_of (module -> package), imports, defined_in, method_of, inherits_from, raises, re_exports.
Documents: the first paragraph of each docstring.
Usage: python3 pystdlib.py [OUT_DIR] [--lib DIR]
"""
import ast
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import entity, rel, doc, write_kb, out_dir  # noqa: E402

LICENSE = "PSF-2.0 (Python standard library docstrings)"
SKIP_DIRS = {"test", "tests", "site-packages", "__pycache__", "idle_test", "turtledemo", "lib2to3", "idlelib", "ensurepip",
             "config-3.11-x86_64-linux-gnu", "pydoc_data", "__phello__"}
MAX_DOC = 700


def first_para(ds, limit=MAX_DOC):
    if not ds:
        return ""
    ds = ds.strip()
    paras = re.split(r"\n\s*\n", ds)
    text = paras[0]
    if len(text) < 160 and len(paras) > 1:
        text += "\n\n" + paras[1]
    text = re.sub(r"[ \t]+", " ", text)
    text = "\n".join(l.strip() for l in text.split("\n"))
    if len(text) > limit:
        cut = text[:limit]
        text = cut[:cut.rfind(" ")] + " ..."
    return text


def find_lib():
    for cand in ("/root/.pyenv/versions/3.11.7/lib/python3.11", os.path.dirname(os.__file__)):
        if os.path.isdir(cand):
            return cand


def main():
    args = sys.argv[1:]
    lib = None
    if "--lib" in args:
        i = args.index("--lib"); lib = args[i + 1]; del args[i:i + 2]
    sys.argv[1:] = args
    lib = lib or find_lib()
    out = out_dir("pystdlib")
    mods = {}  # dotted -> (path, is_package)
    for dirpath, dirnames, filenames in os.walk(lib):
        rel_dir = os.path.relpath(dirpath, lib)
        parts = [] if rel_dir == "." else rel_dir.split(os.sep)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith((".", "_")) and "-" not in d
                             and os.path.exists(os.path.join(dirpath, d, "__init__.py")))
        for fn in sorted(filenames):
            if not fn.endswith(".py") or fn.startswith("_") and fn != "__init__.py":
                continue
            if fn in ("this.py", "antigravity.py"):
                pass
            if fn == "__init__.py":
                if not parts:
                    continue
                mods[".".join(parts)] = (os.path.join(dirpath, fn), True)
            else:
                if any(p.startswith("_") for p in parts):
                    continue
                mods[".".join(parts + [fn[:-3]])] = (os.path.join(dirpath, fn), False)
    trees = {}
    for m, (path, _) in sorted(mods.items()):
        try:
            trees[m] = ast.parse(open(path, encoding="utf-8", errors="replace").read(), filename=path)
        except SyntaxError:
            pass
    mods = {m: v for m, v in mods.items() if m in trees}
    entities, relations, documents = [], [], []
    classes = {}  # qualified name -> (module, node)
    for m, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                classes[f"{m}.{node.name}"] = (m, node)

    def import_map(m, tree):
        """local name -> qualified target (module or module.attr)."""
        names = {}
        pkg = m if mods[m][1] else m.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        names[a.asname] = a.name
                    else:
                        names[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")
                    if node.level > 1:
                        up = up[:len(up) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:
                    names[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        return names

    def imported_modules(m, tree):
        pkg = m if mods[m][1] else m.rpartition(".")[0]
        out = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    out.add(a.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")
                    if node.level > 1:
                        up = up[:len(up) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                if f"{base}" in mods or base:
                    for a in node.names:
                        if f"{base}.{a.name}" in mods:
                            out.add(f"{base}.{a.name}")
                    out.add(base)
        return {x for x in out if x in mods and x != m}

    def resolve(expr, m, imap):
        if isinstance(expr, ast.Name):
            n = expr.id
            if f"{m}.{n}" in classes:
                return f"{m}.{n}"
            q = imap.get(n)
            if q:
                return q
            return None
        if isinstance(expr, ast.Attribute):
            parts = []
            e = expr
            while isinstance(e, ast.Attribute):
                parts.append(e.attr)
                e = e.value
            if isinstance(e, ast.Name):
                base = imap.get(e.id, e.id)
                return ".".join([base] + parts[::-1])
        return None

    def canon(q):
        """Follow re-exports: pkg.Name where pkg imports Name from pkg.sub."""
        seen = set()
        while q and q not in classes and q not in seen:
            seen.add(q)
            mod, _, name = q.rpartition(".")
            if mod in trees:
                t = imaps[mod].get(name)
                if t and t != q:
                    q = t
                    continue
            return None
        return q if q in classes else None

    imaps = {m: import_map(m, t) for m, t in trees.items()}

    def raise_rel(src_id, fn, m, relations):
        """Exceptions raised in a function body that resolve to a stdlib class (checked later)."""
        seen = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Raise) and node.exc is not None:
                e = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                q = resolve(e, m, imaps[m])
                if q and q not in seen:
                    seen.add(q)
                    relations.append(rel(src_id, "raises", "py:" + q))


    # exception classes: inherit (transitively) from a builtin exception or a stdlib exception
    bases_of = {}
    for q, (m, node) in classes.items():
        bs = []
        for b in node.bases:
            r = resolve(b, m, imaps[m])
            bs.append((r, b))
        bases_of[q] = bs
    builtin_exc = {n for n in dir(__builtins__) if isinstance(getattr(__builtins__, n, None), type) and issubclass(getattr(__builtins__, n), BaseException)} \
        if not isinstance(__builtins__, dict) else {n for n, v in __builtins__.items() if isinstance(v, type) and issubclass(v, BaseException)}
    is_exc = {}

    def exc(q, depth=0):
        if q in is_exc:
            return is_exc[q]
        if depth > 20:
            return False
        res = False
        for r, b in bases_of.get(q, []):
            if isinstance(b, ast.Name) and b.id in builtin_exc and (r is None or r == b.id):
                res = True
            elif r:
                c = canon(r)
                if c and exc(c, depth + 1):
                    res = True
            if res:
                break
        is_exc[q] = res
        return res

    for m in sorted(trees):
        tree = trees[m]
        path, is_pkg = mods[m]
        mid = "py:" + m
        ds = ast.get_docstring(tree)
        src = open(path, encoding="utf-8", errors="replace").read()
        props = {"is_package": is_pkg, "lines": src.count("\n") + 1,
                 "classes": sum(1 for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")),
                 "functions": sum(1 for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")),
                 "has_docstring": bool(ds)}
        dep = re.search(r"warnings\._deprecated\(\s*__name__\s*,\s*remove=\((\d+),\s*(\d+)\)", src)
        if dep:
            props["deprecated"] = True
            props["removed_in"] = f"{dep.group(1)}.{dep.group(2)}"
        else:
            props["deprecated"] = False
        allv = None
        for n in tree.body:
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
                try:
                    allv = ast.literal_eval(n.value)
                except Exception:
                    allv = None
        if allv is not None:
            props["exports"] = len(allv)
        summary = first_para(ds, 200).split("\n\n")[0].replace("\n", " ") if ds else ""
        entities.append(entity(mid, m, "package" if is_pkg else "module",
                               (summary or f"Python standard-library {'package' if is_pkg else 'module'} {m}."), props=props))
        if ds:
            documents.append(doc("doc:py:" + m, f"{m} ({'package' if is_pkg else 'module'})", first_para(ds, 1200), [mid],
                                 "CPython 3.11.7 Lib/" + os.path.relpath(path, lib), LICENSE))
        if "." in m:
            parent = m.rpartition(".")[0]
            if parent in mods:
                relations.append(rel(mid, "part_of", "py:" + parent))
        for t in sorted(imported_modules(m, tree)):
            if t != m.rpartition(".")[0]:
                relations.append(rel(mid, "imports", "py:" + t))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                q = f"{m}.{node.name}"
                fds = ast.get_docstring(node)
                a = node.args
                nparams = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (1 if a.vararg else 0) + (1 if a.kwarg else 0)
                fprops = {"params": nparams, "is_async": isinstance(node, ast.AsyncFunctionDef), "lineno": node.lineno,
                          "decorators": len(node.decorator_list)}
                fsum = first_para(fds, 200).split("\n\n")[0].replace("\n", " ") if fds else ""
                entities.append(entity("py:" + q, q, "function", fsum or f"Function {node.name} in {m}.", aliases=[node.name], props=fprops))
                relations.append(rel("py:" + q, "defined_in", mid))
                raise_rel("py:" + q, node, m, relations)
                if fds:
                    documents.append(doc("doc:py:" + q, f"{q}()", first_para(fds), ["py:" + q], "CPython 3.11.7 Lib/" + os.path.relpath(path, lib), LICENSE))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                q = f"{m}.{node.name}"
                cds = ast.get_docstring(node)
                kind = "exception" if exc(q) else "class"
                methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and (not n.name.startswith("_") or n.name in ("__init__", "__call__", "__enter__", "__iter__"))]
                cprops = {"methods": len(methods), "lineno": node.lineno, "bases": len(node.bases)}
                csum = first_para(cds, 200).split("\n\n")[0].replace("\n", " ") if cds else ""
                entities.append(entity("py:" + q, q, kind, csum or f"{'Exception' if kind == 'exception' else 'Class'} {node.name} in {m}.", aliases=[node.name], props=cprops))
                relations.append(rel("py:" + q, "defined_in", mid))
                if cds:
                    documents.append(doc("doc:py:" + q, f"{q} ({kind})", first_para(cds), ["py:" + q], "CPython 3.11.7 Lib/" + os.path.relpath(path, lib), LICENSE))
                for r, b in bases_of[q]:
                    c = canon(r) if r else None
                    if c and c != q:
                        relations.append(rel("py:" + q, "inherits_from", "py:" + c))
                seen_m = set()
                for n in methods:
                    if n.name in seen_m:
                        continue
                    seen_m.add(n.name)
                    mq = f"{q}.{n.name}"
                    mds = ast.get_docstring(n)
                    a = n.args
                    nparams = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (1 if a.vararg else 0) + (1 if a.kwarg else 0)
                    deco = [d.id for d in n.decorator_list if isinstance(d, ast.Name)]
                    mprops = {"params": nparams, "is_async": isinstance(n, ast.AsyncFunctionDef), "lineno": n.lineno,
                              "is_property": "property" in deco, "is_classmethod": "classmethod" in deco, "is_staticmethod": "staticmethod" in deco}
                    msum = first_para(mds, 200).split("\n\n")[0].replace("\n", " ") if mds else ""
                    entities.append(entity("py:" + mq, mq, "method", msum or f"Method {n.name} of {q}.", aliases=[f"{node.name}.{n.name}"], props=mprops))
                    relations.append(rel("py:" + mq, "method_of", "py:" + q))
                    raise_rel("py:" + mq, n, m, relations)
    ent_ids = {e["id"] for e in entities}
    # re-exports: names listed in __all__ that the module imports from another stdlib module
    for m in sorted(trees):
        allv = None
        for n in trees[m].body:
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
                try:
                    allv = ast.literal_eval(n.value)
                except Exception:
                    allv = None
        for name in sorted(set(allv or [])):
            if not isinstance(name, str):
                continue
            t = imaps[m].get(name)
            if not t:
                continue
            c = canon(t) or t
            # only classes and functions defined in another module (platform-dependent module aliases such as
            # os.path are left out)
            if "py:" + c in ent_ids and c not in trees and c.rpartition(".")[0] != m:
                relations.append(rel("py:" + m, "re_exports", "py:" + c))
    # resolve deferred raise targets
    exc_ids = {e["id"] for e in entities if e["type"] == "exception"}
    final = []
    for r in relations:
        if r["relation"] == "raises":
            q = r["target"]
            c = canon(q[3:]) if q.startswith("py:") else None
            if c and "py:" + c in exc_ids:
                r["target"] = "py:" + c
                final.append(r)
            continue
        if r["target"] in ent_ids:
            final.append(r)
    schema = [
        {"entity_type": "package", "label": "package", "plural": "packages", "aliases": ["library", "stdlib package"]},
        {"entity_type": "module", "label": "module", "plural": "modules", "aliases": ["library", "stdlib module", "submodule"]},
        {"entity_type": "class", "label": "class", "plural": "classes", "aliases": ["type", "object"]},
        {"entity_type": "exception", "label": "exception", "plural": "exceptions", "aliases": ["error", "exception class", "error class"]},
        {"entity_type": "function", "label": "function", "plural": "functions", "aliases": ["routine", "helper", "call"]},
        {"entity_type": "method", "label": "method", "plural": "methods", "aliases": ["member function"]},
        {"relation_type": "part_of", "label": "part of", "inverse": "has submodule", "aliases": ["submodule of", "inside", "package"]},
        {"relation_type": "imports", "label": "imports", "inverse": "imported by", "aliases": ["uses", "depends on", "requires"]},
        {"relation_type": "defined_in", "label": "defined in", "inverse": "defines", "aliases": ["lives in", "declared in", "module of", "from"]},
        {"relation_type": "method_of", "label": "method of", "inverse": "has method", "aliases": ["member of", "methods"]},
        {"relation_type": "inherits_from", "label": "inherits from", "inverse": "inherited by", "aliases": ["subclass of", "base class", "derives from", "extends"]},
        {"relation_type": "re_exports", "label": "re-exports", "inverse": "re-exported by", "aliases": ["exposes", "makes available", "exports"]},
        {"relation_type": "raises", "label": "raises", "inverse": "raised by", "aliases": ["throws", "can raise", "errors"]},
    ]
    write_kb(out, entities, final, documents, schema)



if __name__ == "__main__":
    main()
