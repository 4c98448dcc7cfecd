// The synchronized player's tiles: one <video> per video with its overlay, sound choice,
// offset read-out and nudge/save/reset buttons. Builds DOM only; player.js drives it.
(function (root) {
  "use strict";
  var S = root.SyncsitePlayerSync;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function button(text, title, className) {
    var b = el("button", "button secondary small" + (className ? " " + className : ""), text);
    b.type = "button";
    if (title) { b.title = title; }
    return b;
  }

  function videoElement(v) {
    var video = el("video", "player-video");
    video.preload = "auto";
    video.playsInline = true;
    video.muted = true;
    video.disableRemotePlayback = true;
    if (v.poster_url) { video.poster = v.poster_url; }
    video.src = v.proxy_url;
    video.setAttribute("aria-label", v.name);
    return video;
  }

  // A tile on the shared timeline; returns the track object player.js works with.
  function timelineTile(v, index) {
    var fps = v.fps || 30;
    var track = {
      data: v, id: v.video_id, name: v.name, fps: fps, index: index,
      estimate_s: v.offset_s, saved_s: v.manual_offset_s, offset_s: v.effective_offset_s,
      duration_s: v.duration_s, state: "", busy: false
    };
    var tile = el("figure", "player-tile");
    tile.dataset.videoId = String(v.video_id);
    tile.dataset.videoName = v.name;
    var frame = el("div", "player-frame");
    track.video = videoElement(v);
    track.overlay = el("div", "player-overlay");
    track.overlay.hidden = true;
    frame.appendChild(track.video);
    frame.appendChild(track.overlay);
    tile.appendChild(frame);

    var caption = el("figcaption", "player-caption");
    var head = el("div", "tile-head");
    head.appendChild(el("span", "tile-number", String(index + 1)));
    head.appendChild(el("span", "tile-name", v.name));
    if (v.is_reference) { head.appendChild(el("span", "badge ref", "reference")); }
    var sound = el("label", "tile-sound");
    track.soundInput = el("input");
    track.soundInput.type = "radio";
    track.soundInput.name = "player-sound";
    track.soundInput.value = String(v.video_id);
    sound.appendChild(track.soundInput);
    sound.appendChild(document.createTextNode(" sound"));
    sound.title = "Hear this video's sound (" + (index < 9 ? "key " + (index + 1) : "") + ")";
    head.appendChild(sound);
    caption.appendChild(head);

    var line = el("div", "tile-offset");
    if (v.is_reference) {
      line.appendChild(el("span", "muted", "Reference: defines the timeline (offset 0)."));
    } else {
      line.appendChild(document.createTextNode("Offset "));
      track.offsetText = el("strong", "tile-offset-value");
      line.appendChild(track.offsetText);
      track.kindText = el("span", "tile-offset-kind badge");
      line.appendChild(document.createTextNode(" "));
      line.appendChild(track.kindText);
      line.appendChild(el("br"));
      line.appendChild(document.createTextNode("Estimate "));
      track.estimateText = el("span", "tile-estimate", S.formatOffset(v.offset_s));
      line.appendChild(track.estimateText);
    }
    caption.appendChild(line);

    if (!v.is_reference) {
      var nudge = el("div", "tile-nudge");
      nudge.setAttribute("role", "group");
      nudge.setAttribute("aria-label", "Nudge the offset of " + v.name);
      var frame_s = 1 / fps;
      [["−1 frame", -frame_s, "One frame of this video earlier on the timeline"],
       ["−10 ms", -0.01, ""], ["+10 ms", 0.01, ""],
       ["+1 frame", frame_s, "One frame of this video later on the timeline"]
      ].forEach(function (spec) {
        var b = button(spec[0], spec[2] || "Offset " + spec[0], "nudge");
        b.dataset.delta = String(spec[1]);
        nudge.appendChild(b);
      });
      caption.appendChild(nudge);
      var actions = el("div", "tile-actions");
      track.saveButton = button("Save adjustment", "Keep this offset as the manual adjustment", "save");
      track.resetButton = button("Reset to estimate", "Forget the manual adjustment", "reset");
      track.messageText = el("span", "tile-message small", "");
      track.messageText.setAttribute("role", "status");
      actions.appendChild(track.saveButton);
      actions.appendChild(track.resetButton);
      actions.appendChild(track.messageText);
      caption.appendChild(actions);
    }
    tile.appendChild(caption);
    track.tile = tile;
    return track;
  }

  // A video without an offset: plays on its own with the browser's controls.
  function apartTile(v) {
    var tile = el("figure", "player-tile apart");
    tile.dataset.videoId = String(v.video_id);
    tile.dataset.videoName = v.name;
    var frame = el("div", "player-frame");
    var video = videoElement(v);
    video.preload = "metadata";
    video.controls = true;
    frame.appendChild(video);
    tile.appendChild(frame);
    var caption = el("figcaption", "player-caption");
    caption.appendChild(el("div", "tile-name", v.name));
    caption.appendChild(el("div", "muted small", "Not synced: no offset on the timeline."));
    tile.appendChild(caption);
    return tile;
  }

  function preparingItem(v) {
    var text = v.preview_status === "failed"
      ? v.name + ": " + (v.preview_error || "the browser preview could not be made.")
      : v.name + ": preview being prepared. Reload the page in a moment to play it.";
    var li = el("li", v.preview_status === "failed" ? "error" : "muted", text);
    li.dataset.videoId = String(v.video_id);
    return li;
  }

  root.SyncsitePlayerTiles = {
    apartTile: apartTile,
    preparingItem: preparingItem,
    timelineTile: timelineTile
  };
})(window);
