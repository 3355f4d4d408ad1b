// The list view: overview counts, filters, the interviews table (refreshed every second while
// the tab is visible), the stuck and failed lists, retry-all and CSV export.

import { api, get, listAll, query } from "./api.js";
import { $, flash, h, show, statusCell, sync, when } from "./dom.js";

const state = { project: "", pages: 1, rows: [], next: null, signature: "" };

export const currentProject = () => state.project;

function filters() {
  return {
    project: state.project,
    status: $("f-status").value,
    step: $("f-step").value,
    stuck: $("f-stuck").checked ? "true" : "",
  };
}

const matchesSearch = (row) => {
  const needle = $("f-search").value.trim().toLowerCase();
  return !needle || row.file_name.toLowerCase().includes(needle);
};

function row(item) {
  const link = h("a", { href: `#/interview/${encodeURIComponent(item.id)}`, class: "file" }, item.file_name);
  const c = item.counts || {};
  return h(
    "tr",
    { "data-id": item.id, "data-status": item.status },
    h("th", { scope: "row" }, link),
    h("td", { "data-label": "Project" }, item.project),
    h("td", { "data-label": "Status" }, statusCell(item)),
    h("td", { "data-label": "Updated" }, h("time", { datetime: item.updated_at }, when(item.updated_at))),
    h("td", { "data-label": "Words", class: "num" }, c.words ?? 0),
    h("td", { "data-label": "Speakers", class: "num" }, c.speakers ?? 0),
    h("td", { "data-label": "Evidence", class: "num" }, c.evidence ?? 0),
    h("td", { "data-label": "Themes", class: "num" }, c.themes ?? 0),
  );
}

function render() {
  const rows = state.rows.filter(matchesSearch);
  // The relative time is part of what a row shows, so it is part of its signature.
  const shown = rows.map((item) => ({ ...item, shown_updated: when(item.updated_at) }));
  sync($("rows"), shown, (item) => item.id, row);
  const nothingAtAll = state.rows.length === 0 && !$("f-status").value && !$("f-step").value && !$("f-stuck").checked;
  show($("empty"), nothingAtAll);
  show($("table"), !nothingAtAll);
  if (!nothingAtAll && rows.length === 0) {
    sync($("rows"), [{ id: "no-match" }], (item) => item.id, () => h("tr", {}, h("td", { colspan: 8 }, "No interview matches these filters.")));
  }
  show($("more"), Boolean(state.next));
}

/** Reloads the pages shown so far (so rows change in place and none is lost). */
export async function refreshList() {
  if (!state.project) return;
  const rows = [];
  let cursor = null;
  for (let page = 0; page < state.pages; page++) {
    const body = await get(`/v1/interviews?${query({ ...filters(), cursor })}`);
    rows.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  state.rows = rows;
  state.next = cursor;
  render();
  // A status change moves the overview's counts too: refresh them now rather than at the next slow tick.
  const signature = rows.map((r) => `${r.id}:${r.status}:${r.step}`).join(",");
  if (signature !== state.signature) {
    state.signature = signature;
    await refreshOverview();
  }
}

function overviewEntry(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, String(value)));
}

/** The overview counts and the stuck and failed lists (costlier: every few seconds). */
export async function refreshOverview() {
  if (!state.project) return;
  const p = encodeURIComponent(state.project);
  const [overview, stuck, failed] = await Promise.all([
    get(`/v1/overview?project=${p}`),
    get(`/v1/interviews?project=${p}&stuck=true&limit=20`),
    get(`/v1/interviews?project=${p}&status=error&limit=20`),
  ]);
  const total = (status) => Object.values(overview.by_status[status] || {}).reduce((a, b) => a + b, 0);
  $("overview").replaceChildren(
    overviewEntry("Queued", total("queued")),
    overviewEntry("Processing", total("processing")),
    overviewEntry("Ready", total("ready")),
    overviewEntry("Error", total("error")),
    overviewEntry("Stuck", overview.stuck),
    overviewEntry("Errors in 24 h", Object.values(overview.errors_last_24h || {}).reduce((a, b) => a + b, 0)),
  );
  const entry = (item) =>
    h(
      "li",
      {},
      h("a", { href: `#/interview/${encodeURIComponent(item.id)}` }, item.file_name),
      ` — ${item.status} at ${item.step}${item.error_kind ? ` (${item.error_kind})` : ""}, ${when(item.updated_at)}`,
    );
  const none = { id: "none", file_name: "" };
  const listed = (items) => (items.length ? items.map((i) => ({ ...i, shown_updated: when(i.updated_at) })) : [none]);
  const build = (item) => (item === none || item.id === "none" ? h("li", {}, "none") : entry(item));
  sync($("stuck-list"), listed(stuck.items), (i) => i.id, build);
  sync($("failed-list"), listed(failed.items), (i) => i.id, build);
  show($("attention"), stuck.items.length > 0 || failed.items.length > 0);
}

export function setProject(project) {
  state.project = project;
  state.pages = 1;
  state.rows = [];
  state.next = null;
  $("list-project").textContent = project;
  $("empty-project").textContent = project;
  $("project").value = project;
}

async function retryAllFailed() {
  const button = $("retry-failed");
  button.disabled = true;
  try {
    const failed = await listAll({ project: state.project, status: "error" });
    const retryable = failed.filter((item) => item.error_kind !== "input");
    let started = 0;
    const refused = [];
    for (const item of retryable) {
      try {
        await api("POST", `/v1/interviews/${encodeURIComponent(item.id)}/retry`, { force: false });
        started++;
      } catch (e) {
        refused.push(`${item.file_name}: ${e.message}`);
      }
    }
    const skipped = failed.length - retryable.length;
    flash(
      `Retried ${started} of ${failed.length} failed interview(s)` +
        (skipped ? `; ${skipped} input error(s) need a fixed file instead` : "") +
        (refused.length ? `; refused: ${refused.join("; ")}` : "."),
      refused.length ? "error" : "info",
    );
    await refreshList();
  } catch (e) {
    flash(`Cannot retry: ${e.message}`, "error");
  } finally {
    button.disabled = false;
  }
}

const csvCell = (value) => {
  const s = value === null || value === undefined ? "" : String(value);
  // A leading =, +, - or @ would be run as a formula by spreadsheets.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

async function exportCsv() {
  const button = $("export");
  button.disabled = true;
  try {
    const items = (await listAll(filters())).filter(matchesSearch);
    const header = ["id", "project", "file_name", "status", "step", "progress", "error_kind", "created_at", "updated_at", "words", "speakers", "evidence", "themes"];
    const lines = [header.join(",")];
    for (const i of items) {
      const c = i.counts || {};
      lines.push(
        [i.id, i.project, i.file_name, i.status, i.step, i.progress, i.error_kind, i.created_at, i.updated_at, c.words, c.speakers, c.evidence, c.themes]
          .map(csvCell)
          .join(","),
      );
    }
    const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
    const link = h("a", { href: URL.createObjectURL(blob), download: `interviews-${state.project}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    flash(`Exported ${items.length} interview(s).`);
  } catch (e) {
    flash(`Cannot export: ${e.message}`, "error");
  } finally {
    button.disabled = false;
  }
}

export function initList(onError) {
  const refilter = () => {
    state.pages = 1;
    refreshList().catch(onError);
  };
  for (const id of ["f-status", "f-step", "f-stuck"]) $(id).addEventListener("change", refilter);
  $("f-search").addEventListener("input", render);
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("more").addEventListener("click", () => {
    state.pages++;
    refreshList().catch(onError);
  });
  $("retry-failed").addEventListener("click", retryAllFailed);
  $("export").addEventListener("click", exportCsv);
}

