// Unit tests of the player's pure clock maths (static/js/player/clock.js): node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Clock, DEAD_BAND_S, HARD_SEEK_S, formatClock, formatOffset, frameStep, nudge, offsetAt,
  offsetKind, parseOffset, placeAt, rateFor, referenceFps, span
} from "../../static/js/player/clock.js";

test("the timeline spans from the earliest start to the latest end", () => {
  const tracks = [
    { offset_s: 0, duration_s: 12 },
    { offset_s: 1.25, duration_s: 10 },
    { offset_s: -2.4, duration_s: 11 },
  ];
  assert.deepEqual(span(tracks), { start: -2.4, end: 12 });
  assert.deepEqual(span([]), { start: 0, end: 0 });
});

test("a video shows T - offset, is pending before its start and ended after its end", () => {
  assert.deepEqual(placeAt(5, 1.25, 10), { state: "active", local_s: 3.75, starts_in_s: 0 });
  assert.deepEqual(placeAt(0.5, 1.25, 10), { state: "pending", local_s: 0, starts_in_s: 0.75 });
  assert.deepEqual(placeAt(12, 1.25, 10), { state: "ended", local_s: 10, starts_in_s: 0 });
  assert.equal(placeAt(1.25, 1.25, 10).state, "active");  // its first frame is on
  assert.equal(placeAt(-2, -2.4, 11).local_s.toFixed(6), "0.400000");
});

test("drift is steered by rate within bounds, ignored when tiny, seeked when large", () => {
  assert.equal(rateFor(0), 1);
  assert.equal(rateFor(DEAD_BAND_S / 2), 1);
  assert.equal(rateFor(0.02), 1 - 8 * 0.02);  // ahead: slow down
  assert.equal(rateFor(-0.02), 1 + 8 * 0.02);  // behind: speed up
  assert.equal(rateFor(0.05), 0.75);  // capped at 0.25 change
  assert.equal(rateFor(-0.2), 1.6);  // a large drift is pulled harder, still capped
  assert.equal(rateFor(HARD_SEEK_S + 0.01), null);
  assert.equal(rateFor(-(HARD_SEEK_S + 0.01)), null);
});

test("frame steps land on the frame grid from anywhere, also on a boundary", () => {
  assert.equal(frameStep(0, 30, 1), 1 / 30);
  assert.equal(frameStep(1 / 30, 30, 1), 2 / 30);
  assert.equal(frameStep(1 / 30, 30, -1), 0);
  assert.equal(frameStep(0.05, 25, 1), 2 / 25);  // between 0.04 and 0.08
  assert.equal(frameStep(0.05, 25, -1), 1 / 25);
  assert.equal(frameStep(-1.01, 25, -1), -26 / 25);
  assert.equal(frameStep(10, 29.97, 3), Math.floor(10 * 29.97 + 1e-6) / 29.97 + 3 / 29.97);
});

test("the clock runs on wall time only while started, and holds its place when stopped", () => {
  const clock = new Clock();
  clock.set(2, 1000);
  assert.equal(clock.now(5000), 2);  // not running
  clock.start(1000);
  assert.equal(clock.now(1500), 2.5);
  clock.stop(2000);
  assert.equal(clock.now(9000), 3);
  clock.start(9000);
  assert.equal(clock.now(9250), 3.25);
});

test("nudges and lined-up moments round to the microsecond", () => {
  let offset = 0;
  for (let i = 0; i < 10; i += 1) { offset = nudge(offset, 0.01); }
  assert.equal(offset, 0.1);
  assert.equal(nudge(1.25, 1 / 29.97), 1.283367);
  assert.equal(offsetAt(5, 3.75), 1.25);  // timeline 5 s shows this video's 3.75 s
  assert.equal(offsetAt(1, 3.4), -2.4);
});

test("the kind of offset says estimate, manual, unsaved or none", () => {
  const estimate = { offset_s: 1.25, manual_offset_s: null, effective_offset_s: 1.25 };
  const manual = { offset_s: 1.25, manual_offset_s: 1.3, effective_offset_s: 1.3 };
  const unplaced = { offset_s: null, manual_offset_s: null, effective_offset_s: null };
  assert.equal(offsetKind(estimate, 1.25), "estimate");
  assert.equal(offsetKind(estimate, 1.26), "unsaved");
  assert.equal(offsetKind(manual, 1.3), "manual");
  assert.equal(offsetKind(manual, 1.25), "unsaved");  // back at the estimate, not yet saved
  assert.equal(offsetKind(unplaced, null), "none");
  assert.equal(offsetKind(unplaced, 4), "unsaved");
});

test("the frame step is the reference's frame rate, else the fallback", () => {
  const videos = [{ id: 1, fps: 25 }, { id: 2, fps: null }];
  assert.equal(referenceFps(videos, 1, 30), 25);
  assert.equal(referenceFps(videos, 2, 30), 30);
  assert.equal(referenceFps(videos, 9, 30), 30);
});

test("a typed offset is read in the ways people write seconds", () => {
  assert.deepEqual(parseOffset("1.25"), { value: 1.25 });
  assert.deepEqual(parseOffset(" -2.4 "), { value: -2.4 });
  assert.deepEqual(parseOffset("−0.040 s"), { value: -0.04 });  // the player's own minus sign
  assert.deepEqual(parseOffset("+1,5"), { value: 1.5 });
  assert.deepEqual(parseOffset(".5"), { value: 0.5 });
  assert.deepEqual(parseOffset("-0"), { value: 0 });
  assert.deepEqual(parseOffset("3600"), { value: 3600 });  // the range is the server's to check
});

test("anything else gets a message that says what to type", () => {
  assert.match(parseOffset("").error, /Type an offset in seconds/);
  assert.match(parseOffset("abc").error, /'abc' is not a number of seconds/);
  assert.match(parseOffset("1.2.3").error, /not a number/);
  assert.match(parseOffset("1e999").error, /too large/);
  assert.match(parseOffset("x".repeat(100)).error, new RegExp(`'${"x".repeat(40)}' is not`));
});

test("offsets and clock times are formatted with a real minus sign", () => {
  assert.equal(formatOffset(1.25), "+1.250 s");
  assert.equal(formatOffset(-2.4), "−2.400 s");
  assert.equal(formatOffset(-0.0001), "+0.000 s");  // no "−0.000"
  assert.equal(formatOffset(null), "—");
  assert.equal(formatClock(0), "0:00.000");
  assert.equal(formatClock(-2.4), "−0:02.400");
  assert.equal(formatClock(75.5), "1:15.500");
});
