// The project report: what recurs across the project's ready interviews, as the report builder
// stored it (GET /v1/projects/{project}/report). Every quote links to its interview.

import { ApiError, get } from "./api.js";
import { $, clock, fill, h } from "./dom.js";

const KIND_NAMES = { pain: "pain point", need: "need", request: "request", praise: "praise", objection: "objection", behaviour: "behaviour", goal: "goal", question: "question" };

let shownFor = null;

function who(participants) {
  return participants.map((p) => p.speaker).join(", ");
}

function quoteItem(q) {
  return h(
    "li",
    { class: "quote" },
    h("blockquote", {}, `“${q.text}”`),
    h(
      "p",
      { class: "quote-meta" },
      `${q.speaker} · `,
      h("a", { href: `#/interview/${encodeURIComponent(q.interview_id)}`, "aria-label": `Open the interview, ${clock(q.start)}` }, `${clock(q.start)} in ${q.interview_id}`),
      ` · ${KIND_NAMES[q.kind] || q.kind}`,
    ),
  );
}

function theme(t) {
  return h(
    "li",
    { class: "report-theme" },
    h("h4", {}, `${t.title} `, h("span", { class: "muted" }, `(${KIND_NAMES[t.kind] || t.kind})`)),
    h("p", {}, t.description),
    h("p", { class: "muted" }, `Participants: ${who(t.participants)}`),
    h("ul", { class: "quotes" }, t.quotes.map(quoteItem)),
  );
}

function ranked(title, findings) {
  if (!findings || findings.length === 0) return null;
  return h(
    "section",
    {},
    h("h4", {}, title),
    h("ol", {}, findings.map((f) => h("li", {}, `${f.title} — ${f.participants.length} participant${f.participants.length === 1 ? "" : "s"}`))),
  );
}

function render(report) {
  const r = report.ranked || {};
  fill(
    $("report-body"),
    h("p", {}, `${report.themes.length} recurring themes across ${report.interview_ids.length} interviews and ${report.participant_count} participants (${report.analyzer}).`),
    report.themes.length === 0 ? h("p", { class: "empty" }, "No theme recurs yet: a theme needs at least two participants.") : null,
    h("ol", { class: "report-themes" }, report.themes.map(theme)),
    h("h3", {}, "Ranked by participants"),
    ranked("Pain points", r.pains),
    ranked("Needs", r.needs),
    ranked("Requests", r.requests),
    (report.disagreements || []).length
      ? h(
          "section",
          {},
          h("h3", {}, "Where participants disagree"),
          h("ul", {}, report.disagreements.map((d) => h("li", {}, `${d.title}: for — ${who(d.positive)}; against — ${who(d.negative)}`))),
        )
      : null,
    (report.personas || []).length
      ? h(
          "section",
          {},
          h("h3", {}, "Persona groups"),
          h("ul", {}, report.personas.map((p) => h("li", {}, `${p.id}: ${who(p.participants)} — ${p.signals.join("; ")}`))),
        )
      : null,
  );
}

/** Loads and shows the project's report; a project without one says when it will have one. */
export async function refreshReport(project) {
  $("report-project").textContent = project;
  try {
    const report = await get(`/v1/projects/${encodeURIComponent(project)}/report`);
    const key = JSON.stringify(report.inputs || report.interview_ids);
    if (shownFor === `${project}|${key}`) return;
    shownFor = `${project}|${key}`;
    render(report);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      shownFor = null;
      fill($("report-body"), h("p", { class: "empty" }, "No report yet: it is built by itself a few seconds after an interview of this project is ready."));
      return;
    }
    throw e;
  }
}
