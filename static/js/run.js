// Live progress of a sync run: poll the status endpoint about once a second; reload once when
// the run finishes so the page shows its results (or its error) as rendered by the server.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || box.dataset.active !== "1") { return; }
  var url = box.dataset.statusUrl;
  var stage = document.getElementById("run-stage");
  var percentText = document.getElementById("run-percent");
  var bar = document.getElementById("run-progressbar");
  var fill = document.getElementById("run-progress-fill");
  var badge = document.getElementById("run-status-badge");
  var errorBox = document.getElementById("run-error");
  var errorText = document.getElementById("run-error-message");
  var delay = 1000;

  function show(data) {
    var percent = Math.round(100 * (data.progress || 0));
    stage.textContent = data.stage_label;
    percentText.textContent = percent + " %";
    fill.style.width = percent + "%";
    fill.className = "progress-fill status-" + data.status;
    bar.setAttribute("aria-valuenow", String(percent));
    badge.textContent = data.status_label;
    badge.className = "badge status-" + data.status;
    if (data.error_message) {
      errorText.textContent = data.error_message;
      errorBox.hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
      .then(function (data) {
        delay = 1000;
        show(data);
        if (data.finished) {
          window.setTimeout(function () { window.location.reload(); }, 400);
        } else {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000);  // server busy or restarting: back off, keep trying
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
