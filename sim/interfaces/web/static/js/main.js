// sim serve: the planner's page (ES modules; plotly.js is served from the installed plotly
// package, nothing from a CDN). The server (sim/interfaces/web/) runs the ensemble and returns the
// report's rows with every number people read already formatted (the strings of `sim report`),
// and the figures' statistics; the page's words in both languages come from
// sim/core/labels.toml (/api/meta). This module wires the controls to the state store
// (store.js) and the server; the other modules draw: they format no number and no condition.
import { post, request } from "./api.js";
import { drawChart } from "./charts.js";
import { $, fill, h } from "./dom.js";
import { applyStaticWords, browserLanguage, L, t } from "./i18n.js";
import { cancelJob, drawJob, JOB_VIEWS, restoreJob, startJob } from "./jobs.js";
import { buildLevers, leverWords, showLevers, toPosition } from "./levers.js";
import { drawCards, drawTable, referenceName } from "./results.js";
import { store } from "./store.js";
import { addressOf, readAddress } from "./url.js";

const LANGS = ["en", "zh"];
const ACCOUNTINGS = ["scope1", "scope1+2"];

// what the browser tests read (a view of the store, and the latencies of changes)
const page = {
  latencies: [], lastLatency: null,
  get ready() { return store.get().ready; },
  get view() { return store.get().view; },
  get lang() { return store.get().lang; },
  get drawnGeneration() { return store.get().drawnGeneration; },
  get state() { return store.get().server; },
  get busy() { return store.get().busy !== null; },
  get job() { return store.get().job; },
  // the slider position of a lever's value (its scale: levers.js)
  position: (name, value) => toPosition(store.get().meta.levers.find((lv) => lv.name === name), value),
};
window.simPage = page;

// --- requests -----------------------------------------------------------------------------------
// Lever edits wait here while a change runs; the next request sends all of them at once.
function queueEdit(lever, sector, year, value, t0) {
  const { queue } = store.get();
  // event time stamps share performance.now()'s origin
  store.set({ queue: { ...queue, [`${lever}|${sector}|${year}`]: { edit: { lever, sector, year, value }, t0: t0 || performance.now() } } });
  flush();
}

async function flush() {
  const { queue, inflight } = store.get();
  const items = Object.values(queue);
  if (inflight || items.length === 0) return;
  store.set({ queue: {} });
  const t0 = Math.min(...items.map((x) => x.t0));
  await send("/api/change", { edits: items.map((x) => x.edit) }, t0);
  flush();
}

// one request that changes what is shown: the page marks its numbers stale meanwhile, and is
// never left waiting (api.js turns every failure into an error answer)
async function send(path, data, t0, options) {
  store.set({ inflight: true, busy: { since: performance.now(), expected: expectedMs() }, error: null });
  let body;
  try {
    body = options ? await request(path, options) : await post(path, data);
  } catch (e) {  // not expected (request() does not throw): the page must still recover
    body = { status: "error", code: "network", message: String((e && e.message) || e) };
  } finally {
    store.set({ inflight: false });
  }
  handle(body, t0);
  if (!store.get().inflight && Object.keys(store.get().queue).length === 0) store.set({ busy: null });
}

function expectedMs() {
  const st = store.get().server;
  return st && st.result ? st.result.timing_ms : null;
}

function handle(body, t0) {
  if (!body || body.status === "superseded") return;
  if (body.status !== "ok") {
    store.set({ error: { code: body.code || "request", message: body.message || "" } });
    if (store.get().server) showLevers(true);  // back to the values the server has
    return;
  }
  if (body.generation < store.get().drawnGeneration) return;  // an older answer arriving late
  store.set({ server: body, drawnGeneration: body.generation });  // draws table, cards and chart
  if (t0 !== undefined && t0 !== null) {
    page.lastLatency = performance.now() - t0;
    page.latencies.push(page.lastLatency);
  }
}

function act(path, data) { return send(path, data, performance.now()); }

// --- drawing (store subscribers) -------------------------------------------------------------------
function drawServer() {
  const st = store.get().server;
  buildProvinces();
  $("scenario").value = st.scenario.key;
  if ($("scenario").value !== st.scenario.key) $("scenario").value = "";
  drawTable();
  drawCards();
  showLevers(false);
  drawReference();
  drawChart();
  const r = st.result;
  $("status").textContent = `${st.scenario.file} · ${r.members} ${t("members")} · ${t("seed")} ${st.scenario.seed} · ${t("server")} ${r.timing_ms} ms`;
  drawPrecise();
  if (!store.get().ready) store.set({ ready: true });
}

function drawPrecise() {
  const { meta, precise } = store.get();
  const n = meta.precise_members;
  $("precise").textContent = precise ? t("precise_running", { n }) : t("precise", { n });
  $("precise").disabled = precise;
}

function drawBusy() {
  const { busy } = store.get();
  $("results").classList.toggle("stale", busy !== null);
  $("busy").hidden = busy === null;
  if (busy) tickBusy();
}

function tickBusy() {
  const { busy } = store.get();
  if (!busy) return;
  const ms = performance.now() - busy.since;
  const text = busy.expected ? t("busy_expected", { s: (ms / 1000).toFixed(1), e: (busy.expected / 1000).toFixed(1) }) : t("busy", { s: (ms / 1000).toFixed(1) });
  $("busy-text").textContent = text;
  // the last run's time as the expected one; the bar never claims to be done
  $("busy-bar").style.width = `${Math.min(95, busy.expected ? (100 * ms) / busy.expected : 50)}%`;
  setTimeout(tickBusy, 100);
}

// what kind of failure, in the page's language (the codes of the server's and api.js's answers)
const ERRORS = {
  request: () => t("err_request"), scenario: () => t("err_scenario"), upload: () => t("err_upload"),
  too_large: () => t("err_too_large"), session: () => t("err_session"), server: () => t("err_server"),
  network: () => t("err_network"), timeout: () => t("err_timeout"),
};

function drawError() {
  const { error } = store.get();
  const box = $("error");
  if (!error) { box.hidden = true; fill(box); return; }
  fill(box, h("span", { class: "kind" }, (ERRORS[error.code] || ERRORS.request)()), " ", h("span", { class: "msg" }, error.message),
    h("button", { class: "close", "aria-label": "×", "on:click": () => store.set({ error: null }) }, "×"));
  box.hidden = false;
}

function buildScenarios() {
  const { meta } = store.get();
  fill($("scenario"), h("option", { value: "", hidden: true }, t("uploaded")), meta.scenarios.map((n) => h("option", { value: n }, n)));
}

function buildProvinces() {
  const { meta, server: st } = store.get();
  const sel = $("province");
  const own = st ? st.scenario.own_provinces : [];
  const ownLabel = own.length === 31 ? t("country") : own.map((p) => L("region", p)).join(", ");
  fill(sel, h("option", { value: "" }, `${t("own")} (${ownLabel})`), h("option", { value: "all" }, t("country")),
    meta.provinces.map((p) => h("option", { value: p.name }, store.get().lang === "zh" ? `${p.zh} ${p.name}` : `${p.name} ${p.zh}`)));
  if (st) sel.value = st.province;
}

function drawReference() {
  const st = store.get().server;
  const ref = st.reference;
  $("reference").value = ref.kind;
  const pinned = $("reference").querySelector("option[value=pinned]");
  pinned.hidden = ref.kind !== "pinned";
  pinned.textContent = ref.kind === "pinned" ? referenceName(ref) : t("ref_pinned", { label: "" });
  $("reference").querySelector("option[value=baseline]").textContent = t("baseline");
  $("reference").querySelector("option[value=scenario]").textContent = t("ref_scenario");
}

function language() {
  applyStaticWords();
  $("lang").textContent = store.get().lang === "zh" ? "English" : "中文";
  buildScenarios();
  leverWords();
  if (store.get().server) drawServer();
}

function saveAddress() {
  const s = store.get();
  if (!s.server) return;
  const address = addressOf(s.server, s, s.meta.live_members);
  if (address !== location.pathname + location.search) history.replaceState(null, "", address);
  $("share-link").value = location.href;
}

// --- start ----------------------------------------------------------------------------------------
function wire() {
  $("scenario").addEventListener("change", () => act("/api/scenario", { name: $("scenario").value }));
  $("province").addEventListener("change", () => act("/api/change", { province: $("province").value }));
  $("reset").addEventListener("click", () => { store.set({ queue: {} }); act("/api/change", { reset: true }); });
  $("reference").addEventListener("change", () => {
    const kind = $("reference").value;
    if (kind !== "pinned") act("/api/change", { reference: { kind } });
  });
  $("pin").addEventListener("click", () => {
    const st = store.get().server;
    const label = `${st.scenario.name}${st.edits.length ? ` + ${st.edits.length} ${t("edits")}` : ""}`.slice(0, 40);
    act("/api/change", { reference: { kind: "pinned", scenario: st.scenario.key, edits: st.edits, label } });
  });
  $("seed").addEventListener("change", () => {
    const raw = $("seed").value.trim();
    act("/api/change", { seed: /^\d+$/.test(raw) ? Number(raw) : raw });
  });
  $("lang").addEventListener("click", () => store.set({ lang: store.get().lang === "zh" ? "en" : "zh" }));
  $("downloads").addEventListener("click", () => $("download-items").classList.toggle("open"));
  $("download-items").addEventListener("click", () => $("download-items").classList.remove("open"));
  $("share").addEventListener("click", () => {
    const box = $("share-box");
    box.hidden = !box.hidden;
    if (!box.hidden) { $("share-link").value = location.href; $("share-link").select(); }
  });
  $("share-copy").addEventListener("click", async () => {
    $("share-link").select();
    try { await navigator.clipboard.writeText($("share-link").value); $("share-copied").textContent = t("copied"); } catch (e) { $("share-copied").textContent = t("copy_by_hand"); }
  });
  document.querySelectorAll("#tabs button[data-view]").forEach((b) => b.addEventListener("click", () => store.set({ view: b.dataset.view })));
  document.querySelectorAll("#accounting button").forEach((b) => b.addEventListener("click", () => store.set({ accounting: b.dataset.accounting })));
  $("precise").addEventListener("click", async () => {
    store.set({ precise: true });
    const body = await post("/api/change", { precise: true });  // the page stays usable meanwhile
    store.set({ precise: false });
    handle(body, null);
  });
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0];
    if (!file) return;
    await send("/api/upload", null, performance.now(), { method: "POST", headers: { "X-Filename": encodeURIComponent(file.name) }, body: file });
    $("upload").value = "";
  });
  $("job-run").addEventListener("click", () => startJob(store.get().view));
  $("job-cancel").addEventListener("click", () => cancelJob());
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { if (store.get().server) drawChart(); }, 150); });
}

// what of a job the chart draws (its progress alone does not redraw the chart)
let jobDrawn = null;
const jobShape = (job) => (job ? `${job.kind}|${job.status}|${job.key}` : null);

// "apply this package": the plan's lever points become the page's edits
function applyPackage(edits) { act("/api/change", { edits }); }

function onChange(s, changed) {
  if (changed.has("lang")) language();
  else if (changed.has("server")) drawServer();
  else if ((changed.has("view") || changed.has("accounting")) && s.server) drawChart();
  else if (changed.has("job") && s.server && JOB_VIEWS.includes(s.view) && jobDrawn !== jobShape(s.job)) drawChart();
  if (changed.has("server") || changed.has("view") || changed.has("job") || changed.has("lang")) jobDrawn = jobShape(s.job);
  if (["job", "view", "server", "lang"].some((k) => changed.has(k))) drawJob(applyPackage);
  if (changed.has("busy")) drawBusy();
  if (changed.has("error") || changed.has("lang")) drawError();
  if (changed.has("precise")) drawPrecise();
  if (["server", "view", "accounting", "lang"].some((k) => changed.has(k))) saveAddress();
}

async function start() {
  const meta = await request("/api/meta");
  if (meta.status === "error") {
    $("error").hidden = false;
    $("error").textContent = meta.message;
    return;
  }
  const asked = readAddress(location.search);
  store.set({
    meta,
    lang: LANGS.includes(asked.lang) ? asked.lang : browserLanguage(),
    view: asked.view && document.querySelector(`#tabs button[data-view="${asked.view}"]`) ? asked.view : "co2",
    accounting: ACCOUNTINGS.includes(asked.accounting) ? asked.accounting : "scope1",
  });
  buildLevers(queueEdit);
  wire();
  store.subscribe(onChange);  // once the controls exist
  language();
  drawError();
  if (asked.state) await act("/api/change", { state: asked.state });
  if (!store.get().server) {
    store.set({ busy: { since: performance.now(), expected: null } });
    handle(await request("/api/state"), null);
    store.set({ busy: null });
  }
  restoreJob();  // a job this session started before a reload
}

start();
