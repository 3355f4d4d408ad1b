// The dashboard's entry point: sign-in, the project, routing between the list and one
// interview (the URL's #fragment, so Back works), and the poll that keeps the screen live.

import { ApiError, authMode, forgetToken, get, signedIn, storeToken, storedToken } from "./api.js";
import { $, flash, h, show } from "./dom.js";
import { closeDetail, detailIsLive, initDetail, openDetail, refreshDetail } from "./detail.js";
import { currentProject, initList, refreshList, refreshOverview, setProject } from "./list.js";
import { refreshReport } from "./report.js";
import { initUploads } from "./upload.js";

/** The list refreshes every tick (≤ 2 s from a change to the screen); the costlier overview every few. */
const TICK_MS = 1000;
const OVERVIEW_EVERY = 5;
const PROJECT_KEY = "interviews_project";
const RECENT_KEY = "interviews_recent_projects";
/** `serve` and admins see every project but cannot enumerate them; this is where `process` puts files. */
const DEFAULT_PROJECT = "default";

let tick = 0;

function showSignIn() {
  show($("signin"), true);
  show($("signin-local"), authMode().startsWith("local"));
  show($("signin-jwt"), authMode() === "jwt");
  for (const id of ["list-view", "detail-view", "report-view", "project-form"]) show($(id), false);
  show($("sign-out"), false);
}

function onError(e) {
  if (e instanceof ApiError && e.status === 401) {
    forgetToken();
    showSignIn();
    flash("The token was not accepted; sign in again.", "error");
    return;
  }
  flash(e.message || String(e), "error");
}

function recentProjects() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(list) ? list.filter((p) => typeof p === "string") : [];
  } catch {
    return [];
  }
}

function rememberProject(project) {
  localStorage.setItem(PROJECT_KEY, project);
  const recent = [project, ...recentProjects().filter((p) => p !== project)].slice(0, 20);
  localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
}

async function chooseProject() {
  const projects = await get("/v1/projects");
  const known = [...new Set([...projects.projects, ...recentProjects()])];
  $("projects").replaceChildren(...known.map((p) => h("option", { value: p })));
  const saved = localStorage.getItem(PROJECT_KEY);
  const allowed = (p) => projects.all_projects || projects.projects.includes(p);
  const project = [saved, projects.projects[0], DEFAULT_PROJECT].find((p) => p && allowed(p));
  if (!project) {
    flash("Your token grants no project; ask an administrator to add you to a project-<name> group.", "error");
    return;
  }
  setProject(project);
  rememberProject(project);
}

/** Shows the view the URL names; `moved` when a person navigated (then the heading takes the focus). */
async function route(moved = false) {
  const match = location.hash.match(/^#\/interview\/(.+)$/);
  show($("signin"), false);
  show($("project-form"), true);
  show($("sign-out"), Boolean(storedToken()));
  if (location.hash === "#/report") {
    closeDetail();
    show($("list-view"), false);
    show($("detail-view"), false);
    show($("report-view"), true);
    if (moved) $("report-title").focus();
    await refreshReport(currentProject());
  } else if (match) {
    openDetail(decodeURIComponent(match[1]));
    show($("list-view"), false);
    show($("report-view"), false);
    show($("detail-view"), true);
    if (moved) $("detail-title").focus();
    await refreshDetail();
  } else {
    closeDetail();
    show($("detail-view"), false);
    show($("report-view"), false);
    show($("list-view"), true);
    await Promise.all([refreshList(), refreshOverview()]);
  }
}

async function poll() {
  if (document.visibilityState === "visible" && signedIn() && currentProject()) {
    tick++;
    try {
      if (!$("list-view").hidden) {
        await refreshList();
        if (tick % OVERVIEW_EVERY === 0) await refreshOverview();
      } else if (!$("detail-view").hidden && (detailIsLive() || tick % OVERVIEW_EVERY === 0)) {
        await refreshDetail();
      } else if (!$("report-view").hidden && tick % OVERVIEW_EVERY === 0) {
        await refreshReport(currentProject());
      }
    } catch (e) {
      onError(e);
    }
  }
  setTimeout(poll, TICK_MS);
}

async function start() {
  if (!signedIn()) {
    showSignIn();
    return;
  }
  await chooseProject();
  await route();
}

function init() {
  $("detail-title").setAttribute("tabindex", "-1");
  initList(onError);
  initDetail(onError);
  initUploads(currentProject, () => refreshList().catch(onError));
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    storeToken($("token").value);
    $("token").value = "";
    start().catch(onError);
  });
  $("project-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const project = $("project").value.trim();
    if (!$("project").checkValidity()) {
      flash("A project is 1–64 letters, digits, `.`, `_` or `-`, starting with a letter or digit.", "error");
      return;
    }
    setProject(project);
    rememberProject(project);
    if (location.hash.startsWith("#/interview/")) location.hash = "#/";
    else if (location.hash === "#/report") refreshReport(project).catch(onError);
    else route().catch(onError);
  });
  $("sign-out").addEventListener("click", () => {
    forgetToken();
    showSignIn();
  });
  window.addEventListener("hashchange", () => route(true).catch(onError));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && signedIn()) route().catch(onError);
  });
  start()
    .catch(onError)
    .finally(() => setTimeout(poll, TICK_MS));
}

init();
