// sim serve: the planner's page. Vanilla JS; plotly.js is served from the installed plotly
// package. The server (sim/interfaces/serve.py) runs the ensemble and returns statistics as JSON; this file
// only builds the controls, sends changes and draws.
"use strict";

const I18N = {
  en: {
    title: "Industrial decarbonisation simulator", scenario: "Scenario", upload: "Upload TOML…",
    region: "Province", reset: "Reset to scenario", compare: "Compare with baseline",
    downloads: "Downloads ▾", dl_toml: "Edited scenario (TOML)", dl_nc: "Ensemble (NetCDF)",
    dl_iamc: "IAMC table (CSV)", dl_fig: "Figures (PNG, zip)", levers: "Policy levers",
    levers_hint: "Values at the key years. Before a lever's first point it is at its default (no policy); between points it is interpolated; the last value holds after the last point.",
    p_peak: "P(industrial CO2 peaks ≤ 2030)", peak_year: "Peak year (median, 5–95 %)",
    co2_2030: "Industrial CO2 2030 vs baseline", ensemble: "Ensemble", targets: "Targets",
    t_target: "Target", t_year: "Year", t_condition: "Condition", t_median: "Median",
    t_range: "5–95 %", t_p: "P(attain)", t_source: "Seed phrase (source)",
    v_co2: "Industrial CO2", v_peak: "Peak year", v_eaf: "EAF steel", v_energy: "Energy mix",
    v_wedges: "Wedges vs baseline", own: "Scenario's own", country: "Whole country (31 provinces)",
    all_sectors: "All sectors (the lever's own points)", sector: "sector", default: "default",
    range: "range", set: "set in scenario", precise: "More precise ({n} members)",
    precise_running: "Running {n} members…", members: "members", seed: "seed", server: "server",
    baseline: "baseline (no levers)", median: "median", scen: "scenario", trend: "trend",
    co2_title: "Industrial CO2 [Mt CO2/yr]: median, 25–75 % and 5–95 % of the members",
    peak_title: "Year of the industrial-CO2 peak [% of members]",
    eaf_title: "Scrap-EAF share of crude-steel output [share]",
    energy_title: "Final energy by carrier [PJ/yr], medians stacked",
    wedges_title: "CO2 reduction against the baseline by LMDI group [Mt CO2/yr]",
    co2_note: "Grey: the same scenario without any lever (same seed and members).",
    peak_note: "A member whose CO2 is still at its maximum in the last year has not peaked.",
    eaf_note: "Red: the EAF targets of the scenario that apply here. The lever is a floor on capacity; output is limited by scrap.",
    energy_note: "The top of the stack is the sum of the carrier medians; the dashed line is the baseline's.",
    wedges_note: "Additive LMDI-I of sector medians (Ang 2005): the wedges add up to the difference of the summed sector medians.",
    no_steel: "This region makes no steel.", total: "total reduction", target: "target",
    year: "year", share: "share", not_peaked: "not peaked by {y}", peak_by: "peak year ≤ {y}",
    below_peak: "{y} below peak", change: "change", loading: "loading…",
    vs: "vs", by2030: "by 2030", mt: "Mt/yr", error_upload: "Upload failed", mt_co2: "Mt CO2/yr", pj: "PJ/yr", overrides: "province values of the scenario kept",
  },
  zh: {
    title: "工业低碳转型情景模拟", scenario: "情景", upload: "上传 TOML…", region: "省份",
    reset: "恢复情景设定", compare: "与基准情景比较", downloads: "下载 ▾",
    dl_toml: "修改后的情景（TOML）", dl_nc: "集合结果（NetCDF）", dl_iamc: "IAMC 表（CSV）",
    dl_fig: "图表（PNG，zip）", levers: "政策杠杆",
    levers_hint: "关键年份的取值。第一个设定点之前为默认值（无政策）；设定点之间线性插值；最后一个设定点之后保持不变。",
    p_peak: "工业 CO2 于 2030 年前达峰的概率", peak_year: "达峰年份（中位数，5–95 %）",
    co2_2030: "2030 年工业 CO2（与基准相比）", ensemble: "集合", targets: "目标",
    t_target: "目标", t_year: "年份", t_condition: "条件", t_median: "中位数", t_range: "5–95 %",
    t_p: "达成概率", t_source: "政策原文（来源）", v_co2: "工业 CO2", v_peak: "达峰年份",
    v_eaf: "电炉钢", v_energy: "能源结构", v_wedges: "与基准相比的减排分解",
    own: "情景自身", country: "全国（31 个省份）", all_sectors: "所有行业（杠杆自身设定）",
    sector: "行业", default: "默认", range: "范围", set: "情景已设定",
    precise: "更精确（{n} 个成员）", precise_running: "正在计算 {n} 个成员…", members: "个成员",
    seed: "随机种子", server: "服务器", baseline: "基准情景（无政策杠杆）", median: "中位数",
    scen: "情景", trend: "趋势",
    co2_title: "工业 CO2 [百万吨 CO2/年]：中位数、25–75 % 与 5–95 % 区间",
    peak_title: "工业 CO2 达峰年份 [成员占比 %]", eaf_title: "短流程（废钢电炉）炼钢占粗钢产量比例",
    energy_title: "分品种终端能源消费 [PJ/年]，中位数堆叠",
    wedges_title: "相对基准情景的 CO2 减排（LMDI 分解）[百万吨 CO2/年]",
    co2_note: "灰色：同一情景去掉全部政策杠杆（相同随机种子与成员数）。",
    peak_note: "最后一年仍处于最大值的成员视为尚未达峰。",
    eaf_note: "红色：适用于该地区的电炉钢目标。杠杆为产能下限，产量受废钢供应限制。",
    energy_note: "堆叠顶部为各品种中位数之和；虚线为基准情景。",
    wedges_note: "基于行业中位数的加法 LMDI-I 分解（Ang 2005），各部分之和等于总差值。",
    no_steel: "该地区不生产钢铁。", total: "总减排量", target: "目标", year: "年份", share: "比例",
    not_peaked: "{y} 年前未达峰", peak_by: "达峰年份 ≤ {y}", below_peak: "{y} 年低于峰值",
    change: "变化", loading: "加载中…", vs: "对比", by2030: "2030 年前", mt: "百万吨/年",
    error_upload: "上传失败", mt_co2: "百万吨 CO2/年", pj: "PJ/年", overrides: "保留情景的分省设定",
  },
};

const page = {  // read by the browser tests
  meta: null, state: null, lang: "en", view: "co2", drawnGeneration: -1,
  latencies: [], lastLatency: null, ready: false,
};
window.simPage = page;
const pending = new Map();  // "lever|sector|year" -> {edit, t0}
let inflight = false;
let preciseRunning = false;

const $ = (id) => document.getElementById(id);
const t = (key, vars) => {
  let s = (I18N[page.lang] && I18N[page.lang][key]) || I18N.en[key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replace(`{${k}}`, v);
  return s;
};
const L = (pair) => (Array.isArray(pair) ? (page.lang === "zh" ? pair[1] : pair[0]) : pair);

function showError(message) {
  const box = $("error");
  if (message) { box.textContent = message; box.hidden = false; } else { box.hidden = true; box.textContent = ""; }
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  let body = null;
  try { body = await response.json(); } catch (e) { body = { status: "error", message: `${path}: HTTP ${response.status}` }; }
  return body;
}

function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}

// --- formatting (as sim.analysis.report) ----------------------------------------------------------------
function fmtNumber(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "n/a";
  if (x === "inf") return "∞";
  const a = Math.abs(x);
  if (Number.isInteger(x) && a >= 1000) return String(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}
function fmtValue(x, row) {
  if (x === null || x === undefined) return "n/a";
  if (row.units === "year") return x.toFixed(0);
  if (row.cond.startsWith("change") || row.cond === "below_peak") return (x >= 0 ? "+" : "") + (100 * x).toFixed(1) + " %";
  return fmtNumber(x);
}
function fmtP(p) { return p === null || p === undefined ? "n/a" : (100 * p).toFixed(1) + " %"; }
function conditionText(row) {
  const y = row.year;
  if (row.cond === "peak_by") return t("peak_by", { y });
  if (row.cond === "below_peak") return t("below_peak", { y });
  if (row.cond.startsWith("change")) {
    const op = row.cond.slice(6).replace("<=", "≤").replace(">=", "≥");
    const v = (row.threshold >= 0 ? "+" : "") + (100 * row.threshold).toFixed(1) + " %";
    return `${t("change")} ${op} ${v}`;
  }
  return `${row.cond.replace("<=", "≤").replace(">=", "≥")} ${fmtNumber(row.threshold)}`;
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

function provinceLabel(name) {
  const p = page.meta.provinces.find((x) => x.name === name);
  if (!p) return name === "national" ? (page.lang === "zh" ? "全国" : "China") : name;
  return page.lang === "zh" ? p.zh : p.name;
}

function buildLevers() {
  const box = $("levers");
  box.innerHTML = "";
  for (const lv of page.meta.levers) {
    const div = document.createElement("div");
    div.className = "lever";
    div.dataset.lever = lv.name;
    const unit = page.lang === "zh" ? lv.unit_zh : lv.unit_en;
    const fmtB = (x) => (x === "inf" ? "∞" : String(x));
    div.innerHTML = `<div class="name"><span>${page.lang === "zh" ? lv.label_zh : lv.label_en}</span><span class="set"></span></div>
      <div class="meta" title="${lv.description.replace(/"/g, "&quot;")}">${lv.name} · ${unit} · ${t("default")} ${fmtB(lv.default)} · ${t("range")} [${fmtB(lv.low)}, ${fmtB(lv.high)}]</div>`;
    if (lv.sectors.length) {
      const sel = document.createElement("select");
      sel.className = "sector";
      sel.add(new Option(t("all_sectors"), ""));
      for (const s of lv.sectors) sel.add(new Option(L(page.meta.sectors[s]), s));
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
  const values = info.levels[sectorOf(name)] || info.levels[""];
  div.querySelectorAll("input[type=range]").forEach((r) => {
    if (force || !r.matches(":active")) r.value = toSlider(lv, values[Number(r.dataset.i)]);
  });
  div.querySelectorAll("input[type=text]").forEach((x) => {
    if (force || document.activeElement !== x) { const v = values[Number(x.dataset.i)]; x.value = v === "inf" ? "inf" : String(+Number(v).toPrecision(4)); }
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
    const name = page.lang === "zh" && row.name_zh ? row.name_zh : row.name_en;
    const p = row.probability;
    const cls = p === null ? "" : p >= 0.9 ? "good" : p >= 0.5 ? "mid" : "bad";
    const trend = row.status === "trend" ? ` (${t("trend")})` : "";
    return `<tr data-target="${row.id}" data-probability="${p}"><td>${escapeHtml(name)}${trend}<span class="id">${row.id}</span></td><td>${row.year}</td><td>${conditionText(row)}</td>`
      + `<td class="num">${fmtValue(row.median, row)}</td><td class="num">${fmtValue(row.p05, row)} … ${fmtValue(row.p95, row)}</td>`
      + `<td class="num"><span class="p ${cls}">${fmtP(p)}</span><span class="pbar ${cls} p"><i style="width:${Math.round(100 * (p || 0))}%"></i></span></td>`
      + `<td class="src">${escapeHtml(row.source)}</td></tr>`;
  });
  body.innerHTML = rows.join("");
}

function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

function drawCards() {
  const r = page.state.result;
  const pk = r.peak.scenario, pb = r.peak.baseline;
  $("card-peak").innerHTML = `${fmtP(pk.by_2030)} <span class="small" style="font-size:12px;color:#5b6878">${t("vs")} ${fmtP(pb.by_2030)} ${t("baseline").split(" ")[0]}</span>`;
  $("card-peak-year").textContent = `${pk.median} (${pk.p05}–${pk.p95})`;
  const i = r.years.indexOf(2030);
  const s = r.fan.scenario.p50[i], b = r.fan.baseline.p50[i];
  $("card-co2").textContent = `${s.toFixed(1)} ${t("mt")} (${((s / b - 1) * 100).toFixed(1)} %)`;
  $("card-run").textContent = `${r.members} ${t("members")}, ${t("seed")} ${page.state.scenario.seed}, ${r.timing_ms} ms`;
}

const COLORS = { coal: "#4d4d4d", oil: "#8c510a", gas: "#dfc27d", electricity: "#2166ac", heat: "#d6604d", hydrogen: "#35978f", biomass: "#7fbc41" };
const WEDGE_COLORS = ["#8c96c6", "#bfd3e6", "#41ab5d", "#006d2c", "#2166ac", "#dfc27d", "#b2182b", "#542788", "#cccccc"];

function band(x, lo, hi, color, name, show) {
  return [
    { x, y: hi, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
    { x, y: lo, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color, name, showlegend: show, hoverinfo: "skip" },
  ];
}

function milestoneShapes(extra) {
  return [2025, 2030, 2035].map((y) => ({ type: "line", x0: y, x1: y, yref: "paper", y0: 0, y1: 1, line: { color: "#c0c6cf", width: 1, dash: "dot" } })).concat(extra || []);
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
      { x, y: b.p50, mode: "lines", line: { color: "#777", dash: "dash", width: 2 }, name: `${t("baseline")}, ${t("median")}` },
      ...band(x, s.p05, s.p95, "rgba(31,95,153,0.18)", "5–95 %", true),
      ...band(x, s.p25, s.p75, "rgba(31,95,153,0.35)", "25–75 %", true),
      { x, y: s.p50, mode: "lines", line: { color: "#1f5f99", width: 2.5 }, name: `${t("scen")}, ${t("median")}` },
    ];
    layout.title = { text: t("co2_title"), font: { size: 13 } };
    layout.yaxis.title = { text: t("mt_co2") };
    layout.shapes = milestoneShapes();
    note = t("co2_note");
  } else if (v === "peak") {
    const s = r.peak.scenario, b = r.peak.baseline;
    traces = [
      { type: "bar", x, y: b.probability.map((p) => 100 * p), name: `${t("baseline")}: ${fmtP(b.by_2030)} ${t("by2030")}`, marker: { color: "#b8bec7" } },
      { type: "bar", x, y: s.probability.map((p) => 100 * p), name: `${t("scen")}: ${fmtP(s.by_2030)} ${t("by2030")}`, marker: { color: "#1f5f99" } },
    ];
    layout.barmode = "group";
    layout.title = { text: t("peak_title"), font: { size: 13 } };
    layout.yaxis.title = { text: "%" };
    layout.shapes = [{ type: "rect", x0: 2030.5, x1: x[x.length - 1] + 0.5, yref: "paper", y0: 0, y1: 1, fillcolor: "rgba(180,35,24,0.06)", line: { width: 0 } }];
    note = `${t("peak_note")} ${t("not_peaked", { y: x[x.length - 1] })}: ${fmtP(s.not_peaked)} (${t("baseline").split(" ")[0]} ${fmtP(b.not_peaked)}).`;
  } else if (v === "eaf") {
    if (!r.eaf) { traces = []; note = t("no_steel"); } else {
      const s = r.eaf.bands, b = r.eaf.baseline;
      traces = [
        { x, y: b.p50, mode: "lines", line: { color: "#777", dash: "dash", width: 2 }, name: `${t("baseline")}, ${t("median")}` },
        ...band(x, s.p05, s.p95, "rgba(27,120,55,0.18)", "5–95 %", true),
        ...band(x, s.p25, s.p75, "rgba(27,120,55,0.35)", "25–75 %", true),
        { x, y: s.p50, mode: "lines", line: { color: "#1b7837", width: 2.5 }, name: `${t("scen")}, ${t("median")}` },
      ];
      for (const tg of r.eaf.targets) {
        traces.push({ x: [tg.year], y: [tg.threshold], mode: "markers", marker: { color: "#d73027", size: 10, symbol: "diamond" }, name: `${t("target")} ${tg.condition} ${tg.threshold} (${tg.year})` });
      }
      layout.shapes = milestoneShapes(r.eaf.targets.map((tg) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: tg.threshold, y1: tg.threshold, line: { color: "#d73027", dash: "dash", width: 1.2 } })));
      note = t("eaf_note");
    }
    layout.title = { text: t("eaf_title"), font: { size: 13 } };
    layout.yaxis.title = { text: t("share") };
  } else if (v === "energy") {
    const e = r.energy;
    traces = e.carriers.map((c, i) => ({ x, y: e.median[i], stackgroup: "one", name: L(page.meta.carriers[c]), line: { width: 0.5, color: COLORS[c] }, fillcolor: COLORS[c] }));
    const total = x.map((_, j) => e.baseline.reduce((a, row) => a + row[j], 0));
    traces.push({ x, y: total, mode: "lines", line: { color: "#222", dash: "dash", width: 1.5 }, name: t("baseline") });
    layout.title = { text: t("energy_title"), font: { size: 13 } };
    layout.yaxis.title = { text: t("pj") };
    layout.shapes = milestoneShapes();
    note = t("energy_note");
  } else if (v === "wedges") {
    const w = r.wedges;
    const names = page.lang === "zh" ? page.meta.wedges_zh : w.names;
    traces = w.names.map((n, i) => ({ type: "bar", x, y: w.values[i], name: names[i], marker: { color: WEDGE_COLORS[i % WEDGE_COLORS.length] } }));
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
