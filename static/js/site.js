// Small site-wide behaviour: confirm before destructive form posts (data-confirm="...").
// (The pages' modules: api.js talks to /api/v1/, poll.js follows background jobs.)
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
