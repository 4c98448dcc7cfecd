// The synchronized player's arithmetic, without the DOM (unit-tested: node --test tests/js/):
// the shared timeline, where each video is at a reference time, the master clock, how hard to
// steer a video that drifted, and reading an offset the user typed; which clip of a camera
// plays at a reference time (a camera stops and starts: several clips, gaps between them).
//
// Sign convention (as in the engine and the API): a video's offset (offset_s, manual_offset_s,
// effective_offset_s) is the time on the reference's timeline at which the video's own t=0
// happens; positive = it started after the reference. So at reference time T a video shows
// its local time T - offset.

export const HARD_SEEK_S = 0.3;      // drift beyond this is fixed with a seek; below, with the rate
export const DEAD_BAND_S = 0.006;    // drift below this is left alone (a rate change costs more)
const GAIN_PER_S = 8;                // rate change per second of drift: 40 ms is gone in ~0.15 s
const MAX_RATE_CHANGE = 0.25;        // playbackRate stays within 0.75..1.25 (sound stays bearable)
const LARGE_DRIFT_S = 0.06;          // beyond this (a stalled decoder, a late start) steer harder
const MAX_RATE_CHANGE_LARGE = 0.6;
const MICROSECOND = 1e6;

// The timeline spans every placed track: [min(offset), max(offset + duration)].
export function span(tracks) {
  let start = Infinity;
  let end = -Infinity;
  for (const t of tracks) {
    start = Math.min(start, t.offset_s);
    end = Math.max(end, t.offset_s + t.duration_s);
  }
  return Number.isFinite(start) ? { start, end } : { start: 0, end: 0 };
}

// Where a track is at reference time T: "pending" (not started), "active" or "ended".
export function placeAt(T, offset_s, duration_s) {
  const local_s = T - offset_s;
  if (local_s < 0) { return { state: "pending", local_s: 0, starts_in_s: -local_s }; }
  if (local_s > duration_s) { return { state: "ended", local_s: duration_s, starts_in_s: 0 }; }
  return { state: "active", local_s, starts_in_s: 0 };
}

// Where a camera is at reference time T. Its clips ({offset_s, duration_s}) never overlap
// and come in time order (cameraClips sorts them). Returns {state, index, local_s,
// starts_in_s}: "active" in clip `index` at its local_s; "pending" before the first clip,
// "off" in a gap (the camera was stopped) and "ended" after the last; pending and off name
// the clip that comes next (index, at its local 0), ended the last one (at its end).
export function cameraAt(T, clips) {
  if (!clips.length) { return { state: "ended", index: -1, local_s: 0, starts_in_s: 0 }; }
  let active = -1;
  for (let i = 0; i < clips.length; i++) {
    const c = clips[i];
    if (T >= c.offset_s && T <= c.offset_s + c.duration_s) { active = i; }  // latest wins
  }
  if (active >= 0) {
    return { state: "active", index: active, local_s: T - clips[active].offset_s, starts_in_s: 0 };
  }
  const next = clips.findIndex((c) => c.offset_s > T);
  if (next < 0) {
    const last = clips.length - 1;
    return { state: "ended", index: last, local_s: clips[last].duration_s, starts_in_s: 0 };
  }
  return {
    state: next === 0 ? "pending" : "off", index: next, local_s: 0,
    starts_in_s: clips[next].offset_s - T
  };
}

// Clips in the order a camera recorded them: by offset, then by the order given.
export function cameraClips(clips) {
  return clips.map((c, i) => [c, i]).sort((a, b) => a[0].offset_s - b[0].offset_s || a[1] - b[1])
    .map(([c]) => c);
}

// Clips grouped by camera: [{key, name, clips}], in the order each camera first appears.
// A clip's camera is {camera_id, camera_name}; a clip without one is a camera of its own
// (key "clip-<id>", named after the clip).
export function groupCameras(clips) {
  const cameras = new Map();
  for (const c of clips) {
    const key = c.camera_id === null || c.camera_id === undefined
      ? "clip-" + c.id : "camera-" + c.camera_id;
    if (!cameras.has(key)) {
      cameras.set(key, { key, name: c.camera_id === null || c.camera_id === undefined
        ? c.name : (c.camera_name || "Camera " + c.camera_id), clips: [] });
    }
    cameras.get(key).clips.push(c);
  }
  return [...cameras.values()];
}

// playbackRate that removes drift_s (video time minus clock time) smoothly; null = seek.
export function rateFor(drift_s) {
  const size = Math.abs(drift_s);
  if (size > HARD_SEEK_S) { return null; }
  if (size < DEAD_BAND_S) { return 1; }
  const limit = size > LARGE_DRIFT_S ? MAX_RATE_CHANGE_LARGE : MAX_RATE_CHANGE;
  const rate = 1 - GAIN_PER_S * drift_s;
  return Math.min(1 + limit, Math.max(1 - limit, rate));
}

// The next (frames > 0) or previous frame boundary of a fps grid from T, frames steps away.
export function frameStep(T, fps, frames) {
  const eps = 1e-6;
  const n = frames > 0 ? Math.floor(T * fps + eps) + frames : Math.ceil(T * fps - eps) + frames;
  return n / fps;
}

// An offset moved by delta_s, rounded to the microsecond (repeated nudges do not collect
// floating-point dust: +10 ms ten times is exactly +0.1 s).
export function nudge(offset_s, delta_s) {
  return Math.round((offset_s + delta_s) * MICROSECOND) / MICROSECOND;
}

// The offset that puts this video's moment local_s at the timeline's moment T.
export function offsetAt(T, local_s) {
  return Math.round((T - local_s) * MICROSECOND) / MICROSECOND;
}

// What the player plays a video at, and how that compares with the server's record:
// "unsaved" (nudged or typed, not saved), "manual" (a saved adjustment) or "estimate".
export function offsetKind(offset, live_s) {
  const base = offset.effective_offset_s;
  if (base === null || live_s === null || Math.abs(live_s - base) > 1e-9) {
    return live_s === null ? "none" : "unsaved";
  }
  return offset.manual_offset_s === null ? "estimate" : "manual";
}

// The frame step of the shared timeline: the reference's frame rate, else a fallback.
export function referenceFps(videos, referenceId, fallback) {
  const reference = videos.find((v) => v.id === referenceId);
  return (reference && reference.fps) || fallback;
}

// Seconds from what a person typed: "1.25", "-2.4", "−0.040 s", "+1,5". Returns
// {value} or {error}; the range is the server's to check (one place, one message).
export function parseOffset(text) {
  const cleaned = String(text).trim().replace(/\u2212/g, "-").replace(/\s*s$/i, "")
    .replace(",", ".");
  if (cleaned === "") {
    return { error: "Type an offset in seconds, e.g. 1.25 or -2.4." };
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(cleaned)) {
    return { error: `'${String(text).trim().slice(0, 40)}' is not a number of seconds; ` +
                    "type one like 1.25 or -2.4." };
  }
  const value = Number(cleaned);
  if (!Number.isFinite(value)) {
    return { error: "That offset is too large; type seconds like 1.25 or -2.4." };
  }
  return { value: Object.is(value, -0) ? 0 : value };
}

// The master clock: reference time = where it was set + wall time since, while running.
export class Clock {
  constructor() { this.running = false; this.base_s = 0; this.since_ms = 0; }
  now(nowMs) { return this.running ? this.base_s + (nowMs - this.since_ms) / 1000 : this.base_s; }
  set(T, nowMs) { this.base_s = T; this.since_ms = nowMs; }
  start(nowMs) { this.set(this.now(nowMs), nowMs); this.running = true; }
  stop(nowMs) { this.set(this.now(nowMs), nowMs); this.running = false; }
}

function signed(s, digits = 3) {
  const text = Math.abs(s).toFixed(digits);
  return (s < 0 && Number(text) !== 0 ? "−" : "+") + text;
}

// "+1.250 s"; "—" when there is none
export function formatOffset(s) { return s === null || s === undefined ? "—" : signed(s) + " s"; }

// "-0:02.400" on the timeline
export function formatClock(s) {
  const sign = s < -0.0005 ? "−" : "";
  const a = Math.abs(s);
  const minutes = Math.floor(a / 60);
  let seconds = (a - minutes * 60).toFixed(3);
  if (seconds.length < 6) { seconds = "0" + seconds; }
  return sign + minutes + ":" + seconds;
}
