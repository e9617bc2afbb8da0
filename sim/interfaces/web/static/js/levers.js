// The lever panel: built once from the lever registry (/api/meta); a language switch changes its
// words in place, a new state its values. Sliders follow each lever's scale (piecewise: for a rate
// per year most of the slider covers the realistic few percent, and an unbounded lever ends at inf).
import { $, h } from "./dom.js";
import { L, t } from "./i18n.js";
import { store } from "./store.js";

let onEdit = () => {};

// --- slider scales: position 0..steps <-> value, through the lever's knots [[pos 0..1, value], ...]
export function toPosition(lv, value) {
  const { knots, inf } = lv.slider;
  const steps = store.get().meta.slider_steps;
  if (value === "inf") return inf ? steps : steps;
  const v = Number(value);
  for (let i = 1; i < knots.length; i++) {
    const [p0, v0] = knots[i - 1], [p1, v1] = knots[i];
    if (v <= v1 || i === knots.length - 1) {
      const f = v1 === v0 ? 0 : Math.min(1, Math.max(0, (v - v0) / (v1 - v0)));
      return Math.round((p0 + f * (p1 - p0)) * steps);
    }
  }
  return 0;
}

export function fromPosition(lv, position) {
  const { knots, steps: segmentSteps, inf } = lv.slider;
  const x = position / store.get().meta.slider_steps;
  for (let i = 1; i < knots.length; i++) {
    const [p0, v0] = knots[i - 1], [p1, v1] = knots[i];
    if (x <= p1 || i === knots.length - 1) {
      if (inf && i === knots.length - 1 && x > (p0 + p1) / 2) return "inf";
      const step = segmentSteps[i - 1] || segmentSteps[0];
      const v = v0 + (p1 === p0 ? 0 : (x - p0) / (p1 - p0)) * (v1 - v0);
      return Number((Math.round(v / step) * step).toFixed(6));
    }
  }
  return knots[knots.length - 1][1];
}

function sectorOf(name) {
  const sel = document.querySelector(`.lever[data-lever="${name}"] select.sector`);
  return sel ? sel.value : "";
}

// the panel, once
export function buildLevers(edit) {
  onEdit = edit;
  const { meta } = store.get();
  const box = $("levers");
  box.replaceChildren();
  for (const lv of meta.levers) {
    const div = h("div", { class: "lever", "data-lever": lv.name },
      h("div", { class: "name" }, h("span", { class: "label" }), h("span", { class: "set" })),
      h("div", { class: "meta", title: lv.description }),
      h("div", { class: "points" }));
    if (lv.sectors.length) {
      const sel = h("select", { class: "sector", "on:change": () => showLever(lv.name, true) },
        h("option", { value: "" }), ...lv.sectors.map((s) => h("option", { value: s })));
      div.insertBefore(sel, div.querySelector(".points"));
    }
    meta.key_years.forEach((year, i) => {
      const range = h("input", { type: "range", min: 0, max: meta.slider_steps, step: 1, "data-year": year, "data-i": i });
      const text = h("input", { type: "text", inputmode: "decimal", "data-year": year, "data-i": i, "aria-label": `${lv.name} ${year}` });
      range.addEventListener("input", (ev) => {
        const v = fromPosition(lv, Number(range.value));
        text.value = String(v);
        onEdit(lv.name, sectorOf(lv.name), year, v, ev.timeStamp);
      });
      text.addEventListener("change", (ev) => {
        const raw = text.value.trim();
        const num = Number(raw);
        onEdit(lv.name, sectorOf(lv.name), year, raw !== "" && !Number.isNaN(num) ? num : raw, ev.timeStamp);
      });
      div.appendChild(h("div", { class: "row", "data-year": year }, h("span", { class: "year" }, String(year)), range, text));
    });
    box.appendChild(div);
  }
  leverWords();
}

// the panel's words in the page's language (no rebuild: the controls and their values stay)
export function leverWords() {
  const { meta } = store.get();
  for (const lv of meta.levers) {
    const div = document.querySelector(`.lever[data-lever="${lv.name}"]`);
    div.querySelector(".name .label").textContent = L("lever", lv.name);
    div.querySelector(".meta").textContent = `${lv.name} · ${L("unit", lv.unit)} · ${t("default")} ${lv.text.default} · ${t("range")} [${lv.text.low}, ${lv.text.high}]`;
    const sel = div.querySelector("select.sector");
    if (sel) {
      sel.options[0].textContent = t("all_sectors");
      for (const opt of [...sel.options].slice(1)) opt.textContent = L("sector", opt.value);
    }
    div.querySelectorAll(".row").forEach((row) => { row.title = row.classList.contains("interp") ? t("interpolated") : ""; });
    showLever(lv.name, true);
  }
}

// the values of one lever as the shown state has them (force: also the control being dragged)
export function showLever(name, force) {
  const st = store.get().server;
  if (!st) return;
  const lv = store.get().meta.levers.find((x) => x.name === name);
  const div = document.querySelector(`.lever[data-lever="${name}"]`);
  const info = st.levers[name];
  const sector = info.levels[sectorOf(name)] ? sectorOf(name) : "";
  const values = info.levels[sector], texts = info.text[sector];
  div.querySelectorAll("input[type=range]").forEach((r) => {
    if (force || !r.matches(":active")) r.value = toPosition(lv, values[Number(r.dataset.i)]);
  });
  div.querySelectorAll("input[type=text]").forEach((x) => {
    if (force || document.activeElement !== x) x.value = texts[Number(x.dataset.i)];
  });
  const atPoint = info.at_point[sector] || [];
  div.querySelectorAll(".row").forEach((row, i) => {
    const interp = atPoint.length > 0 && !atPoint[i];
    row.classList.toggle("interp", interp);
    row.title = interp ? t("interpolated") : "";
  });
  const points = info.points[sector] || [];
  div.querySelector(".points").textContent = points.length
    ? `${t("points")}: ${points.map(([y, v]) => `${y}: ${v}`).join(" · ")}` : "";
  div.querySelector(".set").textContent = info.set ? t("set") : "";
  const po = info.province_overrides || [];
  div.querySelector(".meta").dataset.overrides = po.length ? ` · ${t("overrides")}: ${po.map((p) => L("region", p)).join(", ")}` : "";
  div.classList.toggle("changed", st.edits.some((e) => e.lever === name));
}

export function showLevers(force) {
  for (const lv of store.get().meta.levers) showLever(lv.name, force);
}
