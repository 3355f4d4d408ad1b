// Small DOM helpers: content is always set as text, never parsed as HTML.

export const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children, leaving out absent ones. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/**
 * Brings a container's children in line with `items` without touching the ones that did not
 * change, so a poll never takes away the focus (or the element a person is about to click).
 * Each child is keyed by `data-key` and remembers the signature it was built from.
 */
export function sync(container, items, keyOf, build) {
  const existing = new Map([...container.children].map((el) => [el.dataset.key, el]));
  const wanted = items.map((item) => {
    const key = keyOf(item);
    const signature = JSON.stringify(item);
    const old = existing.get(key);
    if (old && old.dataset.signature === signature) return old;
    const el = build(item);
    el.dataset.key = key;
    el.dataset.signature = signature;
    return el;
  });
  const current = [...container.children];
  const sameOrder = current.length === wanted.length && current.every((el, i) => el.dataset.key === wanted[i].dataset.key);
  if (sameOrder) {
    current.forEach((el, i) => el !== wanted[i] && el.replaceWith(wanted[i]));
  } else {
    container.replaceChildren(...wanted);
  }
}

export function show(el, visible) {
  el.hidden = !visible;
}

let flashTimer;
/** A short message in the live region (screen readers hear it). */
export function flash(message, kind = "info") {
  const el = $("flash");
  el.textContent = message;
  el.className = `flash ${kind}`;
  el.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (el.hidden = true), 8000);
}

/** Seconds as m:ss or h:mm:ss, as the transcript's timestamps are read aloud. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const age = (Date.now() - d.getTime()) / 1000;
  if (age < 60) return "just now";
  if (age < 3600) return `${Math.floor(age / 60)} min ago`;
  if (age < 86400) return `${Math.floor(age / 3600)} h ago`;
  return d.toLocaleString();
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The label of where an interview is: queued, transcribing, extracting, analysing, ready, error. */
export function stage(item) {
  if (item.status === "processing") {
    return { transcribe: "transcribing", extract: "extracting", analyze: "analysing" }[item.step] || "processing";
  }
  return item.status;
}

/** The status cell: a text label (colour is never the only signal) and a labelled progress bar. */
export function statusCell(item) {
  const label = stage(item);
  const kind = item.error_kind || (item.error && item.error.kind);
  const detail = item.status === "error" ? ` at ${item.step}${kind ? ` (${kind})` : ""}` : "";
  const progress = item.status === "ready" ? 100 : item.progress || 0;
  return h(
    "div",
    { class: `status status-${item.status}` },
    h("span", { class: "badge" }, label + detail),
    h("progress", { max: 100, value: progress, "aria-label": `${label}, ${progress}%` }),
  );
}
