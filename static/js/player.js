// The synchronized multi-video player on the run page.
//
// One master clock (performance.now, started from the seek position) says where the shared
// (reference) timeline is. Every animation frame, and every 100 ms as a backstop, each video
// in range is steered to clock - offset: a small drift by a proportional playbackRate change,
// a large one (> 0.3 s) by a seek. Videos start and stop as they enter and leave their range;
// while one is buffering or seeking the clock waits for it. Offsets can be nudged live and
// saved as the manual adjustment (POST, CSRF header); the estimate stays on record.
(function () {
  "use strict";
  var S = window.SyncsitePlayerSync;
  var Tiles = window.SyncsitePlayerTiles;
  var root = document.getElementById("sync-player");
  var dataNode = document.getElementById("player-data");
  if (!root || !dataNode || !S || !Tiles) { return; }

  var HAVE_FUTURE_DATA = 3;
  var MAX_HOLD_MS = 3000;  // never wait longer than this for a video that will not load
  var MAX_ARM_MS = 600;    // ... nor for one that will not start moving
  var entryLead_s = 0.06;  // a video entering its range is started this much early (learnt)
  var data = JSON.parse(dataNode.textContent);
  var refFps = data.reference_fps || 30;
  var clock = new S.Clock();
  var tracks = [];
  var span = { start: 0, end: 0 };
  var soundId = null;
  var dragging = false;
  var playing = false;     // the user's intent; the clock may still wait for the videos
  var waitSince = 0;
  var playButton = document.getElementById("player-play");
  var seekBar = document.getElementById("player-seek");
  var timeText = document.getElementById("player-time");
  var message = document.getElementById("player-message");
  var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : (csrfInput ? csrfInput.value : "");
  }

  function say(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  function durationOf(track) {
    var d = track.video.duration;
    return isFinite(d) && d > 0 ? d : track.duration_s;
  }

  function updateSpan() {
    span = S.span(tracks.map(function (t) {
      return { offset_s: t.offset_s, duration_s: durationOf(t) };
    }));
    seekBar.min = String(span.start);
    seekBar.max = String(span.end);
  }

  function showTime(T) {
    if (!dragging) { seekBar.value = String(T); }
    timeText.textContent = S.formatClock(T) + " / " + S.formatClock(span.end);
  }

  function setTrackState(track, place) {
    if (track.state !== place.state) {
      track.state = place.state;
      track.tile.dataset.state = place.state;
      track.overlay.hidden = place.state === "active";
    }
    if (place.state === "pending") {
      track.overlay.textContent = "starts in " + place.starts_in_s.toFixed(1) + " s";
    } else if (place.state === "ended") {
      track.overlay.textContent = "ended";
    }
  }

  function playVideo(track) {
    var promise = track.video.play();
    if (promise && promise.catch) {
      promise.catch(function (error) {
        if (error && error.name === "NotAllowedError" && !track.video.muted) {
          track.video.muted = true;  // the browser refused sound without a click: play muted
          say("The browser blocked the sound; press Play to hear it.");
        }
      });
    }
  }

  // Put one track where the timeline is at T; `exact` seeks even a small drift (paused).
  function place(track, T, exact) {
    var where = S.placeAt(T, track.offset_s, durationOf(track));
    var video = track.video;
    setTrackState(track, where);
    if (playing && clock.running && where.state === "pending" && where.starts_in_s < 0.3) {
      scheduleEntry(track, where.starts_in_s);
      return;
    }
    if (where.state !== "active" || !playing) {
      if (!video.paused) { video.pause(); }
      video.playbackRate = 1;
      if (Math.abs(video.currentTime - where.local_s) > (exact ? 1e-4 : 0.05)) {
        video.currentTime = where.local_s;
      }
      return;
    }
    if (video.seeking) { return; }
    if (!clock.running) {  // arming: every video starts where it is, the clock follows
      if (video.paused && !video.ended) { playVideo(track); }
      return;
    }
    var drift_s = video.currentTime - where.local_s;
    if (track.entering && track.startedAt !== null) {
      // How late did it start moving? Start the next entering video that much earlier.
      entryLead_s = Math.min(0.25, Math.max(0, entryLead_s - 0.5 * drift_s));
      track.entering = false;
    }
    var rate = S.rateFor(drift_s);
    if (rate === null || exact) {
      video.playbackRate = 1;
      video.currentTime = where.local_s;
    } else if (Math.abs(video.playbackRate - rate) > 0.004) {
      video.playbackRate = rate;
    }
    if (video.paused && !video.ended) { playVideo(track); }
  }

  // A video about to enter its range is started from 0 a moment early (timer, not frame
  // accurate otherwise): a video takes that long between play() and moving.
  function scheduleEntry(track, starts_in_s) {
    if (track.entryTimer || !track.video.paused || track.video.seeking) { return; }
    if (track.video.currentTime > 1e-3) { track.video.currentTime = 0; }
    track.entryTimer = window.setTimeout(function () {
      track.entryTimer = null;
      if (playing && clock.running && track.video.paused && track.state === "pending") {
        track.entering = true;
        playVideo(track);
      }
    }, Math.max(0, (starts_in_s - entryLead_s) * 1000));
  }

  function cancelEntry(track) {
    window.clearTimeout(track.entryTimer);
    track.entryTimer = null;
    track.entering = false;
    track.startedAt = null;
  }

  function isWaiting(track) {
    var video = track.video;
    return track.state === "active" && !video.ended &&
      (video.seeking || video.readyState < HAVE_FUTURE_DATA);
  }

  function isStarting(track) {
    return track.state === "active" && !track.video.ended && track.startedAt === null;
  }

  // One step of the sync loop while playing. The clock stops while a video buffers or seeks,
  // and starts again once every video in range is moving ("arming"), so none starts behind.
  function tick() {
    if (!playing) { return; }
    var now = performance.now();
    var T = clock.now(now);
    if (T >= span.end) {
      pause(span.end);
      return;
    }
    var waiting = tracks.some(isWaiting);
    if (clock.running && waiting) {
      clock.stop(now);
      waitSince = now;
      tracks.forEach(function (t) {
        if (!t.video.paused) { t.video.pause(); }
        cancelEntry(t);
      });
      root.dataset.state = "buffering";
    } else if (clock.running) {
      tracks.forEach(function (t) { place(t, T, false); });
      root.dataset.state = "playing";
    } else if (!waiting || now - waitSince > MAX_HOLD_MS) {
      tracks.forEach(function (t) { place(t, T, false); });
      if (!tracks.some(isStarting) || now - waitSince > MAX_HOLD_MS + MAX_ARM_MS) {
        clock.start(now);
        root.dataset.state = "playing";
      }
    }
    showTime(T);
  }

  function loop() {
    if (!playing) { return; }
    tick();
    window.requestAnimationFrame(loop);
  }

  function seek(T) {
    T = Math.min(span.end, Math.max(span.start, T));
    var now = performance.now();
    var wasPlaying = playing;
    playing = false;  // every video paused exactly at T; if playing, tick() starts them together
    clock.stop(now);
    clock.set(T, now);
    tracks.forEach(function (t) {
      cancelEntry(t);
      place(t, T, true);
    });
    playing = wasPlaying;
    waitSince = now;
    showTime(T);
  }

  function play() {
    if (playing || !tracks.length) { return; }
    var now = performance.now();
    var T = clock.now(now);
    if (T >= span.end - 1e-3) { T = span.start; }
    playing = true;
    clock.stop(now);
    clock.set(T, now);
    waitSince = now;
    tracks.forEach(cancelEntry);
    say("");
    playButton.textContent = "Pause";
    root.dataset.state = "starting";
    tick();
    window.requestAnimationFrame(loop);
  }

  function pause(atT) {
    var now = performance.now();
    clock.stop(now);
    playing = false;
    var T = atT === undefined ? clock.now(now) : atT;
    playButton.textContent = "Play";
    root.dataset.state = "paused";
    seek(T);  // line every paused frame up exactly with the clock
  }

  function toggle() {
    if (playing) { pause(); } else { play(); }
  }

  function step(frames) {
    if (playing) { pause(); }
    seek(S.frameStep(clock.now(performance.now()), refFps, frames));
  }

  function jump(seconds) {
    seek(clock.now(performance.now()) + seconds);
  }

  function chooseSound(videoId) {
    soundId = videoId;
    tracks.forEach(function (t) {
      t.video.muted = t.id !== videoId;
      t.soundInput.checked = t.id === videoId;
    });
  }

  // Offsets: live nudges, save and reset.
  function isDirty(track) {
    var base = track.saved_s === null ? track.estimate_s : track.saved_s;
    return !track.data.is_reference && Math.abs(track.offset_s - base) > 1e-9;
  }

  function showOffset(track) {
    if (!track.offsetText) { return; }
    var dirty = isDirty(track);
    track.offsetText.textContent = S.formatOffset(track.offset_s);
    track.kindText.textContent = dirty ? "unsaved" : (track.saved_s === null ? "estimate" : "manual");
    track.kindText.className = "tile-offset-kind badge kind-" + track.kindText.textContent;
    track.tile.dataset.offsetS = String(track.offset_s);
    track.saveButton.disabled = track.busy || !dirty;
    track.resetButton.disabled = track.busy || (track.saved_s === null && !dirty);
  }

  function setOffset(track, offset_s) {
    track.offset_s = offset_s;
    updateSpan();
    showOffset(track);
    var T = clock.now(performance.now());
    place(track, T, !playing);  // playing: the sync loop steers it there smoothly
  }

  function postAdjust(track, manual_offset_s) {
    track.busy = true;
    showOffset(track);
    track.messageText.textContent = "Saving…";
    return fetch(track.data.adjust_url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ manual_offset_s: manual_offset_s })
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (body) {
        if (!response.ok || !body.ok) {
          throw new Error(body.message || "Saving failed (HTTP " + response.status + ").");
        }
        return body.video;
      });
    }).then(function (video) {
      track.saved_s = video.manual_offset_s;
      track.estimate_s = video.offset_s;
      track.messageText.textContent = video.manual_offset_s === null ? "Back to the estimate." : "Saved.";
      track.messageText.className = "tile-message small ok";
      return video;
    }).catch(function (error) {
      track.messageText.textContent = error.message;
      track.messageText.className = "tile-message small error";
      return null;
    }).then(function (video) {
      track.busy = false;
      if (video) { setOffset(track, video.effective_offset_s); } else { showOffset(track); }
      if (video && window.Syncsite && window.Syncsite.refreshExports) {
        window.Syncsite.refreshExports();  // exports made before this change are now stale
      }
    });
  }

  function wireTrack(track) {
    track.soundInput.addEventListener("change", function () { chooseSound(track.id); });
    cancelEntry(track);
    track.video.addEventListener("playing", function () { track.startedAt = performance.now(); });
    track.video.addEventListener("loadedmetadata", function () {
      updateSpan();
      if (!playing) { seek(clock.now(performance.now())); }
    });
    if (track.data.is_reference) { return; }
    track.tile.querySelectorAll("button.nudge").forEach(function (b) {
      b.addEventListener("click", function () {
        setOffset(track, Math.round((track.offset_s + Number(b.dataset.delta)) * 1e6) / 1e6);
      });
    });
    track.saveButton.addEventListener("click", function () { postAdjust(track, track.offset_s); });
    track.resetButton.addEventListener("click", function () {
      if (track.saved_s === null) {
        setOffset(track, track.estimate_s);
        track.messageText.textContent = "";
      } else {
        postAdjust(track, null);
      }
    });
    showOffset(track);
  }

  function onKey(event) {
    var target = event.target;
    var tag = target && target.tagName;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) { return; }
    if (tag === "INPUT" && ["range", "radio", "checkbox", "button"].indexOf(target.type) < 0) { return; }
    var key = event.key;
    if (key === " " || key === "k") {
      toggle();
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      var sign = key === "ArrowLeft" ? -1 : 1;
      if (event.shiftKey) { jump(sign); } else { step(sign); }
    } else if (key === "," || key === ".") {
      step(key === "," ? -1 : 1);
    } else if (key === "Home" || key === "End") {
      seek(key === "Home" ? span.start : span.end);
    } else if (/^[1-9]$/.test(key) && tracks[Number(key) - 1]) {
      chooseSound(tracks[Number(key) - 1].id);
    } else {
      return;
    }
    event.preventDefault();  // no page scroll, no second click on a focused button
  }

  function build() {
    var grid = document.getElementById("player-grid");
    var apartGrid = document.getElementById("player-apart-grid");
    var preparing = document.getElementById("player-preparing");
    data.videos.forEach(function (v) {
      if (!v.ready) {
        preparing.appendChild(Tiles.preparingItem(v));
        preparing.hidden = false;
      } else if (v.effective_offset_s === null) {
        apartGrid.appendChild(Tiles.apartTile(v));
        document.getElementById("player-apart").hidden = false;
      } else {
        var track = Tiles.timelineTile(v, tracks.length);
        tracks.push(track);
        grid.appendChild(track.tile);
      }
    });
    if (!tracks.length) {
      root.querySelector(".player-controls").hidden = true;
      say("No video can be played on the timeline yet.");
      return;
    }
    tracks.forEach(wireTrack);
    var reference = tracks.filter(function (t) { return t.data.is_reference; })[0] || tracks[0];
    chooseSound(reference.id);
    updateSpan();
    playButton.addEventListener("click", toggle);
    document.getElementById("player-back").addEventListener("click", function () { step(-1); });
    document.getElementById("player-forward").addEventListener("click", function () { step(1); });
    seekBar.addEventListener("pointerdown", function () { dragging = true; });
    window.addEventListener("pointerup", function () { dragging = false; });
    seekBar.addEventListener("input", function () { seek(Number(seekBar.value)); });
    document.addEventListener("keydown", onKey);
    // A nudge not saved yet would be lost silently by leaving the page: ask first.
    window.addEventListener("beforeunload", function (event) {
      if (tracks.some(isDirty)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    // rAF stops in hidden tabs; this keeps the videos steered (slower) there too.
    window.setInterval(tick, 100);
    root.dataset.state = "paused";
    seek(Math.max(span.start, Math.min(0, span.end)));
  }

  build();
  window.syncsitePlayer = {  // for the browser tests and the console
    play: play, pause: pause, seek: seek, step: step, chooseSound: chooseSound,
    time: function () { return clock.now(performance.now()); },
    span: function () { return { start: span.start, end: span.end }; },
    soundId: function () { return soundId; }
  };
})();
