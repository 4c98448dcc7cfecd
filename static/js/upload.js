// Upload several files (picker or drag and drop), one POST per file, one progress bar each.
// Files go one after another in the order chosen, so "the first uploaded" is predictable.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = document.getElementById("upload-input");
  var list = document.getElementById("upload-list");
  var rows = document.getElementById("video-rows");
  var referenceSelect = document.getElementById("id_reference");
  var maxBytes = parseInt(form.dataset.maxBytes, 10) || 0;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var queue = [];
  var busy = false;
  var pollTimer = null;

  function humanSize(n) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function addItem(file) {
    var li = el("li", "upload-item");
    li.dataset.state = "queued";
    var head = el("div", "upload-head");
    head.appendChild(el("span", "upload-name", file.name));
    head.appendChild(el("span", "upload-size muted", humanSize(file.size)));
    var bar = el("div", "progress small");
    var fill = el("div", "progress-fill");
    fill.style.width = "0%";
    bar.appendChild(fill);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Upload of " + file.name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", "0");
    var status = el("p", "upload-status muted", "Waiting");
    li.appendChild(head);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    return { li: li, bar: bar, fill: fill, status: status };
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
    for (var i = 0; i < files.length; i += 1) {
      var item = addItem(files[i]);
      if (maxBytes && files[i].size > maxBytes) {
        setState(item, "error", "'" + files[i].name + "' is larger than the " +
                 humanSize(maxBytes) + " limit. Trim or compress it first.", 0);
        continue;
      }
      queue.push({ file: files[i], item: item });
    }
    next();
  }

  function next() {
    if (busy) { return; }
    var job = queue.shift();
    if (!job) { refreshRows(); return; }
    busy = true;
    send(job.file, job.item, function () { busy = false; next(); });
  }

  function send(file, item, done) {
    var xhr = new XMLHttpRequest();
    var body = new FormData();
    body.append("file", file, file.name);
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        var percent = Math.min(99, Math.round(100 * event.loaded / event.total));
        setState(item, "uploading", "Uploading… " + percent + " %", percent);
      }
    });
    xhr.upload.addEventListener("load", function () {
      setState(item, "checking", "Checking the file…", 99);
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 201 && data && data.ok) {
        setState(item, "done", "Added (" + data.video.status_label.toLowerCase() + ")", 100);
        addReference(data.video);
      } else {
        var message = data && data.message ? data.message :
          "The upload failed (HTTP " + xhr.status + "). Try again.";
        setState(item, "error", message, 0);
      }
      done();
    });
    xhr.addEventListener("error", function () {
      setState(item, "error", "The connection was lost while uploading. Try again.", 0);
      done();
    });
    setState(item, "uploading", "Uploading… 0 %", 0);
    xhr.send(body);
  }

  function addReference(video) {
    if (!referenceSelect) { return; }
    var option = el("option", "", video.name);
    option.value = String(video.id);
    referenceSelect.appendChild(option);
  }

  function refreshRows() {
    if (!list.querySelector("[data-state=done]") && !rows.querySelector("[data-status=processing]")) {
      return;
    }
    fetch(form.dataset.rowsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // A redirect means the session ended (login page): keep the rows we have.
        return response.ok && !response.redirected ? response.text() : Promise.reject(response);
      })
      .then(function (html) {
        rows.innerHTML = html;
        schedulePoll();
      })
      .catch(function () { schedulePoll(); });
  }

  // Previews are made in the background: refresh the rows until none is still processing.
  function schedulePoll() {
    if (pollTimer || busy || !rows.querySelector("[data-status=processing]")) { return; }
    pollTimer = window.setTimeout(function () { pollTimer = null; refreshRows(); }, 2000);
  }

  input.addEventListener("change", function () {
    enqueue(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      event.preventDefault();
      form.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      event.preventDefault();
      form.classList.remove("dragging");
    });
  });
  form.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      enqueue(event.dataTransfer.files);
    }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  schedulePoll();
})();
