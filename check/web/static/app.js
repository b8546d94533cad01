// The barprop page: pick an exercise or paste a spec, check the work, show each row as math with
// its verdict. Every piece of user or server text reaches the page through textContent or KaTeX
// (trust off), never as an HTML string; the graph's SVG is parsed and cleaned before it is shown.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_UPLOAD = 1000000;
const SHOWN = { correct: "correct", incorrect: "incorrect", undecided: "needs review" };
let exercises = [];
const hintsSeen = new Map();     // "exercise/part" -> the highest hint level shown

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function math(latex, fallback) {
  const span = el("span", "math");
  if (latex && window.katex) {
    try {
      katex.render(latex, span, { throwOnError: false, trust: false, strict: "ignore", maxSize: 20, maxExpand: 200 });
      return span;
    } catch (e) { /* shown as text below */ }
  }
  span.textContent = fallback || latex || "";
  return span;
}

function number(v) {
  if (v === null || v === undefined) return "undefined";
  if (Array.isArray(v)) return "[" + v.map(number).join(", ") + "]";
  return Number(v).toPrecision(6).replace(/\.?0+(e|$)/, "$1");
}

function setStatus(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

async function api(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  let doc = null;
  try { doc = await r.json(); } catch (e) { doc = { error: { message: "the server sent no JSON (status " + r.status + ")" } }; }
  return { status: r.status, doc };
}

function request() {
  const body = { text: $("text").value, format: $("format").value, lang: $("lang").value, seed: 0 };
  const ex = $("exercise").value;
  if (ex) {
    body.exercise = ex;
    body.part = $("part").value;
  } else {
    body.spec = $("spec").value;
    body.mode = $("mode").value;
    if ($("wrt").value.trim()) body.wrt = $("wrt").value.trim();
    if (body.mode === "steps" && !body.spec.trim()) delete body.spec;
  }
  return body;
}

function errorText(doc) {
  const e = (doc && doc.error) || {};
  const where = e.line ? "line " + e.line + (e.col ? ":" + e.col : "") + ": " : "";
  return where + (e.message || "unknown error");
}

function clearOutput() {
  $("verdict").textContent = "";
  $("verdict").className = "";
  $("rows").replaceChildren();
  $("summary").replaceChildren();
  $("graph").replaceChildren();
  $("graph-box").hidden = true;
}

async function check() {
  clearOutput();
  const body = request();
  if (!body.text.trim()) { setStatus("Type or upload your work first.", true); return; }
  setStatus("Checking…");
  const [read, result] = await Promise.all([api("/api/read", body), api("/api/check", body)]);
  if (result.status !== 200) { setStatus(errorText(result.doc), true); return; }
  setStatus("");
  show(read.status === 200 ? read.doc : { rows: [] }, result.doc, body);
  const mark = wrongAdjoint(result.doc);
  if (body.exercise || (body.spec && body.spec.trim())) {
    const pic = await api("/api/graph", { exercise: body.exercise, spec: body.spec, mark: mark });
    if (pic.status === 200) showGraph(pic.doc);
  }
}

// A hint one level further each time (1 a nudge, 2 where, 3 which rule, 4 the fixed line). The
// levels seen are written into the work as `# hints-seen: PART=LEVEL` (`%` in LaTeX), the line
// grading reads to charge the exercise's hint cost; with "self-check" ticked nothing is written.
async function hint() {
  const body = request();
  if (!body.text.trim()) { setStatus("Type or upload your work first.", true); return; }
  const key = (body.exercise || "") + "/" + (body.part || body.mode);
  body.level = Math.min(4, (hintsSeen.get(key) || 0) + 1);
  setStatus("Looking for a hint…");
  const r = await api("/api/hint", body);
  if (r.status !== 200) { setStatus(errorText(r.doc), true); return; }
  setStatus("");
  hintsSeen.set(key, r.doc.level);
  const box = $("hint-box");
  box.replaceChildren(el("span", "level", "Hint " + r.doc.level + "/4:"), el("span", "text", r.doc.text));
  if (r.doc.latex) { box.appendChild(document.createTextNode(" ")); box.appendChild(math(r.doc.latex, "")); }
  box.hidden = false;
  if (r.doc.part && !$("self-check").checked) recordHint(r.doc.part, r.doc.level);   // self-check: practice, no record
}

function recordHint(part, level) {
  const text = $("text").value;
  const mark = /\\[A-Za-z]|\$/.test(text) ? "%" : "#";
  const seen = new RegExp("^[ \\t]*[#%]+[ \\t]*hints-seen[ \\t]*:[ \\t]*" + part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "=\\d+[ \\t]*\\n?", "im");
  $("text").value = mark + " hints-seen: " + part + "=" + level + "\n" + text.replace(seen, "");
}

function items(doc) {
  return doc.items ? doc.items : [doc];
}

function wrongAdjoint(doc) {
  if (doc.kind === "adjoints") return doc.first_wrong || null;
  if (!doc.kind && doc.verdict === "incorrect") return doc.target;
  return null;
}

function firstWrongLine(doc, list) {
  if (doc.kind === "steps") return doc.first_wrong;
  if (doc.kind === "adjoints") {
    const hit = list.find((i) => i.target === doc.first_wrong && i.verdict === "incorrect");
    return hit ? hit.line : null;
  }
  return doc.verdict === "incorrect" ? (doc.line || "first") : null;
}

function show(read, doc, body) {
  const list = items(doc);
  const verdict = $("verdict");
  verdict.className = doc.verdict;
  let score = "";
  if (doc.max_score !== undefined) score = " (" + Number(doc.score.toFixed(3)) + "/" + doc.max_score + ")";
  verdict.textContent = "Verdict: " + SHOWN[doc.verdict] + score;
  const byLine = new Map();
  for (const it of list) {
    const line = it.line || (read.rows[0] && read.rows[0].line);
    if (!byLine.has(line)) byLine.set(line, []);
    byLine.get(line).push(it);
  }
  let wrong = firstWrongLine(doc, list);
  if (wrong === "first") wrong = read.rows[0] ? read.rows[0].line : null;
  const shown = new Set();
  for (const row of read.rows) {
    if (shown.has(row.line)) continue;
    shown.add(row.line);
    $("rows").appendChild(rowItem(row, byLine.get(row.line) || [], row.line === wrong, read.format));
  }
  for (const [line, its] of byLine) {
    if (!shown.has(line)) $("rows").appendChild(rowItem({ line: line, lhs: null, rhs: "" }, its, line === wrong, read.format));
  }
  summary(doc);
}

function rowItem(row, its, first, format) {
  const li = el("li");
  li.dataset.line = row.line;
  const worst = its.find((i) => i.verdict === "incorrect") || its.find((i) => i.verdict === "undecided") || its[0];
  if (worst) {
    li.classList.add(worst.verdict);
    li.appendChild(el("span", "badge", SHOWN[worst.verdict]));
  }
  if (first) li.classList.add("first-wrong");
  li.appendChild(el("span", "lineno", "line " + row.line));
  const written = (row.lhs ? row.lhs + " = " : row.lhs === null && row.rhs ? "= " : "") + (row.rhs || "");
  if (row.latex) li.appendChild(math(row.latex, written));
  else if (format === "latex" && written) li.appendChild(math(written, written));
  else li.appendChild(el("span", "math plain", written));
  if (written) li.appendChild(el("span", "written", "you wrote: " + written));
  if (row.error && !its.length) li.appendChild(el("span", "diagnosis", "cannot read: " + row.error.message));
  for (const it of its) {
    if (first && it.verdict === "incorrect") li.appendChild(el("span", "first-wrong-label", "first wrong line"));
    const d = it.diagnosis;
    if (d) {
      const p = el("span", "diagnosis");
      p.appendChild(el("span", "kind", d.kind));
      p.appendChild(document.createTextNode((its.length > 1 ? it.target + ": " : "") + d.message));
      li.appendChild(p);
      if (d.fix) {
        const f = el("span", "fix", "fix: ");
        f.appendChild(math(d.fix.latex, d.fix.text));
        li.appendChild(f);
      }
    }
    const c = it.counterexample;
    if (c) {
      const at = Object.entries(c.at).map(([k, v]) => k + " = " + number(v)).join(", ");
      const sizes = c.sizes ? Object.entries(c.sizes).map(([k, v]) => k + " = " + v).join(", ") + "; " : "";
      li.appendChild(el("span", "counterexample",
        "counterexample: at " + sizes + at + ": expected " + number(c.expected) + ", got " + number(c.got)));
    }
  }
  return li;
}

function summary(doc) {
  const box = $("summary");
  if (doc.missing && doc.missing.length) box.appendChild(el("p", "missing", "missing: " + doc.missing.join(", ")));
  if (doc.extra && doc.extra.length) box.appendChild(el("p", "extra", "extra: " + doc.extra.join(", ")));
  if (doc.global && Object.keys(doc.global).length) {
    const wrong = Object.entries(doc.global).filter(([, v]) => !v.correct).map(([k]) => k);
    box.appendChild(el("p", "global", "final gradients from your own lines: " + (wrong.length ? "wrong for " + wrong.join(", ") : "all right")));
  }
  if (doc.first_wrong !== null && doc.first_wrong !== undefined) {
    box.appendChild(el("p", "first", "first wrong: " + (doc.kind === "steps" ? "line " : "") + doc.first_wrong));
  }
}

function showGraph(doc) {
  const parsed = new DOMParser().parseFromString(doc.svg, "image/svg+xml");
  const svg = parsed.documentElement;
  if (!svg || svg.nodeName !== "svg") return;
  svg.querySelectorAll("script, foreignObject, a").forEach((n) => n.remove());
  svg.querySelectorAll("*").forEach((n) => {
    for (const a of Array.from(n.attributes)) if (/^on/i.test(a.name) || /href/i.test(a.name)) n.removeAttribute(a.name);
  });
  const marked = new Set(doc.marked || []);
  svg.querySelectorAll("g.edge").forEach((g) => {
    const t = g.querySelector("title");
    if (t && marked.has(t.textContent.replace("\u2212", "-"))) g.classList.add("marked");
  });
  $("graph").appendChild(document.importNode(svg, true));
  $("graph-box").hidden = false;
}

function fillParts() {
  const ex = exercises.find((e) => e.id === $("exercise").value);
  const part = $("part");
  part.replaceChildren();
  document.querySelector(".row.own").hidden = !!ex;
  part.disabled = !ex;
  $("spec").readOnly = !!ex;
  $("conventions").textContent = ex ? ex.conventions : "";
  $("conventions-box").hidden = !ex || !ex.conventions;
  if (!ex) { $("prompt").textContent = ""; return; }
  $("spec").value = ex.spec;
  for (const p of ex.parts) {
    const o = el("option", null, p.id + " (" + p.points + " pt)");
    o.value = p.id;
    part.appendChild(o);
  }
  showPrompt();
}

function showPrompt() {
  const ex = exercises.find((e) => e.id === $("exercise").value);
  const p = ex && ex.parts.find((q) => q.id === $("part").value);
  $("prompt").textContent = p ? p.prompt : "";
}

function upload() {
  const f = $("upload").files[0];
  if (!f) return;
  if (f.size > MAX_UPLOAD) { setStatus("That file is larger than 1 MB.", true); return; }
  const r = new FileReader();
  r.onload = () => { $("text").value = r.result; setStatus("Loaded " + f.name + "."); };
  r.onerror = () => setStatus("Cannot read " + f.name + ".", true);
  r.readAsText(f);
}

async function start() {
  $("exercise").addEventListener("change", fillParts);
  $("part").addEventListener("change", showPrompt);
  $("upload").addEventListener("change", upload);
  $("check").addEventListener("click", () => check().catch((e) => setStatus("Error: " + e.message, true)));
  $("hint").addEventListener("click", () => hint().catch((e) => setStatus("Error: " + e.message, true)));
  try {
    const r = await fetch("/api/exercises");
    exercises = (await r.json()).exercises;
  } catch (e) {
    setStatus("Cannot list the exercises: " + e.message, true);
  }
  for (const ex of exercises) {
    const o = el("option", null, ex.id + " — " + ex.title);
    o.value = ex.id;
    $("exercise").appendChild(o);
  }
  fillParts();
  document.body.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", start);
