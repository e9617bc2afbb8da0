// The page's words, from sim/core/labels.toml (served in /api/meta), in the page's language.
import { store } from "./store.js";

// a label of kind ("sector", "lever", "page", ...) in the page's language; a name without one is
// shown as it is
export function L(kind, name) {
  const { meta, lang } = store.get();
  const entry = meta && meta.labels[kind] && meta.labels[kind][name];
  return entry ? entry[lang] || entry.en : String(name);
}

// a word of the page (labels.toml [page]) with its {placeholders} filled
export function t(key, vars) {
  let s = L("page", key);
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export const zh = () => store.get().lang === "zh";

// the language a first visit opens in: Chinese when the browser prefers it
export function browserLanguage() {
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  return String(langs[0] || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

// the texts of the static page (data-i18n) and the tabs, in place
export function applyStaticWords() {
  document.documentElement.lang = zh() ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  document.querySelectorAll("#tabs button[data-view]").forEach((b) => { b.textContent = L("view", b.dataset.view); });
}
