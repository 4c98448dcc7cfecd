// The synchronized multi-camera player on the run page.
//
// One tile per camera: it plays the camera's clip that covers the timeline's position (its
// proxy seeked to the position minus that clip's offset), shows "camera off" in the gaps
// between its clips, and a sound recorder (audio-only clips) is a waveform lane with a
// playhead. One master clock (performance.now, started from the seek position) says where the shared
// (reference) timeline is. Every animation frame, and every 100 ms as a backstop, each video
// in range is steered to clock - offset: a small drift by a proportional playbackRate change,
// a large one (> 0.3 s) by a seek. Videos start and stop as they enter and leave their range;
// while one is buffering or seeking the clock waits for it. Offsets can be nudged or typed live
// and saved as the manual adjustment (PATCH /api/v1/runs/{run}/offsets/{video}/); the estimate
// stays on record. A clip the engine could not place is placed by hand the same way: it then
// joins the timeline (and the exports).
//
// The page embeds the API's answers (json_script "player-data"): {run, offsets, videos},
// plus the project's cameras and the audio-only clips' waveform peaks.

import { patch } from "../api.js";
import {
  Clock, cameraAt, cameraClips, formatClock, formatOffset, frameStep, groupCameras, nudge,
  offsetAt, offsetKind, parseOffset, rateFor, referenceFps, span as spanOf
} from "./clock.js";
import { apartTile, cameraTile, preparingItem } from "./tiles.js";
import { laneChannels, laneColumns, playheadX } from "./waveform.js";

const root = document.getElementById("sync-player");
const dataNode = document.getElementById("player-data");

const HAVE_FUTURE_DATA = 3;
const MAX_HOLD_MS = 3000;  // never wait longer than this for a video that will not load
const MAX_ARM_MS = 600;    // ... nor for one that will not start moving
const MAX_LANE_BANDS = 4;  // a waveform lane draws this many channels apart, more merged
const PRELOAD_GAP_S = 1;   // a camera's next clip this close after the current one is preloaded

if (root && dataNode) { start(JSON.parse(dataNode.textContent)); }

function start(data) {
  const videos = new Map(data.videos.map((v) => [v.id, v]));
  const cameraNames = new Map((data.cameras || []).map((c) => [c.id, c.name]));
  const waveforms = data.waveforms || {};
  const refFps = referenceFps(data.videos, data.run.reference_video_id, data.default_fps);
  const clock = new Clock();
  const tracks = [];
  const grid = document.getElementById("player-grid");
  const apart = document.getElementById("player-apart");
  const apartGrid = document.getElementById("player-apart-grid");
  const playButton = document.getElementById("player-play");
  const seekBar = document.getElementById("player-seek");
  const timeText = document.getElementById("player-time");
  const message = document.getElementById("player-message");
  const controls = root.querySelector(".player-controls");
  let entryLead_s = 0.06;  // a video entering its range is started this much early (learnt)
  let span = { start: 0, end: 0 };
  let soundId = null;
  let dragging = false;
  let playing = false;     // the user's intent; the clock may still wait for the videos
  let waitSince = 0;

  const offsetPath = (videoId) => `runs/${data.run.id}/offsets/${videoId}/`;

  function say(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  // A clip's length: its proxy's once the browser has read it, else the probed one.
  function durationOf(c) {
    return c.proxy_s !== null && c.proxy_s > 0 ? c.proxy_s : c.duration_s;
  }

  const allClips = () => tracks.flatMap((t) => t.clips);
  const placedOf = (c) => ({ offset_s: c.live_s, duration_s: durationOf(c) });

  function updateSpan() {
    span = spanOf(allClips().map(placedOf));
    seekBar.min = String(span.start);
    seekBar.max = String(span.end);
    tracks.forEach(drawLane);
  }

  // A recorder's lane: its clips' peaks along the whole timeline (scaled to its loudest).
  function drawLane(track) {
    if (!track.canvas) { return; }
    const canvas = track.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width) { canvas.width = width; }
    if (canvas.height !== height) { canvas.height = height; }
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    const clips = track.clips.map((c) => ({ ...placedOf(c), waveform: c.waveform }));
    // Up to 4 channels get a band each (a recorder's weak channel shows); more are merged.
    let rows = laneChannels(clips, span, width);
    if (rows.length > MAX_LANE_BANDS || rows.length < 2) { rows = [laneColumns(clips, span, width)]; }
    const band = height / rows.length;
    context.fillStyle = "#3c4860";
    for (const c of clips) {  // where the recorder ran: a line even through silence
      const x0 = playheadX(c.offset_s, span, width);
      const x1 = playheadX(c.offset_s + c.duration_s, span, width);
      rows.forEach((_, i) => {
        context.fillRect(x0, band * (i + 0.5) - 0.5 * ratio, Math.max(1, x1 - x0), ratio);
      });
    }
    context.fillStyle = "#5ea0ff";
    let drawn = 0;
    rows.forEach((columns, i) => {
      const middle = band * (i + 0.5);
      columns.forEach((level, x) => {
        const half = level * (band / 2) * 0.9;
        if (half >= 0.5) {
          context.fillRect(x, middle - half, 1, 2 * half);
          drawn += 1;
        }
      });
    });
    track.tile.dataset.bands = String(rows.length);
    track.tile.dataset.drawnColumns = String(drawn);
  }

  function showTime(T) {
    if (!dragging) { seekBar.value = String(T); }
    timeText.textContent = formatClock(T) + " / " + formatClock(span.end);
    for (const t of tracks) {
      if (t.playhead) { t.playhead.style.left = playheadX(T, span, 100) + "%"; }
    }
  }

  function setTrackState(track, where) {
    if (track.state !== where.state) {
      track.state = where.state;
      track.tile.dataset.state = where.state;
      track.overlay.hidden = where.state === "active" || track.audioOnly;
    }
    if (where.state === "pending") {
      track.overlay.textContent = "starts in " + where.starts_in_s.toFixed(1) + " s";
    } else if (where.state === "off") {
      const name = document.createElement("strong");
      name.className = "overlay-camera";
      name.textContent = track.name;
      const off = document.createElement("span");
      off.className = "overlay-off";
      off.textContent = "camera off · next clip in " + where.starts_in_s.toFixed(1) + " s";
      track.overlay.replaceChildren(name, off);
    } else if (where.state === "ended") {
      track.overlay.textContent = "ended";
    }
  }

  // The camera's element shows clip c from now on (its proxy; its name on the tile). A clip
  // the standby element has preloaded is shown by swapping the two elements (no load).
  function switchTo(track, c) {
    track.current = c;
    cancelEntry(track);
    const old = track.video;
    if (!old.paused) { old.pause(); }
    old.playbackRate = 1;
    if (track.standby && track.standby.dataset.clipId === String(c.id)) {
      const next = track.standby;
      next.muted = old.muted;
      old.muted = true;
      old.hidden = true;
      next.hidden = false;
      track.video = next;
      track.standby = old;
      track.tile.dataset.swaps = String(Number(track.tile.dataset.swaps || 0) + 1);
    } else {
      if (!track.audioOnly) { old.poster = c.clip.video.poster_url || ""; }
      old.src = c.clip.video.proxy_url;
      old.dataset.clipId = String(c.id);
    }
    track.tile.dataset.videoId = String(c.id);
    track.tile.dataset.videoName = c.name;
    for (const other of track.clips) { other.block.classList.toggle("current", other === c); }
  }

  // While a clip plays, the standby element loads the camera's next clip if it starts within
  // PRELOAD_GAP_S of this one's end (chapters of one recording: back to back), so the tile
  // switches without waiting for the next proxy to load.
  function preload(track, where) {
    const next = track.clips[where.index + 1];
    if (!track.standby || where.state !== "active" || !next) { return; }
    const current = track.clips[where.index];
    if (next.live_s - (current.live_s + durationOf(current)) > PRELOAD_GAP_S) { return; }
    const standby = track.standby;
    if (standby.dataset.clipId !== String(next.id)) {
      if (!track.audioOnly) { standby.poster = next.clip.video.poster_url || ""; }
      standby.src = next.clip.video.proxy_url;
      standby.dataset.clipId = String(next.id);
      standby.currentTime = 0;
    } else if (standby.currentTime > 1e-3 && !standby.seeking) {
      standby.currentTime = 0;
    }
  }

  function playVideo(track) {
    const promise = track.video.play();
    if (promise && promise.catch) {
      promise.catch((error) => {
        if (error && error.name === "NotAllowedError" && !track.video.muted) {
          track.video.muted = true;  // the browser refused sound without a click: play muted
          say("The browser blocked the sound; press Play to hear it.");
        }
      });
    }
  }

  // Put one camera where the timeline is at T: the clip there (or the next one, ready at its
  // start, in a gap), at T - its offset; `exact` seeks even a small drift (paused).
  function place(track, T, exact) {
    const where = cameraAt(T, track.clips.map(placedOf));
    if (where.index < 0) { return; }
    if (track.current !== track.clips[where.index]) { switchTo(track, track.clips[where.index]); }
    const video = track.video;
    setTrackState(track, where);
    preload(track, where);
    const coming = where.state === "pending" || where.state === "off";
    if (playing && clock.running && coming && where.starts_in_s < 0.3) {
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
    const drift_s = video.currentTime - where.local_s;
    if (track.entering && track.startedAt !== null) {
      // How late did it start moving? Start the next entering video that much earlier.
      entryLead_s = Math.min(0.25, Math.max(0, entryLead_s - 0.5 * drift_s));
      track.entering = false;
    }
    const rate = rateFor(drift_s);
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
    track.entryTimer = window.setTimeout(() => {
      track.entryTimer = null;
      if (playing && clock.running && track.video.paused &&
          (track.state === "pending" || track.state === "off")) {
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
    const video = track.video;
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
    const now = performance.now();
    const T = clock.now(now);
    if (T >= span.end) {
      pause(span.end);
      return;
    }
    const waiting = tracks.some(isWaiting);
    if (clock.running && waiting) {
      clock.stop(now);
      waitSince = now;
      for (const t of tracks) {
        if (!t.video.paused) { t.video.pause(); }
        cancelEntry(t);
      }
      root.dataset.state = "buffering";
    } else if (clock.running) {
      for (const t of tracks) { place(t, T, false); }
      root.dataset.state = "playing";
    } else if (!waiting || now - waitSince > MAX_HOLD_MS) {
      for (const t of tracks) { place(t, T, false); }
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
    const now = performance.now();
    const wasPlaying = playing;
    playing = false;  // every video paused exactly at T; if playing, tick() starts them together
    clock.stop(now);
    clock.set(T, now);
    for (const t of tracks) {
      cancelEntry(t);
      place(t, T, true);
    }
    playing = wasPlaying;
    waitSince = now;
    showTime(T);
  }

  function play() {
    if (playing || !tracks.length) { return; }
    const now = performance.now();
    let T = clock.now(now);
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
    const now = performance.now();
    clock.stop(now);
    playing = false;
    const T = atT === undefined ? clock.now(now) : atT;
    playButton.textContent = "Play";
    root.dataset.state = "paused";
    seek(T);  // line every paused frame up exactly with the clock
  }

  const toggle = () => (playing ? pause() : play());
  const now = () => clock.now(performance.now());

  function step(frames) {
    if (playing) { pause(); }
    seek(frameStep(now(), refFps, frames));
  }

  function jump(seconds) { seek(now() + seconds); }

  // Hear one camera's (or recorder's) sound; the others are muted. A clip's id names its camera.
  function chooseSound(key) {
    const track = tracks.find((t) => t.key === key || t.clips.some((c) => c.id === key));
    soundId = track ? track.key : null;
    for (const t of tracks) {
      t.video.muted = t !== track;
      t.soundInput.checked = t === track;
    }
  }

  // Offsets: live nudges and typed values, save and reset.
  // Offsets are per clip (c: a clip of a camera's track).
  const kindOf = (c) => offsetKind(c.offset, c.live_s);
  const isDirty = (c) => !c.offset.is_reference && kindOf(c) === "unsaved";
  const trackOf = (c) => tracks.find((t) => t.clips.includes(c));

  function showOffset(c) {
    if (!c.offsetText) { return; }
    const kind = kindOf(c);
    c.offsetText.textContent = formatOffset(c.live_s);
    c.kindText.textContent = kind;
    c.kindText.className = "tile-offset-kind badge kind-" + kind;
    c.block.dataset.offsetS = String(c.live_s);
    if (document.activeElement !== c.offsetInput) {
      c.offsetInput.value = c.live_s.toFixed(3);
    }
    c.saveButton.disabled = c.busy || kind !== "unsaved";
    c.resetButton.disabled = c.busy ||
      (c.offset.manual_offset_s === null && kind !== "unsaved");
  }

  function setOffset(c, live_s) {
    c.live_s = live_s;
    const track = trackOf(c);
    track.clips = cameraClips(track.clips.map((x) => ({ ...placedOf(x), x }))).map((p) => p.x);
    updateSpan();
    showOffset(c);
    place(track, now(), !playing);  // playing: the sync loop steers it there smoothly
  }

  function tell(node, text, ok) {
    node.textContent = text;
    node.className = "tile-message small " + (ok ? "ok" : "error");
  }

  // The offsets table beside the player shows the server's warnings for this clip.
  function showWarnings(offset) {
    const row = document.querySelector(`#results tr.notes-row[data-video-id='${offset.video_id}']`);
    if (!row) { return; }
    const cell = row.querySelector("td") || row;
    cell.querySelectorAll("p.warning").forEach((p) => p.remove());
    const after = cell.querySelector(".not-synced-reason");
    for (const text of [...offset.warnings].reverse()) {
      const p = document.createElement("p");
      p.className = "warning";
      p.textContent = "⚠ " + text;
      if (after) { after.after(p); } else { cell.prepend(p); }
    }
    const parent = document.querySelector(`#results tr.offset-row[data-video-id='${offset.video_id}']`);
    if (parent) { parent.classList.toggle("has-warning", offset.warnings.length > 0); }
  }

  // PATCH the manual offset (a number, or null to clear); resolves with the server's offset.
  async function saveOffset(videoId, manual_offset_s) {
    const offset = await patch(offsetPath(videoId), { manual_offset_s });
    showWarnings(offset);
    document.dispatchEvent(new CustomEvent("syncsite:offsets-changed", { detail: offset }));
    return offset;
  }

  async function postAdjust(c, manual_offset_s) {
    c.busy = true;
    showOffset(c);
    c.messageText.textContent = "Saving…";
    let offset = null;
    try {
      offset = await saveOffset(c.id, manual_offset_s);
    } catch (error) {
      tell(c.messageText, error.message, false);
    }
    c.busy = false;
    if (!offset) { showOffset(c); return; }
    c.offset = offset;
    if (offset.effective_offset_s === null) {  // a clip placed by hand, taken off again
      removeClip(c);
      return;
    }
    tell(c.messageText, offset.manual_offset_s === null ? "Back to the estimate." : "Saved.", true);
    setOffset(c, offset.effective_offset_s);
  }

  function wireClip(c) {
    if (c.offset.is_reference) { return; }
    c.block.querySelectorAll("button.nudge").forEach((b) => {
      b.addEventListener("click", () => setOffset(c, nudge(c.live_s, Number(b.dataset.delta))));
    });
    c.offsetInput.addEventListener("change", () => {
      const typed = parseOffset(c.offsetInput.value);
      if (typed.error) { tell(c.messageText, typed.error, false); return; }
      c.messageText.textContent = "";
      setOffset(c, typed.value);
    });
    c.saveButton.addEventListener("click", () => postAdjust(c, c.live_s));
    c.resetButton.addEventListener("click", () => {
      if (c.offset.manual_offset_s === null) {
        setOffset(c, c.offset.effective_offset_s);
        c.messageText.textContent = "";
      } else {
        postAdjust(c, null);
      }
    });
    showOffset(c);
  }

  function wireTrack(track) {
    track.soundInput.addEventListener("change", () => chooseSound(track.key));
    cancelEntry(track);
    for (const media of [track.video, track.standby].filter(Boolean)) {
      media.addEventListener("playing", () => {
        if (media === track.video) { track.startedAt = performance.now(); }
      });
      media.addEventListener("loadedmetadata", () => {
        const d = media.duration;
        const c = track.clips.find((x) => String(x.id) === media.dataset.clipId);
        if (c && Number.isFinite(d) && d > 0) { c.proxy_s = d; }
        updateSpan();
        if (!playing && media === track.video) { seek(now()); }
      });
    }
    track.clips.forEach(wireClip);
  }

  function number() {
    tracks.forEach((t, i) => {
      t.index = i;
      t.numberText.textContent = String(i + 1);
      t.sound.title = "Hear this camera's sound" + (i < 9 ? " (key " + (i + 1) + ")" : "");
    });
    controls.hidden = !tracks.length;
    say(tracks.length ? "" : "No video can be played on the timeline yet.");
    apart.hidden = !apartGrid.children.length;
  }

  // A clip as the camera grouping sees it: the offset row's camera (H2's serializer), else
  // the video's.
  function describe(clip) {
    const v = clip.video;
    const cameraId = clip.offset.camera_id !== undefined ? clip.offset.camera_id : v.camera;
    return {
      id: v.id, name: v.name, clip, camera_id: cameraId === undefined ? null : cameraId,
      camera_name: clip.offset.camera_name || cameraNames.get(cameraId) || null
    };
  }

  function cameraOf(camera) {
    const clips = cameraClips(camera.clips.map((d) => ({
      offset_s: d.clip.offset.effective_offset_s, clip: d.clip
    }))).map((p) => p.clip);
    return { key: camera.key, name: camera.name, clips };
  }

  // The tile of a camera (new, or rebuilt in place when a clip joins or leaves it).
  function buildTrack(camera, old) {
    const track = cameraTile(cameraOf(camera), old ? old.index : tracks.length);
    if (old) {
      cancelEntry(old);
      for (const media of [old.video, old.standby].filter(Boolean)) {
        media.pause();
        media.removeAttribute("src");
      }
      old.tile.replaceWith(track.tile);
      tracks[tracks.indexOf(old)] = track;
    } else {
      tracks.push(track);
      grid.appendChild(track.tile);
    }
    if (old) {  // what the clips already there had: the server's row and any unsaved nudge
      for (const c of track.clips) {
        const was = old.clips.find((x) => x.id === c.id);
        if (was) { c.offset = was.offset; c.live_s = was.live_s; }
      }
      track.clips = cameraClips(track.clips.map((x) => ({ ...placedOf(x), x }))).map((p) => p.x);
    }
    wireTrack(track);
    drawLane(track);
    return track;
  }

  function addClip(clip) {
    const d = describe(clip);
    const [camera] = groupCameras([d]);
    const old = tracks.find((t) => t.key === camera.key);
    if (old) {
      camera.clips = [...old.clips.map((c) => describe({ ...c.clip, offset: c.offset })), d];
      camera.name = old.name;
    }
    const track = buildTrack(camera, old);
    return track.clips.find((c) => c.id === d.id);
  }

  function removeClip(c) {
    const track = trackOf(c);
    const rest = track.clips.filter((x) => x !== c);
    if (rest.length) {
      const clips = rest.map((x) => describe({ ...x.clip, offset: x.offset }));
      buildTrack({ key: track.key, name: track.name, clips }, track);
    } else {
      cancelEntry(track);
      track.video.pause();
      tracks.splice(tracks.indexOf(track), 1);
      track.tile.remove();
    }
    addApart({ offset: c.offset, video: c.clip.video, waveform: c.waveform });
    number();
    if (tracks.length && !tracks.some((t) => t.key === soundId)) { chooseSound(tracks[0].key); }
    else { chooseSound(soundId); }
    updateSpan();
    seek(now());
  }

  // A clip off the timeline: play it on its own, then place it by hand.
  function addApart(clip) {
    const item = apartTile(clip);
    apartGrid.appendChild(item.tile);
    item.lineUp.addEventListener("click", () => {
      if (!tracks.length) { tell(item.message, "There is no timeline to line up with.", false); return; }
      item.input.value = offsetAt(now(), item.video.currentTime).toFixed(3);
      item.message.textContent = "";
    });
    const placeIt = async () => {
      const typed = parseOffset(item.input.value);
      if (typed.error) { tell(item.message, typed.error, false); return; }
      item.placeButton.disabled = true;
      item.message.textContent = "Placing…";
      let offset;
      try {
        offset = await saveOffset(clip.offset.video_id, typed.value);
      } catch (error) {
        tell(item.message, error.message, false);
        item.placeButton.disabled = false;
        return;
      }
      item.video.pause();
      item.tile.remove();
      const placed = addClip({ offset, video: clip.video, waveform: clip.waveform });
      tell(placed.messageText, "Placed by hand and saved.", true);
      number();
      chooseSound(soundId === null ? placed.id : soundId);
      updateSpan();
      seek(now());
    };
    item.placeButton.addEventListener("click", placeIt);
    item.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); placeIt(); }
    });
  }

  function onKey(event) {
    const target = event.target;
    const tag = target && target.tagName;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) { return; }
    if (tag === "INPUT" && ["range", "radio", "checkbox", "button"].indexOf(target.type) < 0) { return; }
    if (tag === "VIDEO") { return; }  // a clip playing on its own has the browser's own keys
    const key = event.key;
    if (key === " " || key === "k") {
      toggle();
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      const sign = key === "ArrowLeft" ? -1 : 1;
      if (event.shiftKey) { jump(sign); } else { step(sign); }
    } else if (key === "," || key === ".") {
      step(key === "," ? -1 : 1);
    } else if (key === "Home" || key === "End") {
      seek(key === "Home" ? span.start : span.end);
    } else if (/^[1-9]$/.test(key) && tracks[Number(key) - 1]) {
      chooseSound(tracks[Number(key) - 1].key);
    } else {
      return;
    }
    event.preventDefault();  // no page scroll, no second click on a focused button
  }

  const preparing = document.getElementById("player-preparing");
  const placed = [];
  for (const offset of data.offsets) {
    const video = videos.get(offset.video_id);
    const clip = { offset, video, waveform: waveforms[String(offset.video_id)] || null };
    if (video.status !== "ready" || !video.proxy_url) {
      preparing.appendChild(preparingItem(clip));
      preparing.hidden = false;
    } else if (!offset.placed) {
      addApart(clip);
    } else {
      placed.push(describe(clip));
    }
  }
  for (const camera of groupCameras(placed)) { buildTrack(camera, null); }
  number();
  if (tracks.length) {
    const reference = tracks.find((t) => t.clips.some((c) => c.offset.is_reference)) || tracks[0];
    chooseSound(reference.key);
  }
  updateSpan();
  window.addEventListener("resize", () => tracks.forEach(drawLane));
  playButton.addEventListener("click", toggle);
  document.getElementById("player-back").addEventListener("click", () => step(-1));
  document.getElementById("player-forward").addEventListener("click", () => step(1));
  seekBar.addEventListener("pointerdown", () => { dragging = true; });
  window.addEventListener("pointerup", () => { dragging = false; });
  seekBar.addEventListener("input", () => seek(Number(seekBar.value)));
  document.addEventListener("keydown", onKey);
  // A nudge not saved yet would be lost silently by leaving the page: ask first.
  window.addEventListener("beforeunload", (event) => {
    if (allClips().some(isDirty)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // rAF stops in hidden tabs; this keeps the videos steered (slower) there too.
  window.setInterval(tick, 100);
  root.dataset.state = "paused";
  seek(Math.max(span.start, Math.min(0, span.end)));

  window.syncsitePlayer = {  // for the browser tests and the console
    play, pause, seek, step, chooseSound,
    cameras: () => tracks.map((t) => ({
      key: t.key, name: t.name, state: t.state, lane: t.audioOnly,
      clip: t.current ? t.current.name : null, clips: t.clips.map((c) => c.name)
    })),
    time: now,
    span: () => ({ start: span.start, end: span.end }),
    soundId: () => soundId
  };
}
