// Live progress of a sync run: poll the status endpoint; reload once the run finishes so the
// page shows its results (or its error) as rendered by the server.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || box.dataset.active !== "1") { return; }
  var stage = document.getElementById("run-stage");
  var percentText = document.getElementById("run-percent");
  var bar = document.getElementById("run-progressbar");
  var fill = document.getElementById("run-progress-fill");
  var badge = document.getElementById("run-status-badge");
  var errorBox = document.getElementById("run-error");
  var errorText = document.getElementById("run-error-message");

  window.Syncsite.pollUntilFinished(box.dataset.statusUrl, function (data) {
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
  });
})();
