// The synchronized player's arithmetic, without the DOM: the shared timeline, where each video
// is at a reference time, the master clock, and how hard to steer a video that drifted.
//
// Sign convention (as in the engine): a video's offset_s is the time on the reference's
// timeline at which the video's own t=0 happens; positive = it started after the reference.
// So at reference time T a video shows its local time T - offset_s.
(function (root) {
  "use strict";

  var HARD_SEEK_S = 0.3;      // drift beyond this is fixed with a seek; below, with the rate
  var DEAD_BAND_S = 0.006;    // drift below this is left alone (a rate change costs more)
  var GAIN_PER_S = 8;         // rate change per second of drift: 40 ms is gone in ~0.15 s
  var MAX_RATE_CHANGE = 0.25; // playbackRate stays within 0.75..1.25 (sound stays bearable)
  var LARGE_DRIFT_S = 0.06;   // beyond this (a stalled decoder, a late start) steer harder
  var MAX_RATE_CHANGE_LARGE = 0.6;

  // The timeline spans every placed track: [min(offset), max(offset + duration)].
  function span(tracks) {
    var start = Infinity;
    var end = -Infinity;
    tracks.forEach(function (t) {
      start = Math.min(start, t.offset_s);
      end = Math.max(end, t.offset_s + t.duration_s);
    });
    return isFinite(start) ? { start: start, end: end } : { start: 0, end: 0 };
  }

  // Where a track is at reference time T: "pending" (not started), "active" or "ended".
  function placeAt(T, offset_s, duration_s) {
    var local_s = T - offset_s;
    if (local_s < 0) { return { state: "pending", local_s: 0, starts_in_s: -local_s }; }
    if (local_s > duration_s) { return { state: "ended", local_s: duration_s, starts_in_s: 0 }; }
    return { state: "active", local_s: local_s, starts_in_s: 0 };
  }

  // playbackRate that removes drift_s (video time minus clock time) smoothly; null = seek.
  function rateFor(drift_s) {
    var size = Math.abs(drift_s);
    if (size > HARD_SEEK_S) { return null; }
    if (size < DEAD_BAND_S) { return 1; }
    var limit = size > LARGE_DRIFT_S ? MAX_RATE_CHANGE_LARGE : MAX_RATE_CHANGE;
    var rate = 1 - GAIN_PER_S * drift_s;
    return Math.min(1 + limit, Math.max(1 - limit, rate));
  }

  // The next (frames > 0) or previous frame boundary of a fps grid from T, frames steps away.
  function frameStep(T, fps, frames) {
    var eps = 1e-6;
    var n = frames > 0 ? Math.floor(T * fps + eps) + frames : Math.ceil(T * fps - eps) + frames;
    return n / fps;
  }

  // The master clock: reference time = where it was set + wall time since, while running.
  function Clock() { this.running = false; this.base_s = 0; this.since_ms = 0; }
  Clock.prototype.now = function (nowMs) {
    return this.running ? this.base_s + (nowMs - this.since_ms) / 1000 : this.base_s;
  };
  Clock.prototype.set = function (T, nowMs) { this.base_s = T; this.since_ms = nowMs; };
  Clock.prototype.start = function (nowMs) {
    this.set(this.now(nowMs), nowMs);
    this.running = true;
  };
  Clock.prototype.stop = function (nowMs) {
    this.set(this.now(nowMs), nowMs);
    this.running = false;
  };

  function signed(s, digits) {
    var text = Math.abs(s).toFixed(digits === undefined ? 3 : digits);
    return (s < 0 && Number(text) !== 0 ? "−" : "+") + text;
  }

  // "+1.250 s"
  function formatOffset(s) { return signed(s) + " s"; }

  // "-0:02.400" on the timeline
  function formatClock(s) {
    var sign = s < -0.0005 ? "−" : "";
    var a = Math.abs(s);
    var minutes = Math.floor(a / 60);
    var seconds = (a - minutes * 60).toFixed(3);
    if (seconds.length < 6) { seconds = "0" + seconds; }
    return sign + minutes + ":" + seconds;
  }

  root.SyncsitePlayerSync = {
    HARD_SEEK_S: HARD_SEEK_S,
    Clock: Clock,
    formatClock: formatClock,
    formatOffset: formatOffset,
    frameStep: frameStep,
    placeAt: placeAt,
    rateFor: rateFor,
    span: span
  };
})(window);
