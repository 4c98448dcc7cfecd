// Export progress: while a render is active, poll its status about once a second and update
// its bar; reload once it finishes so the page lists its files (or shows its error).
(function () {
  "use strict";
  var boxes = document.querySelectorAll("#export .render[data-active='1']");
  Array.prototype.forEach.call(boxes, function (box) {
    var url = box.dataset.statusUrl;
    var bar = box.querySelector("[role=progressbar]");
    var fill = box.querySelector(".progress-fill");
    var stage = box.querySelector(".render-stage");
    var badge = box.querySelector(".render-badge");
    var delay = 1000;

    function show(data) {
      var percent = Math.round(100 * (data.progress || 0));
      if (bar) { bar.setAttribute("aria-valuenow", String(percent)); }
      if (fill) { fill.style.width = percent + "%"; }
      stage.textContent = data.stage_label + " " + percent + " %";
      badge.textContent = data.status_label;
      badge.className = "badge render-badge status-" + data.status;
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
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
          delay = Math.min(delay * 2, 10000);
          window.setTimeout(poll, delay);
        });
    }
    window.setTimeout(poll, delay);
  });
})();
