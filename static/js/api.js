// The pages' one door to the server: the JSON API under /api/v1/, with the browser's session.
//
// Every call sends the CSRF token (from the csrftoken cookie, or the page's {% csrf_token %}
// field when the cookie is not readable) and asks for JSON. Any refusal becomes an ApiError
// carrying the API's error body {message, code, extra}, plus the HTTP status; a lost
// connection is an ApiError with code "network". Callers show error.message to the user.

export const API_ROOT = "/api/v1/";

const NETWORK_LOST = "The connection to the server was lost. Check your network and try again.";
const SESSION_ENDED = "Your session has ended. Reload the page and log in again.";

export class ApiError extends Error {
  constructor(message, { code = "error", status = 0, extra = {} } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) { return decodeURIComponent(match[1]); }
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function url(path) {
  return path.startsWith("/") ? path : API_ROOT + path;
}

// The ApiError for a refused call: the API's own message when the body is ours, else a plain
// sentence with the status (a proxy's HTML error page, say).
export function errorFrom(status, body) {
  if (body && typeof body.message === "string" && typeof body.code === "string") {
    const extra = body.extra || {};
    let message = body.message;
    if (body.code === "not_authenticated") { message = SESSION_ENDED; }
    const fields = extra.fields ? Object.values(extra.fields) : [];
    if (body.code === "invalid" && fields.length === 1 && typeof fields[0][0] === "string") {
      message = fields[0][0];  // one bad field: its own message says what to send
    }
    return new ApiError(message, { code: body.code, status, extra });
  }
  if (status === 413) {
    return new ApiError("The server refused the file as too large (HTTP 413).",
                        { code: "upload_too_large", status });
  }
  return new ApiError(`The server could not do that (HTTP ${status}). Try again in a moment.`,
                      { code: "http_" + status, status });
}

function parse(text) {
  try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
}

// fetch one API path; resolves with the parsed body (null for 204), rejects with ApiError.
export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") { headers["X-CSRFToken"] = csrfToken(); }
  if (body !== undefined) { headers["Content-Type"] = "application/json"; }
  let response;
  try {
    response = await fetch(url(path), {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(NETWORK_LOST, { code: "network" });
  }
  const data = parse(await response.text());
  if (!response.ok) { throw errorFrom(response.status, data); }
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body);
export const patch = (path, body) => call("PATCH", path, body);
export const del = (path) => call("DELETE", path);

// POST a multipart form with upload progress: onProgress(fraction 0-1) while the body goes
// up, onSent() once it is all sent (the server then checks the file). XHR, because fetch has
// no upload progress.
export function upload(path, formData, { onProgress, onSent } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url(path));
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) { onProgress(event.loaded / event.total); }
    });
    xhr.upload.addEventListener("load", () => { if (onSent) { onSent(); } });
    xhr.addEventListener("load", () => {
      const data = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) { resolve(data); }
      else { reject(errorFrom(xhr.status, data)); }
    });
    xhr.addEventListener("error", () => reject(new ApiError(NETWORK_LOST, { code: "network" })));
    xhr.send(formData);
  });
}
