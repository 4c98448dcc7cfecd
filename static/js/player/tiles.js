// The synchronized player's tiles: one per camera (a <video>, or a waveform lane for a sound
// recorder) with its overlay and sound choice, and for each of its clips the offset read-out,
// offset entry and nudge/save/reset buttons; a clip not on the timeline gets a tile that plays
// on its own and a form to place it by hand. Builds DOM only; main.js drives it.
//
// A clip is the API's offset (GET runs/{id}/results/) joined with its video (GET videos/{id}/).

import { formatOffset } from "./clock.js";

const FALLBACK_FPS = 30;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (text !== undefined) { node.textContent = text; }
  return node;
}

function button(text, title, className) {
  const b = el("button", "button secondary small" + (className ? " " + className : ""), text);
  b.type = "button";
  if (title) { b.title = title; }
  return b;
}

function videoElement(clip) {
  const video = el("video", "player-video");
  video.preload = "auto";
  video.playsInline = true;
  video.muted = true;
  video.disableRemotePlayback = true;
  if (clip.video.poster_url) { video.poster = clip.video.poster_url; }
  video.src = clip.video.proxy_url;
  video.setAttribute("aria-label", clip.video.name);
  return video;
}

function offsetInput(clip, id) {
  const label = el("label", "tile-offset-entry small");
  label.htmlFor = id;
  label.textContent = "Offset (s) ";
  const input = el("input", "tile-offset-input");
  input.id = id;
  input.type = "text";
  input.inputMode = "decimal";
  input.autocomplete = "off";
  input.size = 9;
  input.setAttribute("aria-label", "Offset of " + clip.video.name + " in seconds");
  label.appendChild(input);
  return { label, input };
}

// One clip's offset read-out and controls inside its camera's tile; returns the clip object
// main.js works with (its offset, live offset, duration and controls).
function clipBlock(clip, named) {
  const v = clip.video;
  const fps = v.fps || FALLBACK_FPS;
  const c = {
    clip, id: v.id, name: v.name, fps, offset: clip.offset, live_s: clip.offset.effective_offset_s,
    duration_s: v.duration_s, proxy_s: null, waveform: clip.waveform || null, busy: false
  };
  const block = el("div", "tile-clip");
  block.dataset.videoId = String(v.id);
  block.dataset.videoName = v.name;
  const badges = [];
  if (clip.offset.is_reference) { badges.push(el("span", "badge ref", "reference")); }
  if (!clip.offset.synced) { badges.push(el("span", "badge kind-manual", "placed by hand")); }
  if (named) {
    const line = el("div", "tile-clip-name");
    line.append(el("span", "tile-clip-title", v.name), ...badges);
    block.appendChild(line);
    c.badges = [];
  } else {
    c.badges = badges;  // the tile's head shows them
  }
  const line = el("div", "tile-offset");
  if (clip.offset.is_reference) {
    line.appendChild(el("span", "muted", "Reference: defines the timeline (offset 0)."));
  } else {
    line.appendChild(document.createTextNode("Offset "));
    c.offsetText = el("strong", "tile-offset-value");
    line.appendChild(c.offsetText);
    c.kindText = el("span", "tile-offset-kind badge");
    line.append(document.createTextNode(" "), c.kindText, el("br"));
    line.appendChild(document.createTextNode("Estimate "));
    c.estimateText = el("span", "tile-estimate", formatOffset(clip.offset.offset_s));
    line.appendChild(c.estimateText);
  }
  block.appendChild(line);
  if (!clip.offset.is_reference) {
    const nudge = el("div", "tile-nudge");
    nudge.setAttribute("role", "group");
    nudge.setAttribute("aria-label", "Nudge the offset of " + v.name);
    const frame_s = 1 / fps;
    for (const [text, delta, title] of [
      ["−1 frame", -frame_s, "One frame of this video earlier on the timeline"],
      ["−10 ms", -0.01, ""], ["+10 ms", 0.01, ""],
      ["+1 frame", frame_s, "One frame of this video later on the timeline"]
    ]) {
      const b = button(text, title || "Offset " + text, "nudge");
      b.dataset.delta = String(delta);
      nudge.appendChild(b);
    }
    const entry = offsetInput(clip, "offset-input-" + v.id);
    c.offsetInput = entry.input;
    nudge.appendChild(entry.label);
    block.appendChild(nudge);
    const actions = el("div", "tile-actions");
    c.saveButton = button("Save adjustment", "Keep this offset as the manual adjustment", "save");
    c.resetButton = clip.offset.offset_s === null
      ? button("Take off the timeline", "Forget the offset you placed this video at", "reset")
      : button("Reset to estimate", "Forget the manual adjustment", "reset");
    c.messageText = el("span", "tile-message small", "");
    c.messageText.setAttribute("role", "status");
    actions.append(c.saveButton, c.resetButton, c.messageText);
    block.appendChild(actions);
  }
  c.block = block;
  return c;
}

// A camera's tile on the shared timeline: one picture (or, for a sound recorder, a waveform
// lane) that switches between the camera's clips as the timeline passes; returns the track
// object main.js works with. camera = {key, name, clips: [{offset, video, waveform}]}.
export function cameraTile(camera, index) {
  const audioOnly = camera.clips.every((clip) => clip.video.has_video === false);
  const own = camera.key.startsWith("clip-");  // a clip without a camera: named after itself
  const named = camera.clips.length > 1 || !own;
  const track = {
    key: camera.key, name: camera.name, index, audioOnly, current: null, state: "",
    clips: camera.clips.map((clip) => clipBlock(clip, named))
  };
  track.id = track.clips[0].id;
  const tile = el("figure", "player-tile" + (audioOnly ? " player-lane" : ""));
  tile.dataset.cameraKey = camera.key;
  tile.dataset.cameraName = camera.name;
  tile.dataset.videoId = String(track.clips[0].id);
  tile.dataset.videoName = track.clips[0].name;
  const frame = el("div", "player-frame" + (audioOnly ? " lane-frame" : ""));
  track.overlay = el("div", "player-overlay");
  track.overlay.hidden = true;
  if (audioOnly) {
    track.video = el("audio", "player-audio");
    track.canvas = el("canvas", "lane-canvas");
    track.canvas.setAttribute("role", "img");
    track.canvas.setAttribute("aria-label", "Waveform of " + camera.name + " on the timeline");
    track.playhead = el("div", "lane-playhead");
    frame.append(track.canvas, track.playhead, track.overlay, track.video);
  } else {
    track.video = el("video", "player-video");
    frame.append(track.video, track.overlay);
  }
  // A camera of several clips has a second, hidden element that preloads the next clip.
  track.standby = camera.clips.length > 1 ? el(track.video.tagName.toLowerCase(),
                                                 track.video.className) : null;
  for (const media of [track.video, track.standby].filter(Boolean)) {
    media.preload = "auto";
    media.muted = true;
    media.setAttribute("aria-label", camera.name);
    if (!audioOnly) { media.playsInline = true; media.disableRemotePlayback = true; }
  }
  if (track.standby) {
    track.standby.hidden = true;
    track.video.after(track.standby);
  }
  tile.appendChild(frame);

  const caption = el("figcaption", "player-caption");
  const head = el("div", "tile-head");
  track.numberText = el("span", "tile-number", String(index + 1));
  head.append(track.numberText, el("span", "tile-name", camera.name));
  if (named) {
    const count = camera.clips.length;
    head.appendChild(el("span", "muted small tile-clip-count",
                        audioOnly ? (count === 1 ? "recorder" : count + " recordings")
                                  : (count === 1 ? "1 clip" : count + " clips")));
  }
  for (const c of track.clips) { head.append(...c.badges); }
  const sound = el("label", "tile-sound");
  track.soundInput = el("input");
  track.soundInput.type = "radio";
  track.soundInput.name = "player-sound";
  track.soundInput.value = camera.key;
  sound.append(track.soundInput, document.createTextNode(" sound"));
  track.sound = sound;
  head.appendChild(sound);
  caption.appendChild(head);
  for (const c of track.clips) { caption.appendChild(c.block); }
  tile.appendChild(caption);
  track.tile = tile;
  return track;
}

// A clip without an offset: plays on its own with the browser's controls, and can be placed
// by hand (type its offset, or line its current frame up with the timeline's position).
export function apartTile(clip) {
  const v = clip.video;
  const tile = el("figure", "player-tile apart");
  tile.dataset.videoId = String(v.id);
  tile.dataset.videoName = v.name;
  const frame = el("div", "player-frame");
  const video = videoElement(clip);
  video.preload = "metadata";
  video.controls = true;
  frame.appendChild(video);
  tile.appendChild(frame);
  const caption = el("figcaption", "player-caption");
  caption.appendChild(el("div", "tile-name", v.name));
  caption.appendChild(el("div", "muted small tile-reason",
                         "Not synced: " + (clip.offset.reason || "no offset on the timeline.")));
  const place = el("div", "tile-place");
  place.setAttribute("role", "group");
  place.setAttribute("aria-label", "Place " + v.name + " on the timeline by hand");
  const entry = offsetInput(clip, "place-input-" + v.id);
  const lineUp = button("Line up with the timeline",
                        "Offset that shows this video's current frame at the timeline's " +
                        "current position", "line-up");
  const placeButton = button("Place on the timeline", "Save this offset and play the video " +
                             "with the others", "place");
  placeButton.classList.remove("secondary");
  const message = el("span", "tile-message small", "");
  message.setAttribute("role", "status");
  place.append(entry.label, lineUp, placeButton, message);
  caption.appendChild(place);
  caption.appendChild(el("p", "help small",
    "Find a moment you can see or hear both here and on the timeline. Pause both there and " +
    "press 'Line up with the timeline', or type the offset: the timeline's time of this " +
    "video's start (positive: it started later than the reference)."));
  tile.appendChild(caption);
  return { clip, tile, video, input: entry.input, lineUp, placeButton, message };
}

export function preparingItem(clip) {
  const v = clip.video;
  const failed = v.status === "failed";
  const text = failed
    ? v.name + ": " + (v.error_message || "the browser preview could not be made.")
    : v.name + ": preview being prepared. Reload the page in a moment to play it.";
  const li = el("li", failed ? "error" : "muted", text);
  li.dataset.videoId = String(v.id);
  return li;
}
