// Requests to the server. A request never throws and never leaves the page waiting: a network
// failure, a timeout or an answer that is not JSON becomes {status: "error", code, message}, like
// the server's own one-line errors.

const TIMEOUT_MS = 120000;  // a national run with 2000 members takes about 10 s on two cores

export async function request(path, options) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...(options || {}), signal: controller.signal });
  } catch (e) {
    const timedOut = e && e.name === "AbortError";
    return { status: "error", code: timedOut ? "timeout" : "network", message: `${path}: ${timedOut ? `${TIMEOUT_MS / 1000} s` : (e && e.message) || e}` };
  } finally {
    clearTimeout(timer);
  }
  try {
    const body = await response.json();
    if (body && typeof body === "object") return body;
  } catch (e) { /* not JSON: said below */ }
  return { status: "error", code: "server", message: `${path}: HTTP ${response.status}` };
}

export function post(path, data) {
  return request(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}
