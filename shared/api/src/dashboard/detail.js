// One interview: status, the error and what to do next, Retry and Delete, the step timeline,
// and, once ready, the analysis, its quotes and the transcript they come from.

import { ApiError, api, get } from "./api.js";
import { $, clock, duration, fill, flash, h, show, statusCell, when } from "./dom.js";

const STEP_NAMES = { transcribe: "Transcribe", extract: "Extract evidence", analyze: "Analyse" };
const KIND_NAMES = { feature_request: "feature request" };

const state = { id: null, item: null, readFor: null };

export const openId = () => state.id;

function renderError(item) {
  const box = $("detail-error");
  const e = item.error;
  show(box, Boolean(e));
  show($("retry"), Boolean(e && e.retryable));
  if (!e) return;
  const next = e.retryable
    ? "Retrying starts a new run from this step; the earlier steps' results are reused."
    : "Retrying cannot help: the file itself is the problem. Fix it and upload it again under the same name.";
  fill(
    box,
    h("h3", {}, `Error in ${STEP_NAMES[e.step] || e.step} — ${e.kind}`),
    h("p", { class: "error-message" }, e.message),
    e.excerpt ? h("p", {}, "Near: ", h("code", {}, e.excerpt)) : null,
    h("p", { class: "error-next" }, h("strong", {}, "What to do: "), next),
    h("p", { class: "muted" }, `Recorded ${when(e.at)}.`),
  );
}

function renderTimeline(item) {
  const rows = item.timeline.map((t) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, STEP_NAMES[t.step] || t.step, t.reused ? " (reused)" : ""),
      h("td", {}, t.started_at ? new Date(t.started_at).toLocaleTimeString() : "—"),
      h("td", {}, t.finished_at ? duration(t.duration_ms) : t.started_at ? "running" : "—"),
      h("td", { class: "num" }, t.attempts),
      h("td", {}, t.worker || "—"),
    ),
  );
  $("timeline").tBodies[0].replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 5 }, "Not started yet."))]));
}

function render(item) {
  $("detail-title").textContent = item.source.file_name;
  const c = item.counts || {};
  fill(
    $("detail-status"),
    statusCell(item),
    h(
      "p",
      { class: "muted" },
      `Project ${item.source.project} · run ${item.run} · ${item.source.kind} · uploaded ${when(item.created_at)} · updated ${when(item.updated_at)}`,
    ),
    h("p", {}, `${c.words ?? 0} words · ${c.speakers ?? 0} speakers · ${c.evidence ?? 0} evidence · ${c.themes ?? 0} themes`),
    item.note ? h("p", { class: "note" }, item.note) : null,
  );
  renderError(item);
  renderTimeline(item);
  $("delete").disabled = item.status === "deleted";
}

function quote(ev) {
  return h(
    "li",
    { class: "quote", id: `ev-${ev.id}` },
    h("blockquote", {}, `“${ev.quote}”`),
    h(
      "p",
      { class: "quote-meta" },
      `${ev.speaker} · `,
      h("button", { type: "button", class: "link timestamp", "data-start": ev.start, "aria-label": `Go to ${clock(ev.start)} in the transcript` }, clock(ev.start)),
      ` · ${KIND_NAMES[ev.kind] || ev.kind} · ${ev.id}`,
    ),
  );
}

function jumpTo(start) {
  const segments = [...document.querySelectorAll(".segment")];
  const target = segments.find((s) => Number(s.dataset.start) <= start + 0.01 && start <= Number(s.dataset.end) + 0.01) ||
    segments.find((s) => Number(s.dataset.start) >= start);
  if (!target) return;
  for (const s of segments) s.classList.remove("current");
  target.classList.add("current");
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

function renderReading(analysis, evidence, transcript) {
  const byId = new Map(evidence.items.map((e) => [e.id, e]));
  const cites = (ids) => (ids.length ? ` (${ids.join(", ")})` : "");
  const section = (title, ...children) => h("section", { class: "reading" }, h("h3", {}, title), ...children);
  const modelProse = Object.values(analysis.text_sources || {}).includes("model");
  fill(
    $("reading"),
    section(
      "Summary",
      modelProse ? h("p", { class: "muted" }, "Some text below was written by a language model; the quotes are verbatim.") : null,
      h("p", {}, analysis.summary),
    ),
    section(
      "Themes",
      h(
        "ol",
        { class: "themes" },
        analysis.themes.map((t) =>
          h(
            "li",
            { class: "theme", id: `theme-${t.id}` },
            h("h4", {}, `${t.id} ${t.title}`),
            h("p", { class: "muted" }, t.description),
            h("ul", { class: "quotes" }, t.evidence_ids.map((id) => byId.get(id)).filter(Boolean).map(quote)),
          ),
        ),
      ),
    ),
    section("Insights", h("ul", {}, analysis.insights.map((i) => h("li", {}, i.text + cites(i.evidence_ids))))),
    section(
      "Persona signals",
      h("dl", { class: "personas" }, analysis.personas.flatMap((p) => [h("dt", {}, p.speaker), ...p.signals.map((s) => h("dd", {}, s))])),
    ),
    section("Open questions", analysis.open_questions.length ? h("ul", {}, analysis.open_questions.map((q) => h("li", {}, q))) : h("p", {}, "None.")),
    section(
      "Transcript",
      h(
        "ol",
        { class: "transcript" },
        transcript.segments.map((s, n) =>
          h(
            "li",
            { class: "segment", id: `seg-${n}`, tabindex: -1, "data-start": s.start, "data-end": s.end },
            h("span", { class: "seg-time" }, clock(s.start)),
            h("span", { class: "seg-speaker" }, s.speaker),
            h("span", { class: "seg-text" }, s.text),
          ),
        ),
      ),
    ),
  );
}

/** Loads the documents once the interview is ready (once per run). */
async function loadReading(item) {
  const key = `${item.id}/${item.run}`;
  if (item.status !== "ready" || state.readFor === key) {
    if (item.status !== "ready") {
      state.readFor = null;
      $("reading").replaceChildren();
    }
    return;
  }
  state.readFor = key;
  const base = `/v1/interviews/${encodeURIComponent(item.id)}`;
  const [analysis, evidence, transcript] = await Promise.all([get(`${base}/analysis`), get(`${base}/evidence`), get(`${base}/transcript`)]);
  renderReading(analysis, evidence, transcript);
}

export async function refreshDetail() {
  if (!state.id) return;
  const id = state.id;
  let item;
  try {
    item = await get(`/v1/interviews/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && state.id === id) {
      $("detail-title").textContent = "No such interview";
      $("detail-status").replaceChildren(h("p", {}, "It does not exist, or it belongs to a project you cannot see."));
      return;
    }
    throw e;
  }
  if (state.id !== id) return;
  state.item = item;
  render(item);
  await loadReading(item);
}

/** Whether the open interview may still change by itself (worth polling). */
export const detailIsLive = () => !state.item || ["queued", "processing"].includes(state.item.status);

export function openDetail(id) {
  if (state.id !== id) {
    state.id = id;
    state.item = null;
    state.readFor = null;
    $("detail-title").textContent = "Loading…";
    for (const el of ["detail-status", "reading"]) $(el).replaceChildren();
    show($("detail-error"), false);
    show($("retry"), false);
  }
}

export const closeDetail = () => {
  state.id = null;
  state.item = null;
};

export function initDetail(onError) {
  $("retry").addEventListener("click", async () => {
    const button = $("retry");
    button.disabled = true;
    try {
      const r = await api("POST", `/v1/interviews/${encodeURIComponent(state.id)}/retry`, { force: false });
      flash(`Retrying: run ${r.run} starts at ${r.resumes_at}.`);
      await refreshDetail();
    } catch (e) {
      onError(e);
    } finally {
      button.disabled = false;
    }
  });
  const dialog = $("confirm-delete");
  $("delete").addEventListener("click", () => dialog.showModal());
  $("confirm-keep").addEventListener("click", () => dialog.close());
  $("confirm-delete-button").addEventListener("click", async () => {
    dialog.close();
    try {
      await api("DELETE", `/v1/interviews/${encodeURIComponent(state.id)}`);
      flash(`${state.item ? state.item.source.file_name : "The interview"} was deleted.`);
      await refreshDetail();
    } catch (e) {
      onError(e);
    }
  });
  $("reading").addEventListener("click", (e) => {
    const button = e.target.closest(".timestamp");
    if (button) jumpTo(Number(button.dataset.start));
  });
}

