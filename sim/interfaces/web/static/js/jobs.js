// The background analyses of the page (the wedges per policy and the plan): started, polled and
// cancelled here, their state kept in the store (`job`), their panel and numbers drawn here and
// their charts in charts.js. The server computes them with the library calls of `sim abatement`
// and `sim plan` and formats every number; a new request cancels the session's job before.
import { post, request } from "./api.js";
import { $, fill, h } from "./dom.js";
import { L, t } from "./i18n.js";
import { store } from "./store.js";

export const JOB_VIEWS = ["abatement", "plan"];
const POLL_MS = 400;
let polling = null;

export function jobStale() {
  const { job, server } = store.get();
  return Boolean(job && server && job.status !== "none" && job.key !== server.key);
}

function take(body) {
  if (!body || body.status === "error") {
    store.set({ error: { code: (body && body.code) || "request", message: (body && body.message) || "" } });
    return;
  }
  store.set({ job: body });
  if (body.status === "running" && polling === null) polling = setTimeout(poll, POLL_MS);
}

async function poll() {
  polling = null;
  take(await request("/api/job"));
}

export async function startJob(kind) {
  store.set({ error: null });
  take(await post("/api/job", { kind }));
}

export async function cancelJob() { take(await post("/api/job", { cancel: true })); }

export async function restoreJob() { take(await request("/api/job")); }

// the panel above the chart of a job view: what it runs, the run/cancel/apply buttons, progress
export function drawJob(apply) {
  const { job, view, meta, server } = store.get();
  const panel = $("job");
  panel.hidden = !JOB_VIEWS.includes(view);
  $("results").classList.toggle("job-stale", false);
  if (panel.hidden || !server) return;
  const mine = job && job.kind === view ? job : null;
  const running = Boolean(mine && mine.status === "running");
  const nLevers = Object.values(server.levers).filter((x) => x.set).length;
  const members = server.scenario.members;
  $("job-about").textContent = view === "abatement"
    ? t("abatement_about", { n: nLevers, runs: nLevers > 1 ? nLevers + 2 : 2, members })
    : t("plan_about", { region: L("region", server.result.region), levers: meta.plan.levers.join(", "), confidence: meta.plan.confidence, members: meta.plan.members, evaluations: meta.plan.evaluations, verify: meta.plan.verify_members });
  $("job-run").textContent = view === "abatement" ? t("run_abatement") : t("run_plan");
  $("job-run").disabled = running;
  $("job-cancel").hidden = !running;
  const done = mine && mine.status === "done";
  $("job-apply").hidden = !(view === "plan" && done && mine.result.edits.length);
  $("job-apply").onclick = done ? () => apply(mine.result.edits) : null;
  const stale = Boolean(mine && jobStale());
  $("results").classList.toggle("job-stale", stale && !running);
  let text = "";
  if (!mine) text = t("job_none");
  else if (running && !mine.total) text = t("job_starting");
  else if (running) text = t("job_running", { done: mine.done, total: mine.total, step: stepName(mine), s: mine.seconds });
  else if (mine.status === "done") text = t("job_done", { s: mine.seconds });
  else if (mine.status === "failed") text = `${t("job_failed")} ${mine.message}`;
  else text = t("job_cancelled");
  if (stale && !running) text += ` ${t("job_stale")}`;
  $("job-status").textContent = text;
  $("job-bar").style.width = running && mine.total ? `${Math.round((100 * mine.done) / mine.total)}%` : (done ? "100%" : "0%");
  $("job-track").hidden = !running;
  drawJobTable(mine);
}

// the step under way: a run of the abatement (the scenario, without a lever, without all) or the
// plan's search or verification
function stepName(job) {
  const step = job.step;
  if (!step) return "";
  if (job.kind === "plan") return step === "verification" ? t("step_verification") : t("step_packages");
  if (step === "scenario") return t("step_scenario");
  if (step === "all_levers") return t("step_without", { lever: t("all_levers") });
  return t("step_without", { lever: L("lever", step) });
}

function drawJobTable(job) {
  const box = $("job-table");
  if (!job || job.status !== "done") { fill(box); return; }
  fill(box, job.kind === "abatement" ? abatementTable(job.result) : planTable(job.result));
}

function leverName(name, r) { return name === r.all ? t("all_levers") : L("lever", name); }

function abatementTable(r) {
  const acc = "scope1";
  const head = h("tr", {}, h("th", {}, t("t_lever")), h("th", { class: "num" }, t("t_avoided", { window: r.window })),
    h("th", { class: "num" }, t("t_range")), h("th", { class: "num" }, t("t_cost_per_t")), h("th", { class: "num" }, t("t_cost_paid")),
    h("th", { class: "num" }, t("t_extra_cost")), h("th", { class: "num" }, t("t_range")));
  const rows = r.rows.map((row) => {
    const x = row.text;
    return h("tr", { "data-lever": row.lever, class: row.lever === r.all ? "package" : null },
      h("td", { class: "name" }, leverName(row.lever, r)),
      h("td", { class: "num" }, x[`co2_avoided_${acc}`]), h("td", { class: "num" }, x[`co2_avoided_${acc}_range`]),
      h("td", { class: "num" }, x[`resource_cost_per_t_${acc}`] || t("none")), h("td", { class: "num" }, x[`cost_per_t_${acc}`] || t("none")),
      h("td", { class: "num" }, x.extra_cost), h("td", { class: "num" }, x.extra_cost_range));
  });
  return [h("table", { id: "abatement-table", class: "job-numbers" }, h("thead", {}, head), h("tbody", {}, rows)),
    h("p", { class: "note" }, t("abatement_table_note", { members: r.members, seed: r.seed, window: r.window, accounting: L("accounting", acc) }), " ", r.note)];
}

function planTable(r) {
  const rows = r.levers.map((lv) => h("tr", { "data-point": lv.label }, h("td", {}, L("lever", lv.lever), h("span", { class: "id" }, lv.label)),
    h("td", { class: "num" }, lv.low), h("td", { class: "num" }, lv.high), h("td", { class: "num chosen" }, lv.chosen)));
  const verdict = r.feasible && r.holds
    ? t("plan_holds", { p: r.probability, se: r.standard_error, n: r.verify_members, own: r.own_probability, cost: r.cost, own_cost: r.own_cost, diff: r.extra_cost })
    : t("plan_not_reached", { level: r.level, p: r.probability, se: r.standard_error, n: r.verify_members, binding: r.binding, bp: r.binding_probability, cost: r.cost, own_cost: r.own_cost });
  return [
    h("p", { id: "plan-verdict", class: r.feasible && r.holds ? "good" : "bad" }, verdict),
    h("table", { id: "plan-table", class: "job-numbers" },
      h("thead", {}, h("tr", {}, h("th", {}, t("t_point")), h("th", { class: "num" }, t("low")), h("th", { class: "num" }, t("high")), h("th", { class: "num" }, t("chosen")))),
      h("tbody", {}, rows)),
    h("details", {}, h("summary", {}, t("plan_report")), h("pre", { id: "plan-report", lang: "en" }, r.report)),
  ];
}
