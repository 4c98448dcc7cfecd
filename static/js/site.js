// Small site-wide behaviour: confirm before destructive form posts (data-confirm="...").
// (The pages' modules: api.js talks to /api/v1/, poll.js follows background jobs.)
// The project page: a clip's Camera list posts its form as soon as it changes (the Move
// button stays for keyboards and pages without scripts), and the master audio's channel list
// offers only the channels the chosen clip has.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
    }
    if (target.id === "id_master_audio") { limitChannels(); }
  });

  function limitChannels() {
    var master = document.getElementById("id_master_audio");
    var channel = document.getElementById("id_master_channel");
    if (!master || !channel) { return; }
    var chosen = master.options[master.selectedIndex];
    var count = chosen && chosen.value ? parseInt(chosen.getAttribute("data-channels"), 10) || 1 : 0;
    for (var i = 0; i < channel.options.length; i += 1) {
      var option = channel.options[i];
      var hidden = option.value !== "" && parseInt(option.value, 10) >= count;
      option.hidden = hidden;
      option.disabled = hidden;
      if (hidden && option.selected) { channel.value = ""; }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", limitChannels);
  } else {
    limitChannels();
  }
})();
