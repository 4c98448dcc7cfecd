// Export progress: while a render is active, poll its status and update its bar; the shared
// poller reloads the page once it finishes so the page lists its files (or shows its error).
(function () {
  "use strict";
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
