// Upload several files (picker or drag and drop) through POST /api/v1/projects/{id}/videos/,
// one request per file, one progress bar each. Files go one after another in the order
// chosen, so "the first uploaded" is predictable. The API checks size, disk and media; its
// refusal message is shown on the file's line.

import { upload } from "./api.js";

const form = document.getElementById("upload-form");
if (form) {
  const input = document.getElementById("upload-input");
  const list = document.getElementById("upload-list");
  const rows = document.getElementById("video-rows");
  const referenceSelect = document.getElementById("id_reference");
  const maxBytes = parseInt(form.dataset.maxBytes, 10) || 0;
  const path = `projects/${form.dataset.projectId}/videos/`;
  const queue = [];
  let busy = false;
  let pollTimer = null;

  const humanSize = (n) => {
    const units = ["bytes", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
  };

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  };

  function addItem(file) {
    const li = el("li", "upload-item");
    li.dataset.state = "queued";
    const head = el("div", "upload-head");
    head.appendChild(el("span", "upload-name", file.name));
    head.appendChild(el("span", "upload-size muted", humanSize(file.size)));
    const bar = el("div", "progress small");
    const fill = el("div", "progress-fill");
    fill.style.width = "0%";
    bar.appendChild(fill);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Upload of " + file.name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", "0");
    const status = el("p", "upload-status muted", "Waiting");
    li.append(head, bar, status);
    list.appendChild(li);
    return { li, bar, fill, status };
  }

  function setState(item, state, text, percent) {
    item.li.dataset.state = state;
    item.li.className = "upload-item " + state;
    item.status.textContent = text;
    item.status.className = "upload-status " + (state === "error" ? "error" : "muted");
    if (percent !== undefined) {
      item.fill.style.width = percent + "%";
      item.bar.setAttribute("aria-valuenow", String(percent));
    }
  }

  function enqueue(files) {
    for (const file of files) {
      const item = addItem(file);
      if (maxBytes && file.size > maxBytes) {
        setState(item, "error", `'${file.name}' is larger than the ${humanSize(maxBytes)} ` +
                 "limit. Trim or compress it first.", 0);
        continue;
      }
      queue.push({ file, item });
    }
    next();
  }

  async function next() {
    if (busy) { return; }
    const job = queue.shift();
    if (!job) { refreshRows(); return; }
    busy = true;
    await send(job.file, job.item);
    busy = false;
    next();
  }

  async function send(file, item) {
    const body = new FormData();
    body.append("file", file, file.name);
    setState(item, "uploading", "Uploading… 0 %", 0);
    try {
      const video = await upload(path, body, {
        onProgress: (fraction) => {
          const percent = Math.min(99, Math.round(100 * fraction));
          setState(item, "uploading", `Uploading… ${percent} %`, percent);
        },
        onSent: () => setState(item, "checking", "Checking the file…", 99),
      });
      setState(item, "done", `Added (${video.status_label.toLowerCase()})`, 100);
      addReference(video);
    } catch (error) {
      setState(item, "error", error.message, 0);
    }
  }

  function addReference(video) {
    if (!referenceSelect) { return; }
    const option = el("option", "", video.name);
    option.value = String(video.id);
    referenceSelect.appendChild(option);
  }

  // The table rows are server-rendered HTML (the project's rows fragment).
  async function refreshRows() {
    if (!list.querySelector("[data-state=done]") &&
        !rows.querySelector("[data-status=processing]")) {
      return;
    }
    try {
      const response = await fetch(form.dataset.rowsUrl,
                                   { credentials: "same-origin", headers: { Accept: "text/html" } });
      // A redirect means the session ended (login page): keep the rows we have.
      if (response.ok && !response.redirected) { rows.innerHTML = await response.text(); }
    } catch (error) { /* keep the rows we have; try again below */ }
    schedulePoll();
  }

  // Previews are made in the background: refresh the rows until none is still processing.
  function schedulePoll() {
    if (pollTimer || busy || !rows.querySelector("[data-status=processing]")) { return; }
    pollTimer = window.setTimeout(() => { pollTimer = null; refreshRows(); }, 2000);
  }

  input.addEventListener("change", () => {
    enqueue(input.files);
    input.value = "";
  });
  for (const name of ["dragenter", "dragover"]) {
    form.addEventListener(name, (event) => {
      event.preventDefault();
      form.classList.add("dragging");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    form.addEventListener(name, (event) => {
      event.preventDefault();
      form.classList.remove("dragging");
    });
  }
  form.addEventListener("drop", (event) => {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      enqueue(event.dataTransfer.files);
    }
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  schedulePoll();
}
