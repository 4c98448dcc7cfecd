// Live progress of a sync run: poll GET /api/v1/runs/{id}/ and show its stage and progress;
// the poller reloads the page once the run finishes so it shows the results (or the error).

import { pollUntilFinished, showBadge, showProgress } from "./poll.js";

const box = document.getElementById("run-progress");
if (box && box.dataset.active === "1") {
  const stage = document.getElementById("run-stage");
  const percentText = document.getElementById("run-percent");
  const bar = document.getElementById("run-progressbar");
  const badge = document.getElementById("run-status-badge");
  const errorBox = document.getElementById("run-error");
  const errorText = document.getElementById("run-error-message");

  pollUntilFinished(`runs/${box.dataset.runId}/`, (run, error) => {
    if (error) {
      errorText.textContent = error.message;
      errorBox.hidden = false;
      return;
    }
    const percent = showProgress(bar, run);
    stage.textContent = run.stage_label;
    percentText.textContent = percent + " %";
    showBadge(badge, run);
    if (run.error_message) {
      errorText.textContent = run.error_message;
      errorBox.hidden = false;
    }
  });
}
