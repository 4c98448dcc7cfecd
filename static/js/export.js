// Export progress: while a render is active, poll its status and update its bar; the shared
// poller reloads the page once it finishes so the page lists its files (or shows its error).
// Finished exports are checked again when the player saves an offset (Syncsite.refreshExports):
// one made before the change is flagged as out of date at once.
(function () {
  "use strict";
  window.Syncsite.refreshExports = function () {
    var done = document.querySelectorAll("#export .render[data-status='done']");
    Array.prototype.forEach.call(done, function (box) {
      var notice = box.querySelector(".render-stale");
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
        .then(function (data) { if (notice) { notice.hidden = !data.out_of_date; } })
        .catch(function () { /* the next page load shows it */ });
    });
  };

  var boxes = document.querySelectorAll("#export .render[data-active='1']");
  Array.prototype.forEach.call(boxes, function (box) {
    var bar = box.querySelector("[role=progressbar]");
    var fill = box.querySelector(".progress-fill");
    var stage = box.querySelector(".render-stage");
    var badge = box.querySelector(".render-badge");
    window.Syncsite.pollUntilFinished(box.dataset.statusUrl, function (data) {
      var percent = Math.round(100 * (data.progress || 0));
      if (bar) { bar.setAttribute("aria-valuenow", String(percent)); }
      if (fill) { fill.style.width = percent + "%"; }
      stage.textContent = data.stage_label + " " + percent + " %";
      badge.textContent = data.status_label;
      badge.className = "badge render-badge status-" + data.status;
    });
  });
})();
