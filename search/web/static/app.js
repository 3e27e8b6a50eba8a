// The page of `patentcl serve`: plain JavaScript over the JSON API (no build step). Every value
// from the graph is put into the page as text (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const PATENT_NUMBER = /^[A-Za-z]{0,2}[\d,]{4,}[A-Za-z]?\d?$/;
let lastSimilar = null; // URL parameters of the last search (downloads, "show the Cypher")

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function codeChip(code, titles, shared) {
  return el("span", { class: "code" + (shared && shared.has(code) ? " shared" : ""),
                      title: (titles && titles[code]) || "no title in the graph", text: code });
}

function searchParams() {
  const q = $("q").value.trim();
  const params = new URLSearchParams();
  params.set(PATENT_NUMBER.test(q) ? "id" : "text", q);
  params.set("k", $("k").value || "10");
  for (const name of ["cpc", "date_from", "date_to"]) if ($(name).value) params.set(name, $(name).value);
  for (const name of ["same_subclass", "exclude_cited"]) if ($(name).checked) params.set(name, "true");
  return params;
}

async function search(event) {
  if (event) event.preventDefault();
  showError("");
  const params = searchParams();
  $("search-go").disabled = true;
  try {
    const answer = await api(`/api/similar?${params}`);
    lastSimilar = params;
    renderResults(answer);
    if (answer.anchor) openPatent(answer.anchor.id, answer);
  } catch (error) {
    showError(error.message);
  } finally {
    $("search-go").disabled = false;
  }
}

function renderResults(answer) {
  const shared = new Set(answer.anchor ? answer.anchor.codes : []);
  $("results-panel").hidden = false;
  $("cypher").hidden = true;
  $("results-title").textContent = answer.anchor
    ? `Nearest to ${answer.anchor.id}: ${answer.anchor.title || ""}` : "Nearest to the text";
  $("download-csv").href = `/api/similar?${lastSimilar}&format=csv`;
  $("download-json").href = `/api/similar?${lastSimilar}&format=json`;
  const list = $("results");
  list.replaceChildren(...answer.hits.map((hit) => el("li", { class: "result" },
    el("div", {},
      el("span", { class: "score", title: "cosine similarity", text: hit.similarity.toFixed(3) }), " ",
      el("a", { class: "title open", href: `#patent/${encodeURIComponent(hit.id)}`, text: hit.title || hit.id,
                onclick: (e) => { e.preventDefault(); openPatent(hit.id); } }), " ",
      hit.citation ? el("span", { class: "cite", title: hit.citation === "cites"
        ? "the query patent cites it" : "it cites the query patent",
        text: hit.citation === "cites" ? "cited" : "cites query" }) : null),
    el("div", { class: "meta" },
      el("a", { href: hit.url, target: "_blank", rel: "noopener noreferrer", text: hit.id }), ` · ${hit.date || "no date"}`),
    el("div", {}, ...hit.codes.map((code) => codeChip(code, answer.titles, shared))))));
  const how = answer.method === "index" ? `vector index, ${answer.fetched} candidates` : "exact scan over the filtered patents";
  $("results-note").textContent = `${answer.hits.length} of ${answer.request.k} · ${how} · ` +
    `query ${answer.query.query} v${answer.query.version} (${answer.query.dialect}), sha256 ${answer.query.sha256.slice(0, 12)}…` +
    (answer.hits.length < answer.request.k ? " · fewer patents pass the filters" : "");
}

async function showCypher() {
  if (!lastSimilar) return;
  try {
    const answer = await api(`/api/similar?${lastSimilar}&show_query=true`);
    $("cypher").textContent = answer.cypher;
    $("cypher").hidden = false;
  } catch (error) {
    showError(error.message);
  }
}

async function openPatent(id, neighbours) {
  showError("");
  try {
    const [patent, near] = await Promise.all([
      api(`/api/patents/${encodeURIComponent(id)}`),
      neighbours || api(`/api/similar?${new URLSearchParams({ id, k: "10" })}`),
    ]);
    renderPatent(patent, near);
    history.replaceState(null, "", `#patent/${encodeURIComponent(patent.id)}`);
  } catch (error) {
    showError(error.message);
  }
}

function renderPatent(patent, near) {
  $("patent").hidden = false;
  $("patent-title").textContent = patent.title || patent.id;
  $("patent-id").textContent = patent.id;
  $("patent-date").textContent = patent.date || "no date";
  $("patent-link").href = patent.url;
  $("patent-search").onclick = (e) => { e.preventDefault(); $("q").value = patent.id; search(); };
  $("patent-abstract").textContent = patent.abstract || "(no abstract in the graph)";
  $("patent-cpc").replaceChildren(...patent.codes.map((code) => el("li", {},
    ...code.path.flatMap((step, i) => [i ? el("span", { class: "sep", text: ">" }) : null,
      el("span", { class: "code", title: `${step.level}: ${step.title || "no title in the graph"}`, text: step.code })]))));
  $("patent-citations").textContent = `cites ${patent.cites.length} patent(s) in the graph, cited by ${patent.cited_by.length}`;
  const own = new Set(patent.codes.map((c) => c.code));
  $("neighbours").replaceChildren(...near.hits.map((hit) => el("li", {},
    el("span", { class: "score", text: hit.similarity.toFixed(3) }), " ",
    el("a", { href: `#patent/${encodeURIComponent(hit.id)}`, text: hit.title || hit.id,
              onclick: (e) => { e.preventDefault(); openPatent(hit.id); } }), " ",
    ...hit.codes.filter((c) => own.has(c)).map((c) => codeChip(c, near.titles, own)))));
  drawGraph(patent, near);
}

function drawGraph(patent, near) {
  if (typeof cytoscape !== "function") return;
  const elements = [{ data: { id: patent.id, label: patent.id, kind: "anchor" } }];
  const codes = new Set();
  for (const hit of near.hits) {
    elements.push({ data: { id: hit.id, label: hit.id, kind: "patent" } });
    elements.push({ data: { id: `s:${hit.id}`, source: patent.id, target: hit.id, kind: "similar",
                            weight: Math.max(0.5, 6 * hit.similarity - 2) } });
    for (const code of hit.shared_codes) {
      if (!codes.has(code)) {
        codes.add(code);
        elements.push({ data: { id: `c:${code}`, label: code, kind: "cpc" } });
        elements.push({ data: { id: `a:${code}`, source: patent.id, target: `c:${code}`, kind: "classified" } });
      }
      elements.push({ data: { id: `h:${hit.id}:${code}`, source: hit.id, target: `c:${code}`, kind: "classified" } });
    }
  }
  const graph = cytoscape({
    container: $("graph"), elements, wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 9, "text-valign": "bottom", width: 14, height: 14,
                                   "background-color": "#1f5fbf" } },
      { selector: "node[kind = 'anchor']", style: { "background-color": "#d9480f", width: 22, height: 22 } },
      { selector: "node[kind = 'cpc']", style: { shape: "round-rectangle", "background-color": "#e0b400", width: 12, height: 12 } },
      { selector: "edge[kind = 'similar']", style: { width: "data(weight)", "line-color": "#9bb5e0" } },
      { selector: "edge[kind = 'classified']", style: { width: 1, "line-color": "#e9d38a", "line-style": "dashed" } },
    ],
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 6000 },
  });
  graph.on("tap", "node[kind = 'patent']", (event) => openPatent(event.target.id()));
}

async function suggest() {
  showError("");
  const body = { text: $("suggest-text").value, level: $("suggest-level").value };
  if ($("suggest-k").value) body.k = Number($("suggest-k").value);
  $("suggest-go").disabled = true;
  try {
    const answer = await api("/api/suggest-cpc", { method: "POST", headers: { "content-type": "application/json" },
                                                   body: JSON.stringify(body) });
    $("suggestions").replaceChildren(...answer.suggestions.map((s) => el("li", {},
      el("span", { class: "bar", style: `width:${Math.round(60 * s.score)}px` }),
      el("span", { class: "code", title: s.title || "no title in the graph", text: s.code }),
      ` ${(100 * s.score).toFixed(0)}% · ${s.votes}/${answer.k} neighbours · `,
      el("span", { text: s.title || "" }))));
    $("suggest-note").textContent = (answer.suggestions.length ? "" : "No code reaches the threshold. ") +
      `k=${answer.k}, threshold ${answer.threshold.toFixed(2)} (${answer.calibrated ? "calibrated" : "given or default"})`;
  } catch (error) {
    showError(error.message);
  } finally {
    $("suggest-go").disabled = false;
  }
}

async function start() {
  $("search-form").addEventListener("submit", search);
  $("show-cypher").addEventListener("click", showCypher);
  $("suggest-go").addEventListener("click", suggest);
  try {
    const health = await api("/api/health");
    $("status").textContent = `${health.engine} · ${health.patents_with_vectors.toLocaleString()} patents with vectors` +
      (health.text_search ? "" : ` · text search off: ${health.text_search_problem}`);
  } catch (error) {
    showError(error.message);
  }
  const match = location.hash.match(/^#patent\/(.+)$/);
  if (match) openPatent(decodeURIComponent(match[1]));
}

start();
