// Building the page's elements. Every text goes in through textContent or an attribute set by
// setAttribute, never through innerHTML: a name, a message or a file name from the server or an
// upload is shown as text, whatever characters it holds.

export const $ = (id) => document.getElementById(id);

// h("td", {class: "num", title: "..."}, "text", childElement, ...): an element with attributes
// (null/false skipped; dataset entries through "data-*"), event listeners ("on:click") and
// children (strings become text nodes; null/false are skipped)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on:")) el.addEventListener(key.slice(3), value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// replace an element's children
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// escaped text for the few places that need a string of HTML (plotly's titles and legends, which
// plotly renders as HTML-like markup)
export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
