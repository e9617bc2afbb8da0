// The chart's views. Each view is a function of the shown result that returns plotly traces, a
// layout and a note; a new view (costs, plans) is one more entry of VIEWS, a tab in index.html and
// its label in labels.toml [view]. Axis ranges are computed here from the drawn data, so a redraw
// (a language switch, a resize) can never leave plotly's empty default range on screen.
import { $, esc } from "./dom.js";
import { L, t, zh } from "./i18n.js";
import { referenceName } from "./results.js";
import { store } from "./store.js";

const WEDGE_COLORS = ["#8c96c6", "#bfd3e6", "#41ab5d", "#006d2c", "#2166ac", "#dfc27d", "#b2182b", "#542788", "#cccccc"];
const GRID = "#eef0f3";
const OBSERVED = "#111";

function band(x, lo, hi, color, name, show) {
  return [
    { x, y: hi, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
    { x, y: lo, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color, name, showlegend: show, hoverinfo: "skip" },
  ];
}

function milestones(extra) {
  return store.get().meta.key_years.map((y) => ({ type: "line", x0: y, x1: y, yref: "paper", y0: 0, y1: 1, line: { color: "#c0c6cf", width: 1, dash: "dot" } })).concat(extra || []);
}

// [low, high] of the finite numbers of the arrays, or null
function extent(arrays) {
  let lo = Infinity, hi = -Infinity;
  for (const a of arrays) for (const v of a || []) if (typeof v === "number" && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return lo <= hi ? [lo, hi] : null;
}

// an axis range with room around the data; from zero when the data are all positive
function padded(ext, fromZero) {
  if (!ext) return [0, 1];
  let [lo, hi] = ext;
  if (fromZero) lo = Math.min(0, lo);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.06;
  return [lo < 0 || !fromZero ? lo - pad : lo, hi + pad];
}

function yearRange(years) { return [Math.min(...years) - 0.5, Math.max(...years) + 0.5]; }

// the customary Chinese unit beside Mt and PJ: a second axis on the right, the same range scaled
function wanAxis(layout, factor, title) {
  if (!zh() || !factor) return [];
  const [lo, hi] = layout.yaxis.range;
  layout.yaxis2 = { overlaying: "y", side: "right", range: [lo * factor, hi * factor], autorange: false, showgrid: false, zeroline: false, title: { text: title } };
  layout.margin.r = Math.max(layout.margin.r, 78);
  return [{ x: [layout.xaxis.range[0]], y: [null], yaxis: "y2", showlegend: false, hoverinfo: "skip", mode: "markers" }];
}

function co2View(r, ctx) {
  const acc = ctx.accounting;
  const f = r.fan[acc];
  const s = f.scenario, b = f.reference, x = r.years;
  const ref = ctx.referenceName;
  const traces = [
    ...band(x, b.p05, b.p95, "rgba(150,150,150,0.18)", `${ref} 5–95 %`, true),
    { x, y: b.median, mode: "lines", line: { color: "#777", dash: "dash", width: 2 }, name: `${ref}, ${t("median")}` },
    ...band(x, s.p05, s.p95, "rgba(31,95,153,0.18)", "5–95 %", true),
    ...band(x, s.p25, s.p75, "rgba(31,95,153,0.35)", "25–75 %", true),
    { x, y: s.median, mode: "lines", line: { color: "#1f5f99", width: 2.5 }, name: `${t("scen")}, ${t("median")}` },
  ];
  const obs = r.observed.co2;
  let years = x, ys = [s.p05, s.p95, b.p05, b.p95];
  let note = `${t("co2_note", { ref })} ${t("accounting_note", { accounting: L("accounting", acc) })}`;
  if (acc === obs.accounting) {
    traces.push({ x: obs.years, y: obs.values, mode: "lines+markers", line: { color: OBSERVED, width: 1.5 }, marker: { size: 5, color: OBSERVED }, name: t("observed_co2") });
    years = obs.years.concat(x);
    ys = ys.concat([obs.values]);
    note += ` ${t("observed_note")}${obs.missing.length ? ` ${t("observed_missing", { missing: obs.missing.map((m) => m[store.get().lang] || m.en).join(", ") })}` : ""}`;
    const k = store.get().meta.skill;
    note += ` ${t("skill_note", { start: k.start, end: k.end, members: k.members, band: k.band, co2: k.co2_coverage, cells: k.co2_cells, elec: k.elec_coverage, years: k.elec_cells })}`;
    if (k.crps && Object.keys(k.crps).length) note += ` ${t("crps_note", { scores: Object.entries(k.crps).map(([n, v]) => `${n} ${v}`).join(", ") })}`;
  } else {
    note += ` ${t("indirect_note")} ${t("no_observed_indirect")}`;
  }
  const layout = base(t("co2_title", { accounting: L("accounting", acc) }), t("mt_co2"));
  layout.xaxis.range = yearRange(years);
  layout.yaxis.range = padded(extent(ys), true);
  layout.shapes = milestones();
  return { traces: traces.concat(wanAxis(layout, store.get().meta.wan["Mt yr-1"], t("wan_co2"))), layout, note };
}

function peakView(r, ctx) {
  const s = r.peak.scenario, b = r.peak.reference;
  const last = r.years[r.years.length - 1];
  const notPeaked = t("not_peaked", { y: last });
  const cats = s.peak_years.map(String).concat([notPeaked]);
  const ys = (row) => row.by_year.map((p) => 100 * p).concat([100 * row.not_peaked]);
  const traces = [
    { type: "bar", x: cats, y: ys(b), name: `${ctx.referenceName}: ${b.text.probability} ${t("by_year", { year: r.peak_by })}`, marker: { color: "#b8bec7" } },
    { type: "bar", x: cats, y: ys(s), name: `${t("scen")}: ${s.text.probability} ${t("by_year", { year: r.peak_by })}`, marker: { color: cats.map((c) => (c === notPeaked ? "#b42318" : "#1f5f99")) } },
  ];
  const layout = base(t("peak_title", { accounting: L("accounting", "scope1") }), "%");
  layout.barmode = "group";
  layout.xaxis = { type: "category", gridcolor: GRID, range: [-0.5, cats.length - 0.5], autorange: false };
  layout.yaxis.range = padded(extent([ys(s), ys(b)]), true);
  const after = cats.findIndex((c) => Number(c) > r.peak_by);
  layout.shapes = after >= 0 ? [{ type: "rect", x0: after - 0.5, x1: cats.length - 1.5, yref: "paper", y0: 0, y1: 1, fillcolor: "rgba(180,35,24,0.06)", line: { width: 0 } }] : [];
  const note = `${t("peak_note")} ${notPeaked}: ${s.text.not_peaked} (${ctx.referenceName} ${b.text.not_peaked}).`;
  return { traces, layout, note };
}

function eafView(r, ctx) {
  const layout = base(t("eaf_title"), t("share"));
  if (!r.eaf) {
    layout.xaxis.range = yearRange(r.years);
    layout.yaxis.range = [0, 1];
    return { traces: [], layout, note: t("no_steel") };
  }
  const s = r.eaf.bands, b = r.eaf.reference, x = r.years;
  const traces = [
    { x, y: b.median, mode: "lines", line: { color: "#777", dash: "dash", width: 2 }, name: `${ctx.referenceName}, ${t("median")}` },
    ...band(x, s.p05, s.p95, "rgba(27,120,55,0.18)", "5–95 %", true),
    ...band(x, s.p25, s.p75, "rgba(27,120,55,0.35)", "25–75 %", true),
    { x, y: s.median, mode: "lines", line: { color: "#1b7837", width: 2.5 }, name: `${t("scen")}, ${t("median")}` },
  ];
  const obs = r.observed.eaf;
  traces.push({ x: obs.years, y: obs.values, mode: "markers", marker: { color: OBSERVED, size: 7, symbol: "circle-open" }, name: t("observed_eaf") });
  const ys = [s.p05, s.p95, b.median, obs.values];
  for (const tg of r.eaf.targets) {
    traces.push({ x: [tg.year], y: [tg.threshold], mode: "markers", marker: { color: "#d73027", size: 10, symbol: "diamond" }, name: `${t("target")} ${zh() ? tg.condition_zh : tg.condition} (${tg.year})` });
    ys.push([tg.threshold]);
  }
  layout.xaxis.range = yearRange(x);
  layout.yaxis.range = padded(extent(ys), true);
  layout.shapes = milestones(r.eaf.targets.map((tg) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: tg.threshold, y1: tg.threshold, line: { color: "#d73027", dash: "dash", width: 1.2 } })));
  return { traces, layout, note: `${t("eaf_note")} ${t("observed_eaf_note")}` };
}

function energyView(r, ctx) {
  const e = r.energy, x = r.years;
  const colours = store.get().meta.carrier_colours;
  const traces = e.carriers.map((c, i) => ({ x, y: e.median[i], stackgroup: "one", name: L("carrier", c), line: { width: 0.5, color: colours[c] }, fillcolor: colours[c] }));
  const sum = (rows) => x.map((_, j) => rows.reduce((a, row) => a + (row[j] || 0), 0));
  const total = sum(e.reference);
  traces.push({ x, y: total, mode: "lines", line: { color: "#222", dash: "dash", width: 1.5 }, name: ctx.referenceName });
  const layout = base(t("energy_title"), t("pj"));
  layout.xaxis.range = yearRange(x);
  layout.yaxis.range = padded(extent([sum(e.median), total]), true);
  layout.shapes = milestones();
  let note = t("energy_note");
  if (zh() && e.wan_last) note += ` ${t("energy_wan", { year: x[x.length - 1], pj: e.total_last, wan: e.wan_last })}`;
  return { traces: traces.concat(wanAxis(layout, store.get().meta.wan["PJ yr-1"], t("wan_tce"))), layout, note };
}

function wedgesView(r, ctx) {
  const w = r.wedges, x = r.years;
  const traces = w.names.map((n, i) => ({ type: "bar", x, y: w.values[i], name: L("wedge", n), marker: { color: WEDGE_COLORS[i % WEDGE_COLORS.length] } }));
  traces.push({ x, y: w.total, mode: "lines+markers", line: { color: "#111", width: 2 }, marker: { size: 4 }, name: t("total") });
  const layout = base(t("wedges_title", { ref: ctx.referenceName, accounting: L("accounting", "scope1") }), t("mt_co2"));
  layout.barmode = "relative";
  // a relative bar stack reaches the sum of its positive and of its negative parts
  const up = x.map((_, j) => w.values.reduce((a, row) => a + Math.max(0, row[j] || 0), 0));
  const down = x.map((_, j) => w.values.reduce((a, row) => a + Math.min(0, row[j] || 0), 0));
  layout.xaxis.range = yearRange(x);
  layout.yaxis.range = padded(extent([up, down, w.total, [0]]), false);
  if (ctx.narrow) {
    layout.legend = { orientation: "h", y: -0.2, font: { size: 10 } };
  } else {
    layout.legend = { orientation: "v", x: 1.02, y: 1, font: { size: 11 } };
    layout.margin.r = 260;
  }
  return { traces, layout, note: t("wedges_note", { ref: ctx.referenceName }) };
}

// the annual cost of the shown region, stacked by item (medians), with the 5-95 % band of the
// total and the reference's median total; the note gives both present values as the report does
function costsView(r, ctx) {
  const c = r.costs, x = r.years, s = c.scenario, b = c.reference;
  const traces = s.items.map((item, i) => ({ type: "bar", x, y: s.item_median[i], name: L("cost_item", item), marker: { color: WEDGE_COLORS[i % WEDGE_COLORS.length] } }));
  traces.push(...band(x, s.total.p05, s.total.p95, "rgba(31,95,153,0.15)", "5–95 %", true));
  traces.push({ x, y: s.total.median, mode: "lines", line: { color: "#1f5f99", width: 2 }, name: `${t("scen")}, ${t("median")}` });
  traces.push({ x, y: b.total.median, mode: "lines", line: { color: "#777", dash: "dash", width: 2 }, name: `${ctx.referenceName}, ${t("median")}` });
  const layout = base(t("costs_title"), t("bn_cny"));
  layout.barmode = "relative";
  const up = x.map((_, j) => s.item_median.reduce((a, row) => a + Math.max(0, row[j] || 0), 0));
  const down = x.map((_, j) => s.item_median.reduce((a, row) => a + Math.min(0, row[j] || 0), 0));
  layout.xaxis.range = yearRange(x);
  layout.yaxis.range = padded(extent([up, down, s.total.p95, b.total.median, [0]]), true);
  const note = t("costs_note", { window: s.window, pv: s.pv, range: s.pv_range, ref: ctx.referenceName, ref_pv: b.pv, change: c.pv_change });
  return { traces, layout, note };
}

// air pollutants beside CO2 (direct + process): one panel each, median and 5-95 % of the members
// with the reference's median dashed; in Chinese in 万吨 (the server's factors, meta.wan), each
// panel's axis range from the data it draws
function pollutantsView(r, ctx) {
  const p = r.pollutants, x = r.years, wan = store.get().meta.wan;
  const co2 = r.fan.scope1;
  const panels = [{ name: "CO2", s: co2.scenario, b: co2.reference, factor: zh() ? wan["Mt yr-1"] : 1, unit: zh() ? t("wan_co2") : t("mt_co2") }]
    .concat(p.names.map((n) => ({ name: L("pollutant", n), s: p.scenario[n], b: p.reference[n], factor: zh() ? wan[p.units] : 1, unit: zh() ? t("wan_t_yr") : t("kt_yr") })));
  const layout = base(t("pollutants_title"), "");
  layout.grid = { rows: 2, columns: 2, pattern: "independent", roworder: "top to bottom", xgap: ctx.narrow ? 0.3 : 0.18, ygap: 0.3 };
  layout.margin = { l: 60, r: 20, t: 56, b: 40 };
  layout.annotations = [];
  const traces = [];
  panels.forEach((panel, i) => {
    const k = i === 0 ? "" : String(i + 1);
    const scale = (a) => (a || []).map((v) => (v === null ? null : v * panel.factor));
    const s = { p05: scale(panel.s.p05), p95: scale(panel.s.p95), median: scale(panel.s.median) };
    const b = scale(panel.b.median);
    const axes = { xaxis: `x${k}`, yaxis: `y${k}` };
    const first = i === 0;
    traces.push(...band(x, s.p05, s.p95, "rgba(31,95,153,0.18)", "5–95 %", first).map((tr) => ({ ...tr, ...axes })));
    traces.push({ x, y: s.median, mode: "lines", line: { color: "#1f5f99", width: 2 }, name: `${t("scen")}, ${t("median")}`, showlegend: first, ...axes });
    traces.push({ x, y: b, mode: "lines", line: { color: "#777", dash: "dash", width: 1.5 }, name: `${ctx.referenceName}, ${t("median")}`, showlegend: first, ...axes });
    layout[`xaxis${k}`] = { gridcolor: GRID, autorange: false, range: yearRange(x) };
    layout[`yaxis${k}`] = { gridcolor: GRID, autorange: false, range: padded(extent([s.p05, s.p95, b]), true), title: { text: esc(panel.unit), font: { size: 10 } } };
    layout.annotations.push({ text: esc(panel.name), xref: `x${k} domain`, yref: `y${k} domain`, x: 0.5, y: 1.02, xanchor: "center", yanchor: "bottom", showarrow: false, font: { size: 12 } });
  });
  const values = p.names.map((n) => {
    const c = p.card[n];
    return `${L("pollutant", n)} ${zh() && c.wan ? c.wan : `${c.text} ${t("kt_yr")}`} (${c.change})`;
  }).join("; ");
  return { traces, layout, note: t("pollutants_note", { ref: ctx.referenceName, year: p.year, values }) };
}

// the result of the session's background job of this view (jobs.js), or null (none yet, another
// kind, not done)
function jobResult(kind) {
  const { job } = store.get();
  return job && job.kind === kind && job.status === "done" ? job.result : null;
}

function empty(layout, x) {
  layout.xaxis.range = x ? yearRange(x) : [0, 1];
  layout.yaxis.range = [0, 1];
  return layout;
}

const MANY_COLORS = WEDGE_COLORS.concat(["#e08214", "#80cdc1", "#de77ae", "#7f3b08", "#4d9221", "#fdb863"]);

// the wedges per policy (sim abatement): left, the CO2 each lever avoids each year (medians of the
// member-by-member differences, stacked) and the package's; right, the abatement-cost curve
// (width: median CO2 avoided over the period; height: levelised cost without carbon payments)
function abatementView(r, ctx) {
  const a = jobResult("abatement");
  const layout = base(t("abatement_title", { accounting: L("accounting", "scope1") }), t("mt_co2"));
  if (!a) return { traces: [], layout: empty(layout, r.years), note: t("job_first") };
  const x = a.years, w = a.by_year;
  const color = (name) => MANY_COLORS[a.levers.indexOf(name) % MANY_COLORS.length];
  const traces = a.levers.map((n, i) => ({ type: "bar", x, y: w.values[i], name: L("lever", n), marker: { color: color(n) }, legendgroup: n }));
  traces.push({ x, y: w.package, mode: "lines+markers", line: { color: "#111", width: 2 }, marker: { size: 4 }, name: t("all_levers") });
  const up = x.map((_, j) => w.values.reduce((s, row) => s + Math.max(0, row[j] || 0), 0));
  const down = x.map((_, j) => w.values.reduce((s, row) => s + Math.min(0, row[j] || 0), 0));
  layout.barmode = "relative";
  layout.grid = { rows: ctx.narrow ? 2 : 1, columns: ctx.narrow ? 1 : 2, pattern: "independent", xgap: 0.15, ygap: 0.25 };
  layout.xaxis.range = yearRange(x);
  layout.yaxis.range = padded(extent([up, down, w.package, [0]]), false);
  const bars = a.curve.scope1;
  traces.push({ type: "bar", xaxis: "x2", yaxis: "y2", x: bars.map((b) => b.left + b.width / 2), width: bars.map((b) => b.width), y: bars.map((b) => b.height),
    marker: { color: bars.map((b) => color(b.lever)), line: { color: "#fff", width: 0.5 } }, hovertext: bars.map((b) => L("lever", b.lever)), textposition: "none", hoverinfo: "text+y", showlegend: false, name: t("curve") });
  const total = bars.reduce((s, b) => s + b.width, 0);
  layout.xaxis2 = { gridcolor: GRID, autorange: false, range: [0, (total || 1) * 1.04], title: { text: esc(t("curve_x", { window: a.window })), font: { size: 10 } } };
  layout.yaxis2 = { gridcolor: GRID, autorange: false, range: padded(extent([bars.map((b) => b.height), [0]]), false), title: { text: esc(t("cny_t")), font: { size: 10 } } };
  layout.annotations = [{ text: esc(t("curve")), xref: "x2 domain", yref: "y2 domain", x: 0.5, y: 1.02, xanchor: "center", yanchor: "bottom", showarrow: false, font: { size: 12 } }];
  layout.shapes = milestones();
  layout.legend = { orientation: "h", y: ctx.narrow ? -0.12 : -0.15, font: { size: 10 } };
  layout.margin.t = 64;
  const left = bars.length < a.levers.length ? ` ${t("curve_left_out")}` : "";
  return { traces, layout, note: `${t("abatement_note", { members: a.members, seed: a.seed, window: a.window })}${left}` };
}

// the plan (sim plan): every evaluated package, present cost against P(all targets), the
// non-dominated ones and the chosen one marked, the confidence as a line
function planView(r, ctx) {
  const p = jobResult("plan");
  const layout = base(t("plan_title"), t("bn_cny_pv"));
  if (!p) return { traces: [], layout: empty(layout), note: t("job_first") };
  const f = p.front;
  const pick = (mask) => f.cost.map((_, i) => i).filter((i) => mask[i]);
  const all = f.cost.map(() => true);
  const nd = pick(f.non_dominated);
  const traces = [
    { x: pick(all).map((i) => f.probability[i]), y: pick(all).map((i) => f.cost[i]), mode: "markers", marker: { color: "#b8bec7", size: 6 }, name: t("packages_evaluated") },
    { x: nd.map((i) => f.probability[i]), y: nd.map((i) => f.cost[i]), mode: "markers", marker: { color: "#1f5f99", size: 8 }, name: t("non_dominated") },
    { x: [f.probability[f.chosen]], y: [f.cost[f.chosen]], mode: "markers", marker: { color: "#d73027", size: 14, symbol: "star" }, name: t("chosen") },
  ];
  layout.xaxis.title = { text: esc(t("p_all")) };
  layout.xaxis.range = padded(extent([f.probability, [p.confidence]]), false);
  layout.yaxis.range = padded(extent([f.cost]), false);
  layout.legend = { orientation: "h", y: -0.22 };
  layout.margin.b = 56;
  layout.shapes = [{ type: "line", x0: p.confidence, x1: p.confidence, yref: "paper", y0: 0, y1: 1, line: { color: "#d73027", dash: "dash", width: 1.2 } }];
  return { traces, layout, note: t("plan_note", { members: p.members, seed: p.seed, n: p.evaluations, confidence: p.confidence, level: p.level }) };
}

export const VIEWS = { co2: co2View, peak: peakView, eaf: eafView, energy: energyView, wedges: wedgesView, costs: costsView, pollutants: pollutantsView, abatement: abatementView, plan: planView };

function base(title, ytitle) {
  return {
    title: { text: esc(title), font: { size: 13 } },
    margin: { l: 60, r: 20, t: 40, b: 40 },
    legend: { orientation: "h", y: -0.15 },
    font: { family: getComputedStyle(document.body).fontFamily, size: 12 },
    paper_bgcolor: "#fff", plot_bgcolor: "#fff",
    xaxis: { gridcolor: GRID, autorange: false },
    yaxis: { gridcolor: GRID, autorange: false, title: { text: esc(ytitle) } },
  };
}

export function drawChart() {
  const { server, view, accounting } = store.get();
  document.querySelectorAll("#tabs button[data-view]").forEach((b) => b.classList.toggle("active", b.dataset.view === view));
  document.querySelectorAll("#accounting button").forEach((b) => b.classList.toggle("active", b.dataset.accounting === accounting));
  $("accounting").hidden = view !== "co2";
  const make = VIEWS[view] || VIEWS.co2;
  const ctx = { accounting, referenceName: referenceName(server.reference), narrow: window.innerWidth < 700 };
  const { traces, layout, note } = make(server.result, ctx);
  for (const tr of traces) if (tr.name !== undefined) tr.name = esc(tr.name);
  if (ctx.narrow) { layout.title.font.size = 11; layout.margin.l = 48; }
  Plotly.react("chart", traces, layout, { displaylogo: false, responsive: true });
  $("chart-note").textContent = note;
}
