// Colours: TF Playground's orange–white–blue scale for values in [-1, 1], and a palette for classes.

const NEGATIVE = [245, 147, 34]; // #f59322, TF's orange: −1, class 0
const MIDDLE = [232, 234, 235]; // #e8eaeb
const POSITIVE = [8, 119, 189]; // #0877bd, TF's blue: +1, class 1

export const CLASS_COLORS = [
  [245, 147, 34], [8, 119, 189], [46, 160, 67], [156, 85, 190],
  [214, 60, 90], [120, 100, 70], [40, 170, 170], [110, 110, 110],
];

function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

// 256 entries for [-1, 1]: one lookup per pixel instead of interpolating.
const LUT = new Uint8ClampedArray(256 * 3);
for (let i = 0; i < 256; i++) {
  const v = (i / 255) * 2 - 1;
  const c = v < 0 ? mix(MIDDLE, NEGATIVE, -v) : mix(MIDDLE, POSITIVE, v);
  LUT.set(c.map(Math.round), i * 3);
}

/** Index into the scale for a value (clamped to [-1, 1]; NaN maps to the middle). */
export function scaleIndex(v) {
  if (!(v === v)) return 128 * 3;
  const t = v < -1 ? 0 : v > 1 ? 255 : Math.round((v + 1) * 127.5);
  return t * 3;
}

export function scaleRGB(v) {
  const i = scaleIndex(v);
  return [LUT[i], LUT[i + 1], LUT[i + 2]];
}

export function css(rgb, alpha = 1) {
  return alpha === 1 ? `rgb(${rgb[0]},${rgb[1]},${rgb[2]})` : `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})`;
}

export function classRGB(k) {
  return CLASS_COLORS[k % CLASS_COLORS.length];
}

/** A class colour faded towards white by how unsure the model is (confidence 1/k … 1). */
export function classShade(k, confidence, numClasses) {
  const floor = 1 / numClasses;
  const t = Math.max(0, Math.min(1, (confidence - floor) / (1 - floor)));
  return mix([250, 250, 250], classRGB(k), 0.15 + 0.7 * t);
}

export { LUT };
