// The output as a surface over the plane, drawn on a canvas with a plain rotation and
// perspective projection and the painter's algorithm (far cells first). Drag to turn it.

import { css, scaleRGB } from "./colors.js";

export class Surface3D {
  constructor(canvas) {
    this.canvas = canvas;
    this.yaw = -0.6;
    this.pitch = 0.9;
    this.last = null;
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => {
      drag = [e.clientX, e.clientY, this.yaw, this.pitch];
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      this.yaw = drag[2] + (e.clientX - drag[0]) * 0.01;
      this.pitch = Math.max(0.05, Math.min(1.5, drag[3] + (e.clientY - drag[1]) * 0.01));
      if (this.last) this.draw(...this.last);
    });
    canvas.addEventListener("pointerup", () => (drag = null));
  }

  /** Project a point of the unit box (x, y in [-1, 1], z the value) to canvas pixels and a depth. */
  project(x, y, z) {
    const cy = Math.cos(this.yaw);
    const sy = Math.sin(this.yaw);
    const cp = Math.cos(this.pitch);
    const sp = Math.sin(this.pitch);
    const rx = x * cy - y * sy;
    const ry = x * sy + y * cy;
    // tilt about the screen's horizontal axis: ry goes into the screen, z up
    const depth = ry * sp - z * cp;
    const up = ry * cp + z * sp;
    const w = this.canvas.width;
    const h = this.canvas.height;
    const f = 3.2 / (3.2 + depth);
    return [w / 2 + rx * f * w * 0.33, h * 0.55 - up * f * h * 0.33, depth];
  }

  /**
   * values: size × size, row 0 at the top (x2 = +extent); `range` maps values to [-1, 1].
   * `colorAt(i)`, when given, colours cell i (a softmax map's class colours) instead of the scale.
   */
  draw(values, size, range = 1, discretize = false, colorAt = null) {
    this.last = [values, size, range, discretize, colorAt];
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const step = Math.max(1, Math.ceil(size / 40));
    const n = Math.floor((size - 1) / step);
    const at = (r, c) => {
      let v = values[r * size + c] / range;
      if (discretize) v = Math.sign(v);
      return Number.isFinite(v) ? Math.max(-1.5, Math.min(1.5, v)) : 0;
    };
    const pts = [];
    for (let i = 0; i <= n; i++) {
      const row = [];
      for (let j = 0; j <= n; j++) {
        const r = i * step;
        const c = j * step;
        const v = at(r, c);
        row.push([...this.project((c / (size - 1)) * 2 - 1, 1 - (r / (size - 1)) * 2, v * 0.6), v, r * size + c]);
      }
      pts.push(row);
    }
    const quads = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const a = pts[i][j];
        const b = pts[i][j + 1];
        const c = pts[i + 1][j + 1];
        const d = pts[i + 1][j];
        const color = colorAt ? colorAt(a[4]) : scaleRGB((a[3] + b[3] + c[3] + d[3]) / 4);
        quads.push([(a[2] + b[2] + c[2] + d[2]) / 4, color, a, b, c, d]);
      }
    }
    quads.sort((p, q) => q[0] - p[0]);
    ctx.lineWidth = 0.4;
    ctx.strokeStyle = "rgba(60,60,60,0.25)";
    for (const [, color, a, b, c, d] of quads) {
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.lineTo(c[0], c[1]);
      ctx.lineTo(d[0], d[1]);
      ctx.closePath();
      ctx.fillStyle = css(color);
      ctx.fill();
      ctx.stroke();
    }
    // the plane's axes at z = 0, for orientation
    ctx.strokeStyle = "#888";
    ctx.fillStyle = "#555";
    ctx.font = "11px system-ui, sans-serif";
    const o = this.project(-1, -1, 0);
    for (const [x, y, label] of [[1, -1, "X₁"], [-1, 1, "X₂"]]) {
      const p = this.project(x, y, 0);
      ctx.beginPath();
      ctx.moveTo(o[0], o[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      ctx.fillText(label, p[0] + 4, p[1] + 4);
    }
  }
}
