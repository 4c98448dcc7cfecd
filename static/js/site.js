// Small site-wide behaviour: confirm before destructive form posts (data-confirm="..."), and
// the shared status poller used by the run page (sync progress) and the export panel.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Poll a JSON status URL about once a second, hand each answer to show(data), and reload the
  // page once data.finished so it shows the server-rendered result. Errors back off to 10 s.
  function pollUntilFinished(url, show) {
    var delay = 1000;
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
          delay = Math.min(delay * 2, 10000);  // server busy or restarting: keep trying
          window.setTimeout(poll, delay);
        });
    }
    window.setTimeout(poll, delay);
  }

  window.Syncsite = { pollUntilFinished: pollUntilFinished };
})();
