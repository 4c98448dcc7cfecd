// A waveform lane's arithmetic, without the DOM (unit-tested: node --test tests/js/): which
// peaks each pixel column of the lane shows, and where the playhead is.
//
// A lane spans the shared timeline [span.start, span.end]; a clip's peaks (the server's
// syncengine/waveform.py: {bucket_s, channels, peaks: [[0..1000, ...], ...]}) start at its
// offset. Sign convention as in clock.js: at reference time T a clip is at local T - offset.

const FULL_SCALE = 1000;

// The loudest peak in each column over the given channels (null: all), unscaled (1 = full
// scale); -1 where no clip covers the column.
function rawColumns(clips, span, width, channel) {
  const columns = new Array(Math.max(0, width)).fill(-1);
  const length = span.end - span.start;
  if (!(length > 0) || width <= 0) { return columns; }
  const column_s = length / width;
  for (const clip of clips) {
    const w = clip.waveform;
    if (!w || !w.peaks || !w.peaks.length || !(w.bucket_s > 0)) { continue; }
    const channels = channel === null ? w.peaks : w.peaks.slice(channel, channel + 1);
    const buckets = w.peaks[0].length;
    const first = Math.max(0, Math.floor((clip.offset_s - span.start) / column_s));
    const last = Math.min(width - 1,
      Math.ceil((clip.offset_s + clip.duration_s - span.start) / column_s) - 1);
    for (let x = first; x <= last; x++) {
      const from_s = Math.max(0, span.start + x * column_s - clip.offset_s);
      const to_s = Math.min(clip.duration_s, span.start + (x + 1) * column_s - clip.offset_s);
      if (to_s < from_s) { continue; }
      const lo = Math.min(buckets - 1, Math.floor(from_s / w.bucket_s));
      const hi = Math.min(buckets, Math.max(lo + 1, Math.ceil(to_s / w.bucket_s)));
      let peak = 0;  // a clip without this channel covers the column silently
      for (const values of channels) {
        for (let k = lo; k < hi; k++) { if (values[k] > peak) { peak = values[k]; } }
      }
      columns[x] = Math.max(columns[x], peak / FULL_SCALE);
    }
  }
  return columns;
}

// A quiet recording still shows its shape; a silent one (below -60 dBFS) stays flat.
function scaled(rows) {
  const loudest = Math.max(0, ...rows.map((r) => Math.max(0, ...r)));
  const gain = loudest > 1e-3 ? 1 / loudest : 0;
  return rows.map((r) => r.map((c) => (c < 0 ? -1 : c * gain)));
}

// For each of `width` columns: the loudest peak there over every channel and clip, scaled so
// the loudest of the lane is 1; -1 where no clip covers the column; 0 where all is silent.
export function laneColumns(clips, span, width) {
  return scaled([rawColumns(clips, span, width, null)])[0];
}

// One row of columns per channel (as many as the clip with the most), all scaled by the
// lane's loudest peak, so a weak channel of a recorder is drawn weak.
export function laneChannels(clips, span, width) {
  const count = Math.max(0, ...clips.map((c) => (c.waveform && c.waveform.peaks
    ? c.waveform.peaks.length : 0)));
  const rows = [];
  for (let ch = 0; ch < count; ch++) { rows.push(rawColumns(clips, span, width, ch)); }
  return scaled(rows);
}

// The playhead's x (0..width) for reference time T.
export function playheadX(T, span, width) {
  const length = span.end - span.start;
  if (!(length > 0)) { return 0; }
  return Math.min(width, Math.max(0, ((T - span.start) / length) * width));
}
