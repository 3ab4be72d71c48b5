// Thumbnails for the data set picker: a sketch of each set's shape from a fixed pseudo-random
// sequence. They only illustrate; the data itself comes from the server (chainrule.data.synthetic).

import { classRGB, css, scaleRGB } from "./colors.js";

function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const SKETCHES = {
  circle: (r) => {
    const inner = r() < 0.5;
    const rad = inner ? r() * 2.5 : 3.5 + r() * 1.5;
    const a = r() * 2 * Math.PI;
    return [rad * Math.cos(a), rad * Math.sin(a), inner ? 1 : 0];
  },
  xor: (r) => {
    const x = r() * 10 - 5;
    const y = r() * 10 - 5;
    return [x, y, x * y >= 0 ? 1 : 0];
  },
  gauss: (r) => {
    const k = r() < 0.5 ? 1 : 0;
    const c = k ? 2 : -2;
    return [c + (r() + r() - 1) * 1.5, c + (r() + r() - 1) * 1.5, k];
  },
  spiral: (r) => spiralPoint(r, 2),
  spiral3: (r) => spiralPoint(r, 3),
  moons: (r) => {
    const k = r() < 0.5 ? 1 : 0;
    const a = r() * Math.PI;
    return k ? [(1 - Math.cos(a)) * 2.2 - 1.1, (0.5 - Math.sin(a)) * 2.2 + 0.4, 1]
      : [Math.cos(a) * 2.2 - 1.1, Math.sin(a) * 2.2 - 0.4, 0];
  },
  checkerboard: (r) => {
    const x = r() * 10 - 5;
    const y = r() * 10 - 5;
    return [x, y, (Math.floor(x / 2.5) + Math.floor(y / 2.5)) & 1];
  },
  plane: (r) => {
    const x = r() * 10 - 5;
    const y = r() * 10 - 5;
    return [x, y, (x + y) / 10, true];
  },
  multigauss: (r) => {
    const x = r() * 10 - 5;
    const y = r() * 10 - 5;
    const bump = (cx, cy, s) => s * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 4);
    return [x, y, bump(-2, 2, 1) + bump(2, -2, 1) + bump(2, 2, -1) + bump(-2, -2, -1), true];
  },
};

function spiralPoint(r, arms) {
  const k = Math.floor(r() * arms);
  const t = r();
  const a = 1.75 * t * 2 * Math.PI + (2 * Math.PI * k) / arms;
  return [5 * t * Math.sin(a), 5 * t * Math.cos(a), k];
}

/** Draw a sketch of data set `name` on a small canvas. */
export function drawThumbnail(canvas, name) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  ctx.fillStyle = "#f7f7f7";
  ctx.fillRect(0, 0, w, h);
  const sketch = SKETCHES[name];
  if (!sketch) {
    ctx.fillStyle = "#777";
    ctx.font = `bold ${Math.round(h / 3.5)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.fillText("CSV", w / 2, h / 2 + h / 10);
    return;
  }
  const r = random(7);
  for (let i = 0; i < 160; i++) {
    const [x, y, v, regression] = sketch(r);
    ctx.fillStyle = css(regression ? scaleRGB(v) : classRGB(v));
    ctx.fillRect(((x + 6) / 12) * w - 1, ((6 - y) / 12) * h - 1, 2.4, 2.4);
  }
}
