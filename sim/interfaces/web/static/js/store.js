// The page's one state store: every part of the page reads the state from here and changes it
// through set(), which tells the subscribers which keys changed. No other module keeps state.

export function createStore(initial) {
  let state = Object.freeze({ ...initial });
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      const changed = Object.keys(patch).filter((k) => state[k] !== patch[k]);
      if (!changed.length) return;
      state = Object.freeze({ ...state, ...patch });
      for (const fn of listeners) fn(state, new Set(changed));
    },
    subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  };
}

export const store = createStore({
  meta: null,        // /api/meta: levers, labels, key years, ...
  server: null,      // the last state the server sent (what is drawn)
  lang: "en",
  view: "co2",       // the chart's view (a tab)
  accounting: "scope1",  // the CO2 view: direct + process - captured, or with purchased energy
  busy: null,        // {since, expected, what} while a change runs; the shown numbers are stale
  error: null,       // {code, message} of the last failed request, shown until the next action
  precise: false,    // the more precise run is under way
  queue: {},         // lever edits not sent yet: "lever|sector|year" -> {edit, t0}
  inflight: false,   // a change is under way (the queue waits for its answer)
  job: null,         // the session's background analysis (jobs.js): {kind, status, done, total, key, result, ...}
  drawnGeneration: -1,
  ready: false,
});
