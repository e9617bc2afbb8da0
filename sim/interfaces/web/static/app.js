// sim serve: the planner's page. Vanilla JS; plotly.js is served from the installed plotly
// package. The server (sim/interfaces/web/) runs the ensemble and returns the report's rows, with
// every number people read already formatted (the strings of `sim report`), and the figures'
// statistics; its words in both languages come from sim/core/labels.toml (/api/meta). This file
// only builds the controls, sends changes and draws: it formats no number and no condition.
"use strict";

const page = {  // read by the browser tests
  meta: null, state: null, lang: "en", view: "co2", drawnGeneration: -1,
  latencies: [], lastLatency: null, ready: false,
};
window.simPage = page;
const pending = new Map();  // "lever|sector|year" -> {edit, t0}
let inflight = false;
let preciseRunning = false;

const $ = (id) => document.getElementById(id);
// a label of sim/core/labels.toml in the page's language; a name without one is shown as it is
const L = (kind, name) => {
  const entry = page.meta && page.meta.labels[kind] && page.meta.labels[kind][name];
  return entry ? entry[page.lang] || entry.en : String(name);
};
// a word of the page (labels.toml [page]) with its {placeholders} filled
const t = (key, vars) => {
  let s = L("page", key);
  for (const [k, v] of Object.entries(vars || {})) s = s.replace(`{${k}}`, v);
  return s;
};
const zh = () => page.lang === "zh";

function showError(message) {
  const box = $("error");
  if (message) { box.textContent = message; box.hidden = false; } else { box.hidden = true; box.textContent = ""; }
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  } catch (e) {  // the server is gone or unreachable: say so, and keep the page usable
    return { status: "error", message: `${path}: ${e.message || e}` };
  }
  try { return await response.json(); } catch (e) { return { status: "error", message: `${path}: HTTP ${response.status}` }; }
}

function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}

// --- controls ------------------------------------------------------------------------------------
function sliderSpec(lv) {
  const high = lv.high === "inf" ? 3 : lv.high;
  const step = (high - lv.low) / 100;
  return { min: lv.low, max: lv.high === "inf" ? high + step : high, step, infAt: lv.high === "inf" ? high + step / 2 : null };
}
function toSlider(lv, v) {
  const s = sliderSpec(lv);
  if (v === "inf") return s.max;
  return v;
}
function fromSlider(lv, x) {
  const s = sliderSpec(lv);
  if (s.infAt !== null && x > s.infAt) return "inf";
  return Math.round(x / s.step) * s.step === x ? x : Number(x.toFixed(6));
}

function buildSelectors() {
  const m = page.meta;
  const sel = $("scenario");
  sel.innerHTML = "";
  for (const name of m.scenarios) sel.add(new Option(name, name));
  buildProvinces();
}

function buildProvinces() {
  const m = page.meta, st = page.state;
  const sel = $("province");
  sel.innerHTML = "";
  const own = st ? st.scenario.own_provinces : [];
  const ownLabel = own.length === 31 ? t("country") : own.map((p) => provinceLabel(p)).join(", ");
  sel.add(new Option(`${t("own")} (${ownLabel})`, ""));
  sel.add(new Option(t("country"), "all"));
  for (const p of m.provinces) sel.add(new Option(`${p.zh} ${p.name}`, p.name));
  if (st) sel.value = st.province;
}

function provinceLabel(name) { return L("region", name); }

function buildLevers() {
  const box = $("levers");
  box.innerHTML = "";
  for (const lv of page.meta.levers) {
    const div = document.createElement("div");
    div.className = "lever";
    div.dataset.lever = lv.name;
    div.innerHTML = `<div class="name"><span>${escapeHtml(L("lever", lv.name))}</span><span class="set"></span></div>
      <div class="meta" title="${escapeHtml(lv.description)}">${escapeHtml(`${lv.name} · ${L("unit", lv.unit)} · ${t("default")} ${lv.text.default} · ${t("range")} [${lv.text.low}, ${lv.text.high}]`)}</div>`;
    if (lv.sectors.length) {
      const sel = document.createElement("select");
      sel.className = "sector";
      sel.add(new Option(t("all_sectors"), ""));
      for (const s of lv.sectors) sel.add(new Option(L("sector", s), s));
      sel.addEventListener("change", () => showLeverValues(lv.name));
      div.appendChild(sel);
    }
    const spec = sliderSpec(lv);
    page.meta.key_years.forEach((year, i) => {
      const row = document.createElement("div");
      row.className = "row";
      row.innerHTML = `<span>${year}</span><input type="range" min="${spec.min}" max="${spec.max}" step="${spec.step}" data-year="${year}" data-i="${i}"><input type="text" data-year="${year}" data-i="${i}" aria-label="${lv.name} ${year}">`;
      const range = row.querySelector("input[type=range]");
      const text = row.querySelector("input[type=text]");
      range.addEventListener("input", (ev) => {
        const v = fromSlider(lv, Number(range.value));
        text.value = v === "inf" ? "inf" : String(v);
        queueEdit(lv.name, sectorOf(lv.name), year, v, ev.timeStamp);
      });
      text.addEventListener("change", (ev) => {
        const raw = text.value.trim();
        const num = Number(raw);
        queueEdit(lv.name, sectorOf(lv.name), year, raw !== "" && !Number.isNaN(num) ? num : raw, ev.timeStamp);
      });
      div.appendChild(row);
    });
    box.appendChild(div);
  }
}

function sectorOf(name) {
  const sel = document.querySelector(`.lever[data-lever="${name}"] select.sector`);
  return sel ? sel.value : "";
}

function showLeverValues(name, force) {
  const st = page.state;
  if (!st) return;
  const lv = page.meta.levers.find((x) => x.name === name);
  const div = document.querySelector(`.lever[data-lever="${name}"]`);
  const info = st.levers[name];
  const sector = info.levels[sectorOf(name)] ? sectorOf(name) : "";
  const values = info.levels[sector], texts = info.text[sector];
  div.querySelectorAll("input[type=range]").forEach((r) => {
    if (force || !r.matches(":active")) r.value = toSlider(lv, values[Number(r.dataset.i)]);
  });
  div.querySelectorAll("input[type=text]").forEach((x) => {
    if (force || document.activeElement !== x) x.value = texts[Number(x.dataset.i)];
  });
  div.querySelector(".set").textContent = info.set ? t("set") : "";
  const po = info.province_overrides || [];
  div.querySelector(".meta").dataset.overrides = po.length ? ` · ${t("overrides")}: ${po.map(provinceLabel).join(", ")}` : "";
  div.classList.toggle("changed", st.edits.some((e) => e.lever === name));
}

// --- changes -----------------------------------------------------------------------------------
function queueEdit(lever, sector, year, value, t0) {
  // event time stamps share performance.now()'s origin
  pending.set(`${lever}|${sector}|${year}`, { edit: { lever, sector, year, value }, t0: t0 || performance.now() });
  flush();
}

async function flush() {
  if (inflight || pending.size === 0) return;
  const items = [...pending.values()];
  pending.clear();
  inflight = true;
  setStatus(t("loading"));
  const t0 = Math.min(...items.map((x) => x.t0));
  const body = await post("/api/change", { edits: items.map((x) => x.edit) });
  inflight = false;
  handle(body, t0);
  flush();
}

async function change(data) {
  pending.clear();
  setStatus(t("loading"));
  handle(await post("/api/change", data), performance.now());
}

function handle(body, t0) {
  if (!body) return;
  if (body.status === "superseded") return;
  if (body.status === "error") {
    showError(body.message);
    if (page.state) page.meta.levers.forEach((lv) => showLeverValues(lv.name, true));
    setStatus("");
    return;
  }
  if (body.generation < page.drawnGeneration) return;  // an older answer arriving late
  showError("");
  draw(body, t0);
}

function setStatus(text) { $("status").textContent = text; }

// --- drawing ------------------------------------------------------------------------------------
function draw(state, t0) {
  const provincesChanged = !page.state || page.state.scenario.name !== state.scenario.name
    || page.state.scenario.own_provinces.join() !== state.scenario.own_provinces.join();
  page.state = state;
  page.drawnGeneration = state.generation;
  if (provincesChanged) buildProvinces();
  $("province").value = state.province;
  $("scenario").value = page.meta.scenarios.includes(state.scenario.name) ? state.scenario.name : $("scenario").value;
  drawTable();
  if (t0 !== undefined && t0 !== null) {
    page.lastLatency = performance.now() - t0;
    page.latencies.push(page.lastLatency);
  }
  drawCards();
  page.meta.levers.forEach((lv) => showLeverValues(lv.name));
  drawChart();
  const r = state.result;
  setStatus(`${state.scenario.file} · ${r.members} ${t("members")} · ${t("seed")} ${state.scenario.seed} · ${t("server")} ${r.timing_ms} ms`);
  $("precise").textContent = t(preciseRunning ? "precise_running" : "precise", { n: page.meta.precise_members });
  page.ready = true;
}

function drawTable() {
  const r = page.state.result;
  $("place").textContent = `· ${provinceLabel(r.region)} · ${page.state.scenario.name}`;
  const body = document.querySelector("#targets tbody");
  const rows = r.targets.map((row) => {
    const name = zh() && row.name_zh ? row.name_zh : row.name_en;
    const p = row.probability;
    const cls = p === null ? "" : p >= 0.9 ? "good" : p >= 0.5 ? "mid" : "bad";
    const trend = row.status === "trend" ? ` (${t("trend")})` : "";
    const x = row.text;
    return `<tr data-target="${escapeHtml(row.id)}" data-probability="${p}"><td>${escapeHtml(name)}${trend}<span class="id">${escapeHtml(row.id)}</span></td><td>${row.year}</td><td>${escapeHtml(zh() ? row.condition_zh : row.condition)}</td>`
      + `<td class="num">${escapeHtml(x.median)}</td><td class="num">${escapeHtml(x.range)}</td>`
      + `<td class="num"><span class="p ${cls}">${escapeHtml(x.probability)}</span><span class="pbar ${cls} p"><i style="width:${Math.round(100 * (p || 0))}%"></i></span></td>`
      + `<td class="num se">${escapeHtml(x.standard_error)}</td>`
      + `<td class="src">${escapeHtml(row.source)}</td></tr>`;
  });
  const admin = (r.administrative || []).map((a) => `<tr class="admin" data-target="${escapeHtml(a.id)}"><td>${escapeHtml(a.description || a.id)}<span class="id">${escapeHtml(a.id)}</span></td><td></td>`
    + `<td colspan="4" title="${escapeHtml(a.reason || "")}">${escapeHtml(t("not_simulated"))}</td><td class="src">${escapeHtml(a.source || "")}</td></tr>`);
  body.innerHTML = rows.concat(admin).join("");
}

function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

function drawCards() {
  const r = page.state.result;
  const pk = r.peak.scenario, pb = r.peak.baseline;
  $("card-peak-label").textContent = t("p_peak", { year: r.peak_by });
  $("card-peak").innerHTML = `${escapeHtml(pk.text.probability)} <span class="small" style="font-size:12px;color:#5b6878">${escapeHtml(`${t("vs")} ${pb.text.probability} ${t("baseline_short")}`)}</span>`;
  $("card-peak-year").textContent = `${pk.median} (${pk.text.range})`;
  $("card-co2-label").textContent = r.co2 ? t("co2_year", { year: r.co2.year }) : "";
  $("card-co2").textContent = r.co2 ? `${r.co2.text} ${t("mt")} (${r.co2.change})` : "–";
  $("card-run").textContent = `${r.members} ${t("members")}, ${t("seed")} ${page.state.scenario.seed}, ${r.timing_ms} ms`;
}

const WEDGE_COLORS = ["#8c96c6", "#bfd3e6", "#41ab5d", "#006d2c", "#2166ac", "#dfc27d", "#b2182b", "#542788", "#cccccc"];

function band(x, lo, hi, color, name, show) {
  return [
    { x, y: hi, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
    { x, y: lo, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color, name, showlegend: show, hoverinfo: "skip" },
  ];
}

function milestoneShapes(extra) {
  return page.meta.key_years.map((y) => ({ type: "line", x0: y, x1: y, yref: "paper", y0: 0, y1: 1, line: { color: "#c0c6cf", width: 1, dash: "dot" } })).concat(extra || []);
}

function drawChart() {
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.view === page.view));
  $("compare").classList.toggle("on", page.view === "wedges");
  const r = page.state.result;
  const x = r.years;
  let traces = [], layout = { margin: { l: 60, r: 20, t: 36, b: 40 }, legend: { orientation: "h", y: -0.15 }, font: { family: getComputedStyle(document.body).fontFamily, size: 12 }, paper_bgcolor: "#fff", plot_bgcolor: "#fff", xaxis: { gridcolor: "#eef0f3" }, yaxis: { gridcolor: "#eef0f3", rangemode: "tozero" } };
  let note = "";
  const v = page.view;
  if (v === "co2") {
    const s = r.fan.scenario, b = r.fan.baseline;
    traces = [
      ...band(x, b.p05, b.p95, "rgba(150,150,150,0.18)", `${t("baseline")} 5–95 %`, true),
      { x, y: b.median, mode: "lines", line: { color: "#777", dash: "dash", width: 2 }, name: `${t("baseline")}, ${t("median")}` },
      ...band(x, s.p05, s.p95, "rgba(31,95,153,0.18)", "5–95 %", true),
      ...band(x, s.p25, s.p75, "rgba(31,95,153,0.35)", "25–75 %", true),
      { x, y: s.median, mode: "lines", line: { color: "#1f5f99", width: 2.5 }, name: `${t("scen")}, ${t("median")}` },
    ];
    layout.title = { text: t("co2_title"), font: { size: 13 } };
    layout.yaxis.title = { text: t("mt_co2") };
    layout.shapes = milestoneShapes();
    note = t("co2_note");
  } else if (v === "peak") {
    const s = r.peak.scenario, b = r.peak.baseline;
    traces = [
      { type: "bar", x, y: b.distribution.map((p) => 100 * p), name: `${t("baseline")}: ${b.text.probability} ${t("by_year", { year: r.peak_by })}`, marker: { color: "#b8bec7" } },
      { type: "bar", x, y: s.distribution.map((p) => 100 * p), name: `${t("scen")}: ${s.text.probability} ${t("by_year", { year: r.peak_by })}`, marker: { color: "#1f5f99" } },
    ];
    layout.barmode = "group";
    layout.title = { text: t("peak_title"), font: { size: 13 } };
    layout.yaxis.title = { text: "%" };
    layout.shapes = [{ type: "rect", x0: r.peak_by + 0.5, x1: x[x.length - 1] + 0.5, yref: "paper", y0: 0, y1: 1, fillcolor: "rgba(180,35,24,0.06)", line: { width: 0 } }];
    note = `${t("peak_note")} ${t("not_peaked", { y: x[x.length - 1] })}: ${s.text.not_peaked} (${t("baseline_short")} ${b.text.not_peaked}).`;
  } else if (v === "eaf") {
    if (!r.eaf) { traces = []; note = t("no_steel"); } else {
      const s = r.eaf.bands, b = r.eaf.baseline;
      traces = [
        { x, y: b.median, mode: "lines", line: { color: "#777", dash: "dash", width: 2 }, name: `${t("baseline")}, ${t("median")}` },
        ...band(x, s.p05, s.p95, "rgba(27,120,55,0.18)", "5–95 %", true),
        ...band(x, s.p25, s.p75, "rgba(27,120,55,0.35)", "25–75 %", true),
        { x, y: s.median, mode: "lines", line: { color: "#1b7837", width: 2.5 }, name: `${t("scen")}, ${t("median")}` },
      ];
      for (const tg of r.eaf.targets) {
        traces.push({ x: [tg.year], y: [tg.threshold], mode: "markers", marker: { color: "#d73027", size: 10, symbol: "diamond" }, name: `${t("target")} ${zh() ? tg.condition_zh : tg.condition} (${tg.year})` });
      }
      layout.shapes = milestoneShapes(r.eaf.targets.map((tg) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: tg.threshold, y1: tg.threshold, line: { color: "#d73027", dash: "dash", width: 1.2 } })));
      note = t("eaf_note");
    }
    layout.title = { text: t("eaf_title"), font: { size: 13 } };
    layout.yaxis.title = { text: t("share") };
  } else if (v === "energy") {
    const e = r.energy;
    traces = e.carriers.map((c, i) => ({ x, y: e.median[i], stackgroup: "one", name: L("carrier", c), line: { width: 0.5, color: page.meta.carrier_colours[c] }, fillcolor: page.meta.carrier_colours[c] }));
    const total = x.map((_, j) => e.baseline.reduce((a, row) => a + row[j], 0));
    traces.push({ x, y: total, mode: "lines", line: { color: "#222", dash: "dash", width: 1.5 }, name: t("baseline") });
    layout.title = { text: t("energy_title"), font: { size: 13 } };
    layout.yaxis.title = { text: t("pj") };
    layout.shapes = milestoneShapes();
    note = t("energy_note");
  } else if (v === "wedges") {
    const w = r.wedges;
    traces = w.names.map((n, i) => ({ type: "bar", x, y: w.values[i], name: L("wedge", n), marker: { color: WEDGE_COLORS[i % WEDGE_COLORS.length] } }));
    traces.push({ x, y: w.total, mode: "lines+markers", line: { color: "#111", width: 2 }, marker: { size: 4 }, name: t("total") });
    layout.barmode = "relative";
    layout.title = { text: t("wedges_title"), font: { size: 13 } };
    layout.yaxis.title = { text: t("mt_co2") };
    layout.yaxis.rangemode = "normal";
    layout.legend = { orientation: "v", x: 1.02, y: 1, font: { size: 11 } };
    layout.margin.r = 260;
    note = t("wedges_note");
  }
  Plotly.react("chart", traces, layout, { displaylogo: false, responsive: true });
  $("chart-note").textContent = note;
}

function applyLanguage() {
  document.documentElement.lang = page.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("#tabs button").forEach((b) => { b.textContent = L("view", b.dataset.view); });
  $("lang").textContent = page.lang === "zh" ? "English" : "中文";
  buildLevers();
  if (page.state) { buildProvinces(); draw(page.state, null); }
}

// --- start ----------------------------------------------------------------------------------------
async function start() {
  page.meta = await api("/api/meta");
  buildSelectors();
  applyLanguage();
  $("scenario").addEventListener("change", async () => { setStatus(t("loading")); handle(await post("/api/scenario", { name: $("scenario").value }), performance.now()); });
  $("province").addEventListener("change", () => change({ province: $("province").value }));
  $("reset").addEventListener("click", () => change({ reset: true }));
  $("compare").addEventListener("click", () => { page.view = page.view === "wedges" ? "co2" : "wedges"; if (page.state) drawChart(); });
  $("lang").addEventListener("click", () => { page.lang = page.lang === "zh" ? "en" : "zh"; applyLanguage(); });
  $("downloads").addEventListener("click", () => $("download-items").classList.toggle("open"));
  $("download-items").addEventListener("click", () => $("download-items").classList.remove("open"));
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => { page.view = b.dataset.view; if (page.state) drawChart(); }));
  $("precise").addEventListener("click", async () => {
    preciseRunning = true;
    $("precise").disabled = true;
    $("precise").textContent = t("precise_running", { n: page.meta.precise_members });
    const body = await post("/api/change", { precise: true });  // the page stays usable meanwhile
    preciseRunning = false;
    $("precise").disabled = false;
    $("precise").textContent = t("precise", { n: page.meta.precise_members });
    handle(body, null);
  });
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0];
    if (!file) return;
    setStatus(t("loading"));
    const body = await api("/api/upload", { method: "POST", headers: { "X-Filename": encodeURIComponent(file.name) }, body: file });
    $("upload").value = "";
    handle(body, performance.now());
  });
  handle(await api("/api/state"), null);
}

start();
