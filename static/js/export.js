// Export progress: while a render is active, poll GET /api/v1/renders/{id}/ and update its
// bar; the poller reloads the page once it finishes so the page lists its files (or shows
// its error). When the player saves an offset (the "syncsite:offsets-changed" event) the
// finished exports are read again: one made before the change is flagged out of date at once.

import { get } from "./api.js";
import { pollUntilFinished, showBadge, showProgress } from "./poll.js";

function refreshExports() {
  document.querySelectorAll("#export .render[data-status='done']").forEach(async (box) => {
    const notice = box.querySelector(".render-stale");
    try {
      const render = await get(`renders/${box.dataset.renderId}/`);
      if (notice) { notice.hidden = !render.out_of_date; }
    } catch (error) { /* the next page load shows it */ }
  });
}

document.addEventListener("syncsite:offsets-changed", refreshExports);

document.querySelectorAll("#export .render[data-active='1']").forEach((box) => {
  const bar = box.querySelector("[role=progressbar]");
  const stage = box.querySelector(".render-stage");
  const badge = box.querySelector(".render-badge");
  pollUntilFinished(`renders/${box.dataset.renderId}/`, (render, error) => {
    if (error) { stage.textContent = error.message; return; }
    const percent = showProgress(bar, render);
    stage.textContent = render.stage_label + " " + percent + " %";
    showBadge(badge, render, "badge render-badge");
  });
});
