// Braid playground: talks to the REST API of the server that serves it. No external assets.
"use strict";
const $ = (id) => document.getElementById(id);
const COLORS = { graph: "var(--graph)", vector: "var(--vector)", web: "var(--web)" };
let multimodal = false;

function headers(json = true) {
  const h = json ? { "Content-Type": "application/json" } : {};
  const key = localStorage.getItem("braid-key");
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await res.json(); } catch (_) { /* not JSON */ }
  if (res.status === 401) { $("key-pick").hidden = false; }
  if (!res.ok) {
    const msg = data && data.error ? data.error.message : res.status + " " + res.statusText;
    throw new Error(msg);
  }
  return data;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function loadStatus() {
  try {
    const s = await api("GET", "/v1/status");
    const c = s.counts;
    const routes = s.routes.map((r) => r.route + (r.available ? "" : " (off: " + r.reason + ")")).join(", ");
    $("status").textContent = `${c.entities} entities · ${c.relations} relations · ${c.documents} documents · ${c.images} images · embedder ${s.embedder.name} · routes: ${routes}`;
    multimodal = !!s.embedder.multimodal;
    $("image-pick").hidden = !multimodal;
  } catch (e) {
    $("status").textContent = "status unavailable: " + e.message;
  }
}

function showMessage(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

function renderPlan(plan, sources) {
  const box = $("plan");
  box.replaceChildren();
  for (const d of plan.routes) {
    const pct = Math.round(d.score * 1000) / 10;
    const fill = el("div", { class: "fill", style: `width:${Math.max(pct, 1)}%;background:${COLORS[d.route]}` });
    const bar = el("div", { class: "bar" },
      el("span", { class: "name", text: d.route }),
      el("div", { class: "track", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct), "aria-label": d.route + " probability" }, fill),
      el("span", { class: "pct", text: pct.toFixed(1) + "%" }));
    const reasons = el("ul", { class: "reasons" });
    for (const r of d.reasons) reasons.append(el("li", { text: r }));
    const mark = d.selected ? (plan.primary === d.route ? "primary" : "selected") : (d.available ? "not selected" : "unavailable");
    box.append(el("div", { class: "route " + (d.selected ? "selected" : "unselected"), "data-route": d.route },
      bar, el("div", { class: "reasons", text: mark }), reasons));
  }
  const tbody = $("sources").querySelector("tbody");
  tbody.replaceChildren();
  for (const s of sources) {
    tbody.append(el("tr", {}, el("td", { text: s.route }), el("td", { text: s.status + (s.error ? " — " + s.error : "") }),
      el("td", { text: String(s.hits) }), el("td", { text: s.took_ms.toFixed(1) + " ms" })));
  }
  $("plan-section").hidden = false;
}

function renderResults(answer) {
  const list = $("cards");
  list.replaceChildren();
  for (const h of answer.results) {
    const card = el("li", { class: "card", "data-id": h.id, "data-kind": h.kind });
    const src = h.thumbnail || (h.kind === "web" && h.modality === "image" ? h.uri : null);
    if (src) card.append(el("img", { src, alt: h.title || h.id, loading: "lazy" }));
    const title = h.kind === "web" && h.uri ? el("a", { href: h.uri, rel: "noopener noreferrer", target: "_blank", text: h.title || h.uri }) : document.createTextNode(h.title || h.id);
    card.append(el("div", { class: "title" }, title));
    const badges = el("div", {}, el("span", { class: "badge kind", text: h.kind }));
    for (const s of h.sources) badges.append(el("span", { class: "badge " + s.route, title: `raw score ${s.score.toFixed(3)}, contribution ${s.contribution.toFixed(4)}`, text: `${s.route} #${s.rank}` }));
    card.append(badges);
    if (h.snippet) card.append(el("div", { class: "snippet", text: h.snippet }));
    if (h.facts && h.facts.length) {
      const ul = el("ul", { class: "facts" });
      for (const f of h.facts.slice(0, 4)) ul.append(el("li", { text: f }));
      card.append(ul);
    }
    card.append(el("div", { class: "meta", text: h.id + (h.uri && h.kind !== "web" ? " · " + h.uri : "") }));
    list.append(card);
  }
  // A question the graph answered exactly (a compositional plan): its answer and plan.
  const a = answer.answer;
  const exact = !a ? "" : ` · exact answer ${a.kind === "count" ? a.count : a.kind === "entities" ? `(${a.entities.length} shown of ${a.count})` : String(a.value)} by ${a.plan}`;
  $("took").textContent = `${answer.results.length} results in ${answer.took_ms.toFixed(1)} ms${exact}`;
  $("results").hidden = false;
}

async function renderGraph(answer) {
  const view = $("graph-view");
  const linked = answer.trace && answer.trace.features ? answer.trace.features.entities : [];
  if (!linked.length) { view.hidden = true; return; }
  const center = linked[0];
  let hood;
  try { hood = await api("GET", `/v1/entities/${encodeURIComponent(center.id)}/neighbors?depth=1&limit=14`); } catch (_) { view.hidden = true; return; }
  const svg = $("graph");
  svg.replaceChildren();
  const nodes = hood.entities.slice(0, 14);
  const pos = new Map([[center.id, [0, 0]]]);
  nodes.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(nodes.length, 1) - Math.PI / 2;
    pos.set(n.id, [Math.cos(a) * 150, Math.sin(a) * 115]);
  });
  for (const f of hood.facts) {
    const a = pos.get(f.source), b = pos.get(f.target);
    if (!a || !b) continue;
    svg.append(svgEl("line", { class: "edge", x1: a[0], y1: a[1], x2: b[0], y2: b[1] }));
    svg.append(svgEl("text", { class: "elabel", x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2 - 2, "text-anchor": "middle" }, f.relation));
  }
  const addNode = (id, name, cls) => {
    const [x, y] = pos.get(id);
    const g = svgEl("g", { tabindex: "0", role: "button", "aria-label": "ask about " + name });
    g.append(svgEl("circle", { class: cls, cx: x, cy: y, r: cls === "center" ? 9 : 6 }));
    g.append(svgEl("text", { x, y: y + 17, "text-anchor": "middle" }, name));
    const ask = () => { $("q").value = "Tell me about " + name; submit(); };
    g.addEventListener("click", ask);
    g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); ask(); } });
    svg.append(g);
  };
  nodes.forEach((n) => addNode(n.id, n.name, "node"));
  addNode(center.id, center.name, "center");
  view.hidden = false;
}

function readFileBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

async function submit() {
  const query = $("q").value.trim();
  const file = multimodal ? $("image").files[0] : null;
  if (!query && !file) { showMessage("Type a question first."); $("q").focus(); return; }
  const routes = [...document.querySelectorAll("input[name=route]:checked")].map((c) => c.value);
  const body = { query, k: Number($("k").value), explain: true };
  if (routes.length) body.routes = routes;
  if (file) body.image = { base64: await readFileBase64(file) };
  $("go").disabled = true;
  showMessage("");
  try {
    const answer = await api("POST", "/v1/query", body);
    renderPlan(answer.plan, answer.sources);
    renderResults(answer);
    await renderGraph(answer);
  } catch (e) {
    showMessage(e.message);
  } finally {
    $("go").disabled = false;
  }
}

$("ask").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
for (const b of document.querySelectorAll(".ex")) b.addEventListener("click", () => { $("q").value = b.textContent; submit(); });
$("key").addEventListener("change", () => { localStorage.setItem("braid-key", $("key").value); loadStatus(); });
loadStatus();
