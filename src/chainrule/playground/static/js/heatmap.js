// Painting a size × size grid of values (row 0 at the top, as the frames send it) onto a canvas,
// and the data points over it. The grid is drawn at its own resolution and scaled up by the
// canvas, smoothed as TF Playground's maps are (or hard-edged when discretized).

import { LUT, classRGB, classShade, css, scaleIndex } from "./colors.js";

const scratch = new WeakMap(); // canvas -> {canvas, image} at grid resolution

function scratchFor(canvas, size) {
  let entry = scratch.get(canvas);
  if (!entry || entry.size !== size) {
    const small = document.createElement("canvas");
    small.width = small.height = size;
    const ctx = small.getContext("2d");
    entry = { size, small, ctx, image: ctx.createImageData(size, size) };
    scratch.set(canvas, entry);
  }
  return entry;
}

function blit(canvas, entry, smooth) {
  entry.ctx.putImageData(entry.image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = smooth;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(entry.small, 0, 0, canvas.width, canvas.height);
}

/**
 * Values on the orange–white–blue scale. `scale` divides them first (hidden units that are not
 * bounded, such as ReLU, are shown relative to their largest value); `discretize` paints the sign.
 */
export function paintValues(canvas, values, size, { discretize = false, scale = 1 } = {}) {
  const entry = scratchFor(canvas, size);
  const px = entry.image.data;
  const n = size * size;
  for (let i = 0; i < n; i++) {
    let v = values[i] / scale;
    if (discretize) v = v > 0 ? 1 : v < 0 ? -1 : 0;
    const c = scaleIndex(v);
    const p = i * 4;
    px[p] = LUT[c];
    px[p + 1] = LUT[c + 1];
    px[p + 2] = LUT[c + 2];
    px[p + 3] = 255;
  }
  blit(canvas, entry, !discretize);
}

/** A softmax map: each cell in its class colour, faded by the confidence unless discretized. */
export function paintClasses(canvas, classes, confidence, size, numClasses, { discretize = false } = {}) {
  const entry = scratchFor(canvas, size);
  const px = entry.image.data;
  for (let i = 0; i < size * size; i++) {
    const k = Math.max(0, Math.round(classes[i]));
    const c = discretize ? classRGB(k) : classShade(k, confidence[i], numClasses);
    const p = i * 4;
    px[p] = c[0];
    px[p + 1] = c[1];
    px[p + 2] = c[2];
    px[p + 3] = 255;
  }
  blit(canvas, entry, !discretize);
}

/** The largest |value|, at least 1: the divisor that keeps bounded units on their true scale. */
export function displayScale(values) {
  let m = 1;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m && a < Infinity) m = a;
  }
  return m;
}

/** Canvas pixel of a data point: x1 to the right, x2 up, the extent filling the canvas. */
export function toPixel(point, extent, width, height) {
  const [lo, hi] = extent;
  return [((point[0] - lo) / (hi - lo)) * width, ((hi - point[1]) / (hi - lo)) * height];
}

/**
 * The points: training points with a white ring, test points with a dark one (TF's look).
 * `color(y)` gives each point's fill.
 */
export function paintPoints(canvas, points, extent, color, { test = false, radius = 3.5 } = {}) {
  const ctx = canvas.getContext("2d");
  ctx.lineWidth = 1;
  ctx.strokeStyle = test ? "#222" : "#fff";
  for (let i = 0; i < points.x.length; i++) {
    const [px, py] = toPixel(points.x[i], extent, canvas.width, canvas.height);
    ctx.beginPath();
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
    ctx.fillStyle = css(color(points.y[i]));
    ctx.fill();
    ctx.stroke();
  }
}
