// Unit tests of a camera's clip switching (static/js/player/clock.js) and a waveform lane's
// columns (static/js/player/waveform.js): node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import { cameraAt, cameraClips, groupCameras } from "../../static/js/player/clock.js";
import { laneChannels, laneColumns, playheadX } from "../../static/js/player/waveform.js";

// A camera that stopped for 4 s: clip 1 on [-1, 5], clip 2 on [9, 15].
const CLIPS = [{ offset_s: -1, duration_s: 6 }, { offset_s: 9, duration_s: 6 }];

test("a camera plays the clip that covers T, at T - that clip's offset", () => {
  assert.deepEqual(cameraAt(2, CLIPS), { state: "active", index: 0, local_s: 3, starts_in_s: 0 });
  assert.deepEqual(cameraAt(12.5, CLIPS),
    { state: "active", index: 1, local_s: 3.5, starts_in_s: 0 });
  assert.equal(cameraAt(-1, CLIPS).state, "active");  // the first frame is on
  assert.equal(cameraAt(5, CLIPS).index, 0);           // and so is the last
  assert.equal(cameraAt(9, CLIPS).index, 1);
});

test("between its clips a camera is off and names the clip that comes next", () => {
  assert.deepEqual(cameraAt(6, CLIPS), { state: "off", index: 1, local_s: 0, starts_in_s: 3 });
  assert.deepEqual(cameraAt(-3, CLIPS), { state: "pending", index: 0, local_s: 0, starts_in_s: 2 });
  assert.deepEqual(cameraAt(20, CLIPS), { state: "ended", index: 1, local_s: 6, starts_in_s: 0 });
  assert.deepEqual(cameraAt(0, []), { state: "ended", index: -1, local_s: 0, starts_in_s: 0 });
});

test("chapters back to back: the later chapter takes over at the boundary", () => {
  const chapters = [{ offset_s: 0, duration_s: 4 }, { offset_s: 4, duration_s: 4 }];
  assert.deepEqual(cameraAt(4, chapters),
    { state: "active", index: 1, local_s: 0, starts_in_s: 0 });
  assert.equal(cameraAt(3.999, chapters).index, 0);
});

test("clips are sorted by offset and grouped by camera, one camera per clip without one", () => {
  const sorted = cameraClips([{ id: 2, offset_s: 9 }, { id: 1, offset_s: -1 }, { id: 3, offset_s: 9 }]);
  assert.deepEqual(sorted.map((c) => c.id), [1, 2, 3]);
  const cameras = groupCameras([
    { id: 1, name: "a.mp4", camera_id: 7, camera_name: "GoPro" },
    { id: 2, name: "rec.wav", camera_id: null },
    { id: 3, name: "a2.mp4", camera_id: 7, camera_name: "GoPro" },
    { id: 4, name: "b.mp4" },
    { id: 5, name: "c.mp4", camera_id: 8 },
  ]);
  assert.deepEqual(cameras.map((c) => [c.key, c.name, c.clips.map((x) => x.id)]), [
    ["camera-7", "GoPro", [1, 3]], ["clip-2", "rec.wav", [2]], ["clip-4", "b.mp4", [4]],
    ["camera-8", "Camera 8", [5]],
  ]);
});

test("a lane's columns take the loudest peak of any channel, scaled to the loudest", () => {
  // One 4 s clip at +2 s on a [0, 8] timeline, 8 columns of 1 s; buckets of 0.5 s.
  const waveform = { bucket_s: 0.5, peaks: [[100, 200, 0, 0, 50, 50, 400, 100],
                                            [300, 0, 0, 0, 0, 0, 0, 0]] };
  const columns = laneColumns([{ offset_s: 2, duration_s: 4, waveform }], { start: 0, end: 8 }, 8);
  assert.deepEqual(columns, [-1, -1, 0.75, 0, 0.125, 1, -1, -1]);
});

test("a silent clip is a flat lane, not a missing one; no span draws nothing", () => {
  const waveform = { bucket_s: 1, peaks: [[0, 0, 0, 0]] };
  const clips = [{ offset_s: 0, duration_s: 4, waveform }];
  assert.deepEqual(laneColumns(clips, { start: 0, end: 4 }, 4), [0, 0, 0, 0]);
  assert.deepEqual(laneColumns(clips, { start: 0, end: 0 }, 3), [-1, -1, -1]);
  assert.deepEqual(laneColumns([{ offset_s: 0, duration_s: 4 }], { start: 0, end: 4 }, 2),
    [-1, -1]);
});

test("the playhead follows T across the lane and stays on it", () => {
  const span = { start: -2, end: 8 };
  assert.equal(playheadX(3, span, 200), 100);
  assert.equal(playheadX(-5, span, 200), 0);
  assert.equal(playheadX(99, span, 200), 200);
  assert.equal(playheadX(1, { start: 0, end: 0 }, 200), 0);
});

test("a lane's channels are drawn apart on one scale: a weak channel stays weak", () => {
  const loud = { bucket_s: 1, peaks: [[800, 400], [80, 40]] };
  const mono = { bucket_s: 1, peaks: [[200, 200]] };
  const clips = [{ offset_s: 0, duration_s: 2, waveform: loud },
                 { offset_s: 3, duration_s: 2, waveform: mono }];
  const rows = laneChannels(clips, { start: 0, end: 5 }, 5);
  assert.deepEqual(rows, [[1, 0.5, -1, 0.25, 0.25], [0.1, 0.05, -1, 0, 0]]);
  assert.deepEqual(laneChannels([], { start: 0, end: 5 }, 5), []);
});
