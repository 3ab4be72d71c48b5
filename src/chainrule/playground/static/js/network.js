// The network as TF Playground draws it: a column of input features, one column per hidden
// layer, the outputs; each neuron a small heatmap of its activation over the plane, each weight
// an SVG curve whose colour is its sign and whose width is its size. Clicking a curve or a bias
// square edits it; hovering a neuron shows it large in the output map.

import { css, scaleRGB } from "./colors.js";
import { displayScale, paintValues } from "./heatmap.js";
import { FEATURES } from "./state.js";
import { format } from "./chart.js";

const SVGNS = "http://www.w3.org/2000/svg";
const NODE = 36;
const GAP = 12;
const TOP = 8;
const LABELS = { x1: "X₁", x2: "X₂", x1sq: "X₁²", x2sq: "X₂²", x1x2: "X₁X₂", sinx1: "sin(X₁)", sinx2: "sin(X₂)" };

/** The value of an input feature at a point: only for painting a disabled feature's picture. */
function featureValue(name, x1, x2) {
  switch (name) {
    case "x1": return x1;
    case "x2": return x2;
    case "x1sq": return x1 * x1;
    case "x2sq": return x2 * x2;
    case "x1x2": return x1 * x2;
    case "sinx1": return Math.sin(x1);
    case "sinx2": return Math.sin(x2);
  }
  return 0;
}

function featureGrid(name, size, extent) {
  const [lo, hi] = extent;
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    const x2 = hi - ((r + 0.5) / size) * (hi - lo);
    for (let c = 0; c < size; c++) {
      const x1 = lo + ((c + 0.5) / size) * (hi - lo);
      out[r * size + c] = featureValue(name, x1, x2);
    }
  }
  return out;
}

/** Left edge of column c of `count` (inputs, hidden layers, outputs) across `width` pixels. */
export function columnX(c, count, width) {
  return 70 + (c * (width - 70 - NODE - 70)) / (count - 1);
}

function el(tag, attrs = {}, parent = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  if (parent) parent.appendChild(node);
  return node;
}

export class NetworkView {
  constructor(container, handlers) {
    this.container = container;
    this.handlers = handlers; // toggleFeature, hover, editWeight, editBias
    this.key = null;
    this.featureCache = new Map();
    this.editor = null;
  }

  /** Rebuild the DOM when the frame's shape differs from the one drawn. */
  ensure(network, state) {
    const width = this.container.clientWidth || 600;
    const key = JSON.stringify([network.features, network.sizes, width]);
    if (key === this.key) return;
    this.key = key;
    this.build(network, width);
  }

  build(network, width) {
    const box = this.container;
    box.textContent = "";
    const sizes = network.sizes;
    const columns = [FEATURES.length, ...sizes.slice(1)];
    const tallest = Math.max(...columns);
    const height = TOP + tallest * (NODE + GAP) + 40;
    box.style.height = `${height}px`;
    const colX = columns.map((_, c) => columnX(c, columns.length, width));
    const nodeY = (i) => TOP + i * (NODE + GAP);
    this.svg = el("svg", { width, height, class: "links" }, box, SVGNS);
    this.nodes = []; // per column: [{div, canvas}]
    this.links = []; // per layer l: [to][from] -> {path, hit}
    this.biases = []; // per layer l: [to] -> div

    // inputs: all seven features, the enabled ones connected
    const enabled = network.features;
    const inputs = FEATURES.map((name, i) => {
      const div = el("div", { class: "node input" + (enabled.includes(name) ? " on" : ""), title: `${LABELS[name]}: click to ${enabled.includes(name) ? "remove" : "add"}`, "data-feature": name }, box);
      div.style.left = `${colX[0]}px`;
      div.style.top = `${nodeY(i)}px`;
      const canvas = el("canvas", { width: NODE, height: NODE }, div);
      el("span", { class: "label", text: LABELS[name] }, div);
      div.addEventListener("click", () => this.handlers.toggleFeature(name));
      div.addEventListener("mouseenter", () => this.handlers.hover(`input:${name}`, LABELS[name]));
      div.addEventListener("mouseleave", () => this.handlers.hover(null));
      return { div, canvas, name };
    });
    this.nodes.push(inputs);
    const rowOf = [enabled.map((name) => FEATURES.indexOf(name))];

    for (let c = 1; c < sizes.length; c++) {
      const output = c === sizes.length - 1;
      const column = [];
      for (let j = 0; j < sizes[c]; j++) {
        const div = el("div", { class: "node " + (output ? "output" : "hidden"), "data-node": `${c}:${j}` }, box);
        div.style.left = `${colX[c]}px`;
        div.style.top = `${nodeY(j)}px`;
        let canvas = null;
        if (!output) {
          canvas = el("canvas", { width: NODE, height: NODE }, div);
          const name = `node:${c}:${j}`;
          div.addEventListener("mouseenter", () => this.handlers.hover(name, `layer ${c}, neuron ${j + 1}`));
          div.addEventListener("mouseleave", () => this.handlers.hover(null));
        } else {
          el("span", { class: "outlabel", text: sizes[c] > 1 ? `class ${j}` : "output" }, div);
        }
        const bias = el("div", { class: "bias", title: "bias: click to edit", "data-bias": `${c - 1}:${j}` }, div);
        bias.addEventListener("click", (event) => {
          event.stopPropagation();
          this.edit(event, `bias of ${output ? "output" : `layer ${c} neuron`} ${j + 1}`, this.biasValue(c - 1, j),
            (v) => this.handlers.editBias(c - 1, j, v));
        });
        column.push({ div, canvas });
      }
      this.nodes.push(column);
      rowOf.push([...Array(sizes[c]).keys()]);
    }

    for (let l = 0; l < sizes.length - 1; l++) {
      const layer = [];
      for (let j = 0; j < sizes[l + 1]; j++) {
        const row = [];
        for (let i = 0; i < sizes[l]; i++) {
          const xa = colX[l] + NODE;
          const ya = nodeY(rowOf[l][i]) + NODE / 2;
          const xb = colX[l + 1];
          const yb = nodeY(rowOf[l + 1][j]) + NODE / 2;
          const xm = (xa + xb) / 2;
          const d = `M${xa},${ya} C${xm},${ya} ${xm},${yb} ${xb},${yb}`;
          const path = el("path", { d, class: "link" }, this.svg, SVGNS);
          const hit = el("path", { d, class: "hit", "data-link": `${l}:${i}:${j}` }, this.svg, SVGNS);
          hit.addEventListener("click", (event) => {
            this.edit(event, `weight, layer ${l}: ${i + 1} → ${j + 1}`, this.weightValue(l, i, j),
              (v) => this.handlers.editWeight(l, i, j, v));
          });
          row.push({ path, hit });
        }
        layer.push(row);
      }
      this.links.push(layer);
    }
    this.diag = [];
    for (let c = 1; c < sizes.length; c++) {
      const div = el("div", { class: "diag" }, box);
      div.style.left = `${colX[c] - 18}px`;
      div.style.top = `${TOP + sizes[c] * (NODE + GAP)}px`;
      this.diag.push(div);
    }
  }

  weightValue(l, i, j) {
    return this.network ? this.network.weights[l][j][i] : 0;
  }

  biasValue(l, j) {
    return this.network ? this.network.biases[l][j] : 0;
  }

  /** A small box at the click to type a new value; Enter applies it, Escape closes. */
  edit(event, what, value, apply) {
    this.closeEditor();
    const box = this.container.getBoundingClientRect();
    const editor = el("div", { class: "editor" }, this.container);
    editor.style.left = `${event.clientX - box.left + 6}px`;
    editor.style.top = `${event.clientY - box.top + 6}px`;
    el("label", { text: what }, editor);
    const input = el("input", { type: "number", step: "0.1", value: Number(value.toFixed(4)) }, editor);
    const done = () => {
      const v = Number(input.value);
      if (input.value !== "" && Number.isFinite(v)) apply(v);
      this.closeEditor();
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") done();
      if (e.key === "Escape") this.closeEditor();
    });
    const ok = el("button", { text: "set" }, editor);
    ok.addEventListener("click", done);
    this.editor = editor;
    input.focus();
    input.select();
  }

  closeEditor() {
    if (this.editor) this.editor.remove();
    this.editor = null;
  }

  /** Paint one frame: node pictures, links, biases and the per-layer diagnostics. */
  update(header, buffers, state) {
    const network = header.network;
    if (!network) return;
    this.ensure(network, state);
    this.network = network;
    const size = header.grid ? header.grid.size : 0;
    const extent = header.grid ? header.grid.extent : [-6, 6];
    // The input pictures change only with the grid: repaint them then, not every frame.
    const inputsKey = `${this.key}:${size}:${extent}`;
    const repaintInputs = inputsKey !== this.inputsKey;
    this.inputsKey = inputsKey;
    for (const input of repaintInputs ? this.nodes[0] : []) {
      let values = buffers[`input:${input.name}`];
      if (!values && size) {
        const key = `${input.name}:${size}:${extent}`;
        if (!this.featureCache.has(key)) this.featureCache.set(key, featureGrid(input.name, size, extent));
        values = this.featureCache.get(key);
      }
      if (values) paintValues(input.canvas, values, size, { scale: displayScale(values) });
    }
    for (let c = 1; c < this.nodes.length; c++) {
      this.nodes[c].forEach((node, j) => {
        const values = buffers[`node:${c}:${j}`];
        if (node.canvas && values) paintValues(node.canvas, values, size, { scale: displayScale(values) });
        const b = network.biases[c - 1][j];
        const bias = node.div.querySelector(".bias");
        bias.style.background = css(scaleRGB(b));
        bias.dataset.value = b;
      });
    }
    network.weights.forEach((matrix, l) => {
      matrix.forEach((row, j) => {
        row.forEach((w, i) => {
          const link = this.links[l] && this.links[l][j] && this.links[l][j][i];
          if (!link) return;
          const ok = Number.isFinite(w);
          link.path.setAttribute("stroke", ok ? css(scaleRGB(w)) : "#d00");
          link.path.setAttribute("stroke-width", ok ? (1 + 9 * Math.min(Math.abs(w), 5) / 5).toFixed(2) : 1);
          link.hit.dataset.value = w;
        });
      });
    });
    const diag = header.diagnostics || {};
    this.diag.forEach((div, k) => {
      const parts = [];
      if (diag.gradNorms && diag.gradNorms[k] !== undefined) parts.push(`‖∇W‖ ${format(diag.gradNorms[k])}`);
      if (diag.dead && diag.dead[k] !== undefined && diag.dead[k] !== null) parts.push(`dead ${Math.round(diag.dead[k] * 100)}%`);
      if (diag.saturated && diag.saturated[k] !== undefined && diag.saturated[k] !== null) parts.push(`sat. ${Math.round(diag.saturated[k] * 100)}%`);
      div.textContent = parts.join(" · ");
      div.classList.toggle("warn", Boolean((diag.dead && diag.dead[k] > 0.5) || (diag.saturated && diag.saturated[k] > 0.5)));
    });
  }
}
