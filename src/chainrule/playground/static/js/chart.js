// A small line chart on a canvas: the loss curves and the learning rate, one point per frame.
// Keeps at most `limit` points by dropping every other one when full, so a long run stays cheap.

export class LineChart {
  constructor(canvas, series, { limit = 2000, label = "" } = {}) {
    this.canvas = canvas;
    this.series = series; // [{name, color, dash}]
    this.limit = limit;
    this.label = label;
    this.clear();
  }

  clear() {
    this.x = [];
    this.ys = this.series.map(() => []);
  }

  add(x, values) {
    if (this.x.length && x < this.x[this.x.length - 1]) this.clear();
    if (this.x.length && x === this.x[this.x.length - 1]) {
      this.ys.forEach((ys, i) => (ys[ys.length - 1] = values[i]));
      return;
    }
    this.x.push(x);
    this.ys.forEach((ys, i) => ys.push(values[i]));
    if (this.x.length > this.limit) {
      const keep = (_, i) => i % 2 === 0 || i === this.x.length - 1;
      this.x = this.x.filter(keep);
      this.ys = this.ys.map((ys) => ys.filter(keep));
    }
  }

  draw() {
    const { canvas } = this;
    const ctx = canvas.getContext("2d");
    const w = canvas.width;
    const h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const pad = { l: 50, r: 6, t: 6, b: 14 };
    let lo = Infinity;
    let hi = -Infinity;
    for (const ys of this.ys) {
      for (const y of ys) {
        if (y === null || !Number.isFinite(y)) continue;
        if (y < lo) lo = y;
        if (y > hi) hi = y;
      }
    }
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillStyle = "#777";
    ctx.strokeStyle = "#e4e4e4";
    ctx.lineWidth = 1;
    ctx.strokeRect(pad.l + 0.5, pad.t + 0.5, w - pad.l - pad.r, h - pad.t - pad.b);
    if (!(hi >= lo) || this.x.length === 0) return;
    if (hi === lo) {
      hi += Math.abs(hi) * 0.05 || 1e-3;
      lo -= Math.abs(lo) * 0.05 || 1e-3;
    }
    // Losses that fall over decades read better on a log scale (as a learning curve should).
    const log = lo > 0 && hi / lo > 100;
    const f = log ? Math.log10 : (v) => v;
    const flo = f(lo);
    const fhi = f(hi);
    const x0 = this.x[0];
    const x1 = Math.max(this.x[this.x.length - 1], x0 + 1);
    const sx = (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
    const sy = (y) => pad.t + ((fhi - f(y)) / (fhi - flo)) * (h - pad.t - pad.b);
    ctx.textAlign = "right";
    ctx.fillText(format(hi), pad.l - 3, pad.t + 8);
    ctx.fillText(format(lo), pad.l - 3, h - pad.b);
    if (log) ctx.fillText("log", pad.l - 3, (h - pad.b + pad.t) / 2 + 4);
    ctx.textAlign = "left";
    ctx.fillText(`epoch ${x0}`, pad.l, h - 2);
    ctx.textAlign = "right";
    ctx.fillText(`${this.x[this.x.length - 1]}`, w - pad.r, h - 2);
    this.series.forEach((s, i) => {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(s.dash || []);
      ctx.beginPath();
      let started = false;
      this.ys[i].forEach((y, j) => {
        if (y === null || !Number.isFinite(y) || (log && y <= 0)) {
          started = false;
          return;
        }
        if (started) ctx.lineTo(sx(this.x[j]), sy(y));
        else ctx.moveTo(sx(this.x[j]), sy(y));
        started = true;
      });
      ctx.stroke();
    });
    ctx.setLineDash([]);
  }
}

export function format(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
  return v.toFixed(a < 0.1 ? 4 : 3);
}
