// One poller and one progress bar for the work the server does in the background (sync runs,
// exports): poll an API path about once a second, show each answer, reload the page once the
// job has finished so it shows the server-rendered result. Errors back off to 10 s.

import { get } from "./api.js";

const DELAY_MS = 1000;
const MAX_DELAY_MS = 10000;

// Poll `path` until its body says `finished`; show(body) after every answer. Returns a stop().
export function pollUntilFinished(path, show, { reload = true } = {}) {
  let delay = DELAY_MS;
  let timer = null;
  let stopped = false;
  async function poll() {
    let data;
    try {
      data = await get(path);
    } catch (error) {
      if (error.status === 404 || error.status === 401) {  // gone, or the session ended
        show(null, error);
        return;
      }
      delay = Math.min(delay * 2, MAX_DELAY_MS);  // server busy or restarting: keep trying
      timer = window.setTimeout(poll, delay);
      return;
    }
    if (stopped) { return; }
    delay = DELAY_MS;
    show(data, null);
    if (data.finished) {
      if (reload) { timer = window.setTimeout(() => window.location.reload(), 400); }
    } else {
      timer = window.setTimeout(poll, delay);
    }
  }
  timer = window.setTimeout(poll, delay);
  return function stop() { stopped = true; window.clearTimeout(timer); };
}

// One job's progress on its bar: `bar` is the [role=progressbar] element, holding a
// .progress-fill; `job` an API answer with progress (0-1) and status. Returns the percent.
export function showProgress(bar, job) {
  const percent = Math.round(100 * (job.progress || 0));
  if (!bar) { return percent; }
  bar.setAttribute("aria-valuenow", String(percent));
  const fill = bar.querySelector(".progress-fill");
  if (fill) {
    fill.style.width = percent + "%";
    fill.className = "progress-fill status-" + job.status;
  }
  return percent;
}

// A status badge ("Running", "Done"): its text and its colour class.
export function showBadge(badge, job, base = "badge") {
  if (!badge) { return; }
  badge.textContent = job.status_label;
  badge.className = base + " status-" + job.status;
}
