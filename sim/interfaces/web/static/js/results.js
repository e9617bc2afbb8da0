// The cards and the target table of the shown run: the report's own strings (sim report), never
// a number formatted here.
import { $, fill, h } from "./dom.js";
import { L, t, zh } from "./i18n.js";
import { store } from "./store.js";

// the name of what the page compares with
export function referenceName(ref) {
  if (!ref || ref.kind === "baseline") return t("baseline");
  if (ref.kind === "scenario") return t("ref_scenario");
  return t("ref_pinned", { label: ref.label || "?" });
}

export function drawCards() {
  const st = store.get().server;
  const r = st.result;
  const pk = r.peak.scenario, pr = r.peak.reference;
  $("card-peak-label").textContent = t("p_peak", { year: r.peak_by });
  fill($("card-peak"), `${pk.text.probability} `,
    h("span", { class: "se", title: t("se_note") }, `${t("t_se")} ${pk.text.standard_error}`),
    h("span", { class: "vs" }, `${t("vs")} ${referenceName(st.reference)}: ${pr.text.probability}`));
  $("card-peak-year").textContent = `${pk.median} (${pk.text.range})`;
  const co2 = r.co2;
  $("card-co2-label").textContent = co2 ? t("co2_year", { year: co2.year }) : "";
  const line = (acc) => {
    const x = co2[acc];
    return h("div", { class: `co2-line acc-${acc === "scope1" ? "direct" : "indirect"}` },
      h("b", {}, `${x.text} ${t("mt")}`), zh() && x.wan ? ` (${x.wan})` : "", ` ${x.change} `,
      h("span", { class: "acc" }, L("accounting", acc)));
  };
  if (co2) fill($("card-co2"), line("scope1"), line("scope1+2"));
  else fill($("card-co2"), "–");
  $("card-co2-vs").textContent = co2 ? `${t("change_vs")} ${referenceName(st.reference)}` : "";
  $("card-members").textContent = `${r.members} ${t("members")} · ${r.timing_ms} ms`;
  const seed = $("seed");
  if (document.activeElement !== seed) seed.value = String(st.scenario.seed);
}

function cell(tag, attrs, main, wan) {
  return h(tag, attrs, main, wan && zh() ? h("span", { class: "wan" }, wan) : null);
}

export function drawTable() {
  const st = store.get().server;
  const r = st.result;
  $("place").textContent = `· ${L("region", r.region)} · ${st.scenario.name}`;
  $("th-ref").textContent = `P (${referenceName(st.reference)})`;
  const rows = r.targets.map((row) => {
    const p = row.probability;
    const cls = p === null ? "" : p >= 0.9 ? "good" : p >= 0.5 ? "mid" : "bad";
    const x = row.text, w = row.wan || {};
    return h("tr", { "data-target": row.id, "data-probability": p },
      h("td", { class: "name", title: row.description }, zh() ? row.name_zh : row.name_en,
        row.status === "trend" ? ` (${t("trend")})` : "", h("span", { class: "id" }, row.id)),
      h("td", { "data-k": t("t_year") }, String(row.year)),
      h("td", { "data-k": t("t_condition") }, zh() ? row.condition_zh : row.condition),
      cell("td", { class: "num", "data-k": t("t_median") }, x.median, w.median),
      cell("td", { class: "num", "data-k": t("t_range") }, x.range, w.range),
      h("td", { class: "num", "data-k": t("t_p") }, h("span", { class: `p ${cls}` }, x.probability),
        h("span", { class: `pbar ${cls} p` }, h("i", { style: { width: `${Math.round(100 * (p || 0))}%` } }))),
      h("td", { class: "num se", "data-k": t("t_se") }, x.standard_error),
      h("td", { class: "num ref", "data-k": `P (${referenceName(st.reference)})` }, row.reference ? row.reference.probability : "–"),
      h("td", { class: "src" }, row.phrase || row.source));
  });
  const admin = (r.administrative || []).map((a) => h("tr", { class: "admin", "data-target": a.id },
    h("td", {}, a.description || a.id, h("span", { class: "id" }, a.id)), h("td", {}),
    h("td", { colspan: 6, title: a.reason || "" }, t("not_simulated")),
    h("td", { class: "src" }, a.source || "")));
  fill(document.querySelector("#targets tbody"), rows, admin);
}
