// The page state in the address: scenario, province, edits, members, seed, reference, view, CO2
// accounting and language. The address is kept up to date as the page changes (a reload keeps
// the page), and a colleague who opens it gets the same state and so the same numbers.
//
//   ?s=<scenario>&p=<province>&e=<lever>@<year>=<value>,<lever>.<sector>@<year>=<value>&seed=7
//    &m=2000&r=pinned&rs=<scenario>&re=<edits>&rl=<label>&v=wedges&a=scope1%2B2&l=zh

const EDIT = /^(\w+)(?:\.(\w+))?@(\d{4})=(.+)$/;

export function encodeEdits(edits) {
  return edits.map((e) => `${e.lever}${e.sector ? `.${e.sector}` : ""}@${e.year}=${e.value}`).join(",");
}

export function decodeEdits(text) {
  const out = [];
  for (const part of (text || "").split(",")) {
    const m = EDIT.exec(part.trim());
    if (!m) continue;
    const num = Number(m[4]);
    out.push({ lever: m[1], sector: m[2] || "", year: Number(m[3]), value: m[4] !== "" && !Number.isNaN(num) ? num : m[4] });
  }
  return out;
}

// the address of a drawn page: the server's state plus the page's view, accounting and language
export function addressOf(server, page, livemembers) {
  const q = new URLSearchParams();
  q.set("s", server.scenario.key);
  if (server.province) q.set("p", server.province);
  if (server.edits.length) q.set("e", encodeEdits(server.edits));
  if (server.seed !== null && server.seed !== undefined) q.set("seed", String(server.seed));
  if (server.scenario.members !== livemembers) q.set("m", String(server.scenario.members));
  const ref = server.reference;
  if (ref.kind !== "baseline") q.set("r", ref.kind);
  if (ref.kind === "pinned") {
    q.set("rs", ref.scenario);
    if (ref.edits.length) q.set("re", encodeEdits(ref.edits));
    if (ref.label) q.set("rl", ref.label);
  }
  q.set("v", page.view);
  q.set("a", page.accounting);
  q.set("l", page.lang);
  return `${location.pathname}?${q.toString()}`;
}

// what an address asks for: {state (for the server, or null), view, accounting, lang}
export function readAddress(search) {
  const q = new URLSearchParams(search);
  const out = { state: null, view: q.get("v"), accounting: q.get("a"), lang: q.get("l") };
  if (q.has("s")) {
    const state = { scenario: q.get("s"), province: q.get("p") || "", edits: decodeEdits(q.get("e")) };
    if (q.has("seed") && /^\d+$/.test(q.get("seed"))) state.seed = Number(q.get("seed"));
    if (q.has("m") && /^\d+$/.test(q.get("m"))) state.members = Number(q.get("m"));
    const kind = q.get("r") || "baseline";
    state.reference = kind === "pinned"
      ? { kind, scenario: q.get("rs") || q.get("s"), edits: decodeEdits(q.get("re")), label: q.get("rl") || "" }
      : { kind };
    out.state = state;
  }
  return out;
}
