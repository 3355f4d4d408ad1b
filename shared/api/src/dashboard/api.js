// The JSON API as the page uses it. On `serve` the HttpOnly cookie carries the token; on AWS
// a token pasted once is kept in sessionStorage and sent as Bearer.

const TOKEN_KEY = "interviews_token";

export const authMode = () => document.querySelector('meta[name="interviews-auth"]').content;

export const storedToken = () => sessionStorage.getItem(TOKEN_KEY);
export const storeToken = (token) => sessionStorage.setItem(TOKEN_KEY, token.trim());
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** Whether the page can expect its requests to be authenticated. */
export function signedIn() {
  return authMode() === "local" || Boolean(storedToken());
}

/** An API failure, with the problem's detail (what a person can act on) and its status. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "the server cannot be reached; is `interviews serve` still running?");
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, (json && (json.detail || json.title)) || `HTTP ${response.status}`);
  }
  return json;
}

export const get = (path) => api("GET", path);

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) q.set(name, String(value));
  }
  return q.toString();
}

/** Every page of a listing (bounded: a dashboard export, not a data dump). */
export async function listAll(params, maxPages = 50) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const body = await get(`/v1/interviews?${query({ ...params, limit: 200, cursor })}`);
    items.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** PUTs a file to an upload URL with the headers it was issued with, reporting progress (0–1). */
export function putFile(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || "PUT", upload.url);
    for (const [name, value] of Object.entries(upload.headers || {})) {
      if (name.toLowerCase() !== "content-length") xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else {
        let detail = `the storage answered HTTP ${xhr.status}`;
        try {
          detail = JSON.parse(xhr.responseText).detail || detail;
        } catch {
          /* S3 answers XML; the status says enough */
        }
        reject(new ApiError(xhr.status, detail));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "the upload was interrupted; try again"));
    xhr.send(file);
  });
}
