// Uploads: files dropped on the page or picked go straight to the URL the API issues (S3's
// presigned PUT on AWS, serve's own upload endpoint locally), with upload progress, then the
// interview's own progress from the list.

import { api, putFile } from "./api.js";
import { $, h } from "./dom.js";

/** Types the browser may not know; the pipeline sniffs the real type from the bytes anyway. */
const BY_EXTENSION = {
  vtt: "text/vtt",
  srt: "application/x-subrip",
  txt: "text/plain",
  json: "application/json",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  flac: "audio/flac",
  ogg: "audio/ogg",
  webm: "audio/webm",
  mp4: "video/mp4",
};

function contentType(file) {
  if (file.type) return file.type;
  const ext = file.name.split(".").pop().toLowerCase();
  return BY_EXTENSION[ext] || "application/octet-stream";
}

function entry(file) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": `upload of ${file.name}` });
  const text = h("span", { class: "upload-state" }, "waiting");
  const li = h("li", { class: "upload-entry" }, h("span", { class: "upload-name" }, file.name), bar, text);
  $("uploads").prepend(li);
  return {
    progress: (fraction) => {
      bar.value = Math.round(fraction * 100);
      text.textContent = `uploading ${bar.value}%`;
    },
    done: (id) => {
      bar.value = 100;
      text.replaceChildren("uploaded; ", h("a", { href: `#/interview/${encodeURIComponent(id)}` }, "follow its processing"));
      li.dataset.state = "uploaded";
    },
    fail: (message) => {
      li.classList.add("failed");
      li.dataset.state = "refused";
      bar.remove();
      text.textContent = `not uploaded: ${message}`;
    },
  };
}

async function uploadOne(project, file, onUploaded) {
  const ui = entry(file);
  if (file.size === 0) {
    // The API refuses empty files too; saying so here spares a request that can only fail.
    ui.fail("the file is empty (0 bytes); upload the recording or transcript again");
    return;
  }
  try {
    const upload = await api("POST", "/v1/uploads", {
      project,
      file_name: file.name,
      content_type: contentType(file),
      size_bytes: file.size,
    });
    ui.progress(0);
    await putFile(upload, file, ui.progress);
    ui.done(upload.interview_id);
    onUploaded();
  } catch (e) {
    ui.fail(e.message);
  }
}

export function initUploads(projectOf, onUploaded) {
  const send = (files) => {
    const project = projectOf();
    for (const file of files) uploadOne(project, file, onUploaded);
  };
  const input = $("file");
  input.addEventListener("change", () => {
    send([...input.files]);
    input.value = "";
  });
  const zone = $("dropzone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    send([...e.dataTransfer.files]);
  });
  // A file dropped beside the zone would make the browser navigate away from the page.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
}
