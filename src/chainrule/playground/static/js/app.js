// The page: holds the settings (mirrored in the URL hash), sends them to the session over the
// WebSocket, and paints the frames it gets back. It computes no model (docs/playground-protocol.md).

import { LineChart, format } from "./chart.js";
import { classRGB, classShade, css, scaleRGB } from "./colors.js";
import { Connection, socketUrl } from "./connection.js";
import { decodeFrame } from "./frames.js";
import { displayScale, paintClasses, paintPoints, paintValues, toPixel } from "./heatmap.js";
import { NetworkView, columnX } from "./network.js";
import {
  ACTIVATIONS, DATASETS, FEATURES, MAX_LAYERS, MAX_NEURONS, SCHEDULE_PARAMS,
  activationsFor, defaults, fromHash, resets, serverState, toHash,
} from "./state.js";
import { Surface3D } from "./surface3d.js";
import { drawThumbnail } from "./thumbnails.js";

const $ = (id) => document.getElementById(id);
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const EPOCHS_PER_FRAME = [1, 2, 5, 10, 20, 50, 100];
const ACTIVATION_NAMES = { tanh: "Tanh", relu: "ReLU", sigmoid: "Sigmoid", linear: "Linear", leakyrelu: "LeakyReLU", elu: "ELU", step: "Step" };
const DATASET_NAMES = { circle: "Circle", xor: "Exclusive or", gauss: "Gaussian", spiral: "Spiral", moons: "Moons", spiral3: "Spiral, 3 classes", checkerboard: "Checkerboard", plane: "Plane", multigauss: "Multi Gaussian", csv: "Your CSV" };

let state = fromHash(location.hash);
let connection = null;
let data = null; // the last `data` message
let frame = null; // the last decoded frame: {header, buffers}
let pending = null; // the newest frame not painted yet
let unacked = []; // frame numbers received and not yet acknowledged
let hover = null; // [buffer name, label] while a neuron is hovered
let playing = false;
let painted = 0; // frames painted since load (the benchmark reads it)
let lastError = null; // the server's last refusal, kept for the message if it then closes
let helloRetries = 0; // hellos sent again after the server refused a setting of the link
let unanswered = []; // settings before each config not yet answered, to undo one the server refuses

const lossChart = new LineChart($("lossChart"), [
  { name: "train", color: "#333" },
  { name: "test", color: "#999", dash: [4, 3] },
]);
const lrChart = new LineChart($("lrChart"), [{ name: "lr", color: "#183d4e" }]);
const surface = new Surface3D($("surface"));
const network = new NetworkView($("network"), {
  toggleFeature(name) {
    const on = state.features.includes(name);
    if (on && state.features.length === 1) return showBanner("Keep at least one input feature.", "error");
    const chosen = on ? state.features.filter((f) => f !== name) : [...state.features, name];
    change({ features: FEATURES.filter((f) => chosen.includes(f)) });
  },
  hover(name, label) {
    hover = name ? [name, label] : null;
    if (frame) paintOutput();
  },
  editWeight(layer, from, to, value) {
    send({ type: "setWeight", layer, from, to, value });
  },
  editBias(layer, node, value) {
    send({ type: "setBias", layer, node, value });
  },
});

// ---- settings <-> controls ----------------------------------------------------------------

function fillSelect(select, values, label = (v) => String(v)) {
  select.textContent = "";
  for (const v of values) {
    const option = document.createElement("option");
    option.value = String(v);
    option.textContent = label(v);
    select.appendChild(option);
  }
}

function setSelect(select, value) {
  const text = String(value);
  if (![...select.options].some((o) => o.value === text)) {
    const option = document.createElement("option");
    option.value = text;
    option.textContent = text;
    select.appendChild(option);
  }
  select.value = text;
}

function buildControls() {
  fillSelect($("learningRate"), LEARNING_RATES);
  fillSelect($("regularizationRate"), REG_RATES);
  fillSelect($("epochsPerFrame"), EPOCHS_PER_FRAME);
  fillSelect($("activation"), [...ACTIVATIONS, "mixed"], (a) => (a === "mixed" ? "per layer" : ACTIVATION_NAMES[a]));
  for (const [key, parse] of [["learningRate", Number], ["regularizationRate", Number], ["epochsPerFrame", Number],
    ["optimizer", String], ["scheduler", String], ["regularization", String], ["loss", String]]) {
    $(key).addEventListener("change", () => change({ [key]: parse($(key).value) }));
  }
  for (const key of SCHEDULE_KEYS) {
    // out of range or unreadable goes to the server as typed: its error names the setting
    $(key).addEventListener("change", () => change({ [key]: readScheduleInput(key) }));
  }
  $("activation").addEventListener("change", () => {
    if ($("activation").value !== "mixed") change({ activation: [$("activation").value] });
  });
  $("problem").addEventListener("change", () => {
    const problem = $("problem").value;
    change({ problem, dataset: DATASETS[problem][0], loss: problem === "regression" ? "mse" : state.loss });
  });
  for (const key of ["percTrainData", "noise", "batchSize", "numSamples", "gridSize"]) {
    const input = $(key);
    input.addEventListener("input", () => ($(`${key}Value`).textContent = input.value));
    input.addEventListener("change", () => change({ [key]: Number(input.value) }));
  }
  for (const key of ["showTestData", "discretize", "view3d"]) {
    $(key).addEventListener("change", () => change({ [key]: $(key).checked }));
  }
  $("toggleControls").addEventListener("click", () => change({ hideControls: !state.hideControls }));
  $("play").addEventListener("click", () => setPlaying(!playing));
  $("step").addEventListener("click", () => {
    setPlaying(false);
    send({ type: "step" });
  });
  $("reset").addEventListener("click", () => {
    lossChart.clear();
    lrChart.clear();
    send({ type: "reset" });
  });
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
  $("csvFile").addEventListener("change", async () => {
    const file = $("csvFile").files[0];
    if (!file) return;
    send({ type: "uploadCsv", name: file.name, text: await file.text() });
    $("csvFile").value = "";
  });
  $("exportData").addEventListener("click", () => send({ type: "export", what: "data" }));
  $("exportModel").addEventListener("click", () => send({ type: "export", what: "model" }));
  $("exportCode").addEventListener("click", () => send({ type: "export", what: "code" }));
  $("exportRun").addEventListener("click", () => send({ type: "export", what: "run" }));
  $("addLayer").addEventListener("click", () => {
    if (state.networkShape.length >= MAX_LAYERS) return;
    const last = state.networkShape.length ? state.networkShape[state.networkShape.length - 1] : 4;
    change({ networkShape: [...state.networkShape, last], activation: activationsFor(state).concat(activationsFor(state).slice(-1)).slice(0, state.networkShape.length + 1) });
  });
  $("removeLayer").addEventListener("click", () => {
    if (!state.networkShape.length) return;
    change({ networkShape: state.networkShape.slice(0, -1), activation: compactActivations(activationsFor(state).slice(0, -1)) });
  });
  $("bannerClose").addEventListener("click", hideBanner);
  $("restore").addEventListener("click", () => {
    send({ type: "restore" });
    hideBanner();
  });
  $("traceClose").addEventListener("click", () => ($("tracePanel").hidden = true));
  $("outputPoints").addEventListener("click", pickPoint);
  window.addEventListener("hashchange", () => {
    const next = fromHash(location.hash, state);
    const before = JSON.stringify(serverState(state));
    state = next;
    showState();
    if (JSON.stringify(serverState(state)) !== before) send({ type: "config", state: serverState(state) });
    paintAll();
  });
  window.addEventListener("resize", () => {
    showLayerHeads();
    if (frame) network.update(frame.header, frame.buffers, state);
  });
  const scale = $("scaleBar").getContext("2d");
  for (let x = 0; x < 300; x++) {
    scale.fillStyle = css(scaleRGB((x / 299) * 2 - 1));
    scale.fillRect(x, 0, 1, 8);
  }
}

const SCHEDULE_KEYS = [...new Set(Object.values(SCHEDULE_PARAMS).flat())];

function readScheduleInput(key) {
  const text = $(key).value.trim();
  if (key === "lrMilestones") return text.split(/[\s,]+/).filter((t) => t !== "").map((t) => (/^\d+$/.test(t) ? Number(t) : t));
  return text === "" ? text : Number(text);
}

/** The chosen schedule's own settings; the others are hidden (they stay in the URL). */
function showScheduleParams() {
  const used = SCHEDULE_PARAMS[state.scheduler] || [];
  $("scheduleParams").hidden = used.length === 0;
  for (const label of $("scheduleParams").querySelectorAll("label")) {
    label.hidden = !used.includes(label.dataset.param);
  }
  for (const key of SCHEDULE_KEYS) {
    const value = Array.isArray(state[key]) ? state[key].join(",") : String(state[key]);
    if ($(key).value !== value) $(key).value = value;
  }
}

/** One activation repeated is written once, so the URL stays short. */
function compactActivations(list) {
  return list.length && list.every((a) => a === list[0]) ? [list[0]] : list;
}

function showDatasets() {
  const box = $("datasets");
  box.textContent = "";
  for (const name of DATASETS[state.problem]) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 88;
    canvas.dataset.dataset = name;
    canvas.title = DATASET_NAMES[name];
    canvas.classList.toggle("selected", name === state.dataset);
    drawThumbnail(canvas, name);
    canvas.addEventListener("click", () => {
      if (name === "csv") return $("csvFile").click();
      const update = { dataset: name };
      if (name === "spiral3" && state.loss !== "ce") update.loss = "ce";
      change(update);
    });
    box.appendChild(canvas);
  }
}

function showLayerHeads() {
  const box = $("layerHeads");
  box.textContent = "";
  const width = $("network").clientWidth || 600;
  const columns = state.networkShape.length + 2;
  const acts = activationsFor(state);
  state.networkShape.forEach((width_, i) => {
    const head = document.createElement("div");
    head.className = "layer-head";
    head.style.left = `${columnX(i + 1, columns, width)}px`;
    head.dataset.layer = String(i + 1);
    const buttons = document.createElement("div");
    buttons.className = "controls";
    for (const [text, delta] of [["+", 1], ["−", -1]]) {
      const b = document.createElement("button");
      b.className = "round tiny";
      b.textContent = text;
      b.title = delta > 0 ? "Add a neuron" : "Remove a neuron";
      b.dataset.neurons = delta > 0 ? "add" : "remove";
      b.addEventListener("click", () => {
        const shape = [...state.networkShape];
        shape[i] = Math.max(1, Math.min(MAX_NEURONS, shape[i] + delta));
        change({ networkShape: shape });
      });
      buttons.appendChild(b);
    }
    head.appendChild(buttons);
    const count = document.createElement("div");
    count.textContent = `${width_} neuron${width_ === 1 ? "" : "s"}`;
    head.appendChild(count);
    const select = document.createElement("select");
    select.className = "controls";
    select.title = `Activation of hidden layer ${i + 1}`;
    fillSelect(select, ACTIVATIONS, (a) => ACTIVATION_NAMES[a]);
    select.value = acts[i];
    select.addEventListener("change", () => {
      const list = activationsFor(state);
      list[i] = select.value;
      change({ activation: compactActivations(list) });
    });
    head.appendChild(select);
    box.appendChild(head);
  });
  const n = state.networkShape.length;
  $("layerCount").textContent = `${n} hidden layer${n === 1 ? "" : "s"}`;
}

/** Put every control in step with `state` (after a load, a link or a change). */
function showState() {
  document.body.classList.toggle("classroom", state.hideControls);
  $("toggleControls").textContent = state.hideControls ? "show controls" : "hide controls";
  for (const key of ["learningRate", "regularizationRate", "epochsPerFrame", "optimizer", "scheduler", "regularization", "problem", "loss"]) {
    setSelect($(key), state[key]);
  }
  const acts = compactActivations(activationsFor(state));
  setSelect($("activation"), acts.length === 1 ? acts[0] : "mixed");
  $("loss").disabled = state.problem === "regression";
  for (const key of ["percTrainData", "noise", "batchSize", "numSamples", "gridSize"]) {
    $(key).value = String(state[key]);
    $(`${key}Value`).textContent = String(state[key]);
  }
  for (const key of ["showTestData", "discretize", "view3d"]) $(key).checked = state[key];
  showScheduleParams();
  $("surface").hidden = !state.view3d;
  showDatasets();
  showLayerHeads();
}

function writeHash() {
  history.replaceState(null, "", location.pathname + location.search + toHash(state));
}

/** Apply a change of settings: URL, controls, and the server for the ones it knows. */
function change(update) {
  const keys = Object.keys(update);
  const before = state;
  state = { ...state, ...update };
  writeHash();
  showState();
  if (keys.some((k) => k in serverState(state))) {
    if (keys.some(resets)) {
      lossChart.clear();
      lrChart.clear();
    }
    if (connection && connection.open) unanswered.push(before);
    send({ type: "config", state: serverState(state) });
  }
  paintAll();
}

// ---- talking to the session ----------------------------------------------------------------

function send(message) {
  if (connection) connection.send(message);
}

/** The play button's look; `tell` also tells the session (not when the session paused itself). */
function setPlaying(on, tell = true) {
  playing = on;
  $("play").classList.toggle("playing", on);
  $("play").setAttribute("aria-label", on ? "pause" : "play");
  if (tell) send({ type: on ? "play" : "pause" });
}

function showBanner(text, kind = "warn", restore = false) {
  $("banner").hidden = false;
  $("banner").className = `banner ${kind}`;
  $("bannerText").textContent = text;
  $("restore").hidden = !restore;
}

function hideBanner() {
  $("banner").hidden = true;
}

function onMessage(message) {
  switch (message.type) {
    case "data":
      data = message;
      if (message.seed !== undefined && message.seed !== null && message.seed !== state.seed) {
        state.seed = message.seed;
        writeHash();
      }
      // the session's data set wins (an uploaded CSV makes it `csv`, and sets the problem type)
      if (message.dataset && (message.dataset !== state.dataset || message.problem !== state.problem)) {
        state = { ...state, dataset: message.dataset, problem: message.problem };
        writeHash();
        showState();
      }
      $("dataInfo").textContent = `${message.train.x.length} training and ${message.test.x.length} test points` +
        (message.numClasses ? `, ${message.numClasses} classes` : "") + `, seed ${message.seed}.`;
      paintAll();
      break;
    case "configured":
      unanswered.shift();
      if (message.reset) {
        lossChart.clear();
        lrChart.clear();
      }
      break;
    case "diverged":
      setPlaying(false, false);
      showBanner(`Training diverged at epoch ${message.epoch}: ${message.message.replace(/[.\s]*$/, "")}. ` +
        `Training is paused${message.canRestore ? "; the last good weights can be restored" : ""}.`, "warn", message.canRestore);
      break;
    case "error":
      lastError = message.message;
      // an unexpected failure inside the server (key null) or play while diverged: not training
      if (message.key === null || message.key === undefined || message.key === "diverged") setPlaying(false, false);
      showBanner(message.key ? `${message.message} (${message.key})` : message.message, "error");
      // A link the server refuses (say dataset=csv, whose file is not uploaded in this tab):
      // start with that setting's default instead, and say so.
      if (!frame && helloRetries < 3) {
        helloRetries += 1;
        const fresh = defaults();
        const key = message.key in state ? message.key : null;
        state = key ? { ...state, [key]: fresh[key] } : { ...fresh, seed: state.seed };
        if (!DATASETS[state.problem].includes(state.dataset)) state.dataset = DATASETS[state.problem][0];
        writeHash();
        showState();
        send({ type: "hello", state: serverState(state) });
        break;
      }
      // A refused config leaves the session as it was: show its settings again.
      if (unanswered.length && (message.key in state || message.key === "state")) {
        const kept = unanswered.shift();
        state = { ...kept, showTestData: state.showTestData, discretize: state.discretize,
          hideControls: state.hideControls, view3d: state.view3d };
        writeHash();
        showState();
      }
      if (message.key === "csv" || message.key === "upload") showDatasets();
      break;
    case "trace":
      $("traceTitle").textContent = `Backward pass for training point ${message.index} at ` +
        `(${message.point.map((v) => v.toFixed(2)).join(", ")}), label ${message.label}`;
      $("traceText").textContent = message.text;
      $("tracePanel").hidden = false;
      break;
    case "export":
      download(message);
      break;
  }
}

function download({ filename, mime, base64 }) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: mime || "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function onFrame(buffer) {
  pending = decodeFrame(buffer);
  unacked.push(pending.header.frame);
  // Paint at the screen's pace; a hidden tab gets no animation frames, so it paints at once.
  if (document.hidden) paintPending();
  else requestAnimationFrame(paintPending);
}

function paintPending() {
  if (!pending) return;
  frame = pending;
  pending = null;
  const h = frame.header;
  const t0 = performance.now();
  lossChart.add(h.epoch, [h.trainLoss, h.testLoss]);
  lrChart.add(h.epoch, [h.lr]);
  paintAll();
  painted += 1;
  window.__playground.painted = painted;
  window.__playground.paintMs += performance.now() - t0; // the benchmark's painting cost
  for (const n of unacked) send({ type: "ack", frame: n });
  unacked = [];
}

// ---- painting -----------------------------------------------------------------------------

function paintAll() {
  if (!frame) return;
  const h = frame.header;
  $("epoch").textContent = String(h.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
  $("trainLoss").textContent = format(h.trainLoss);
  $("testLoss").textContent = format(h.testLoss);
  const classify = h.trainAccuracy !== null && h.trainAccuracy !== undefined;
  $("accuracies").hidden = !classify;
  if (classify) {
    $("trainAccuracy").textContent = `${(h.trainAccuracy * 100).toFixed(1)}%`;
    $("testAccuracy").textContent = `${(h.testAccuracy * 100).toFixed(1)}%`;
  }
  lossChart.draw();
  lrChart.draw();
  $("lrNow").textContent = `now ${format(h.lr)}`;
  paintConfusion(h.confusion);
  network.update(h, frame.buffers, state);
  paintOutput();
  document.body.dataset.epoch = String(h.epoch);
}

function paintConfusion(matrix) {
  $("confusionBox").hidden = !matrix;
  if (!matrix) return;
  const names = (data && data.classes) || matrix.map((_, i) => String(i));
  const rows = [`<tr><th></th>${matrix.map((_, j) => `<th>${escapeHtml(names[j] ?? j)}</th>`).join("")}</tr>`];
  matrix.forEach((row, i) => {
    rows.push(`<tr><th>${escapeHtml(names[i] ?? i)}</th>${row.map((v, j) => `<td class="${i === j ? "diag-cell" : ""}">${v}</td>`).join("")}</tr>`);
  });
  $("confusion").innerHTML = rows.join("");
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

/** The value on [-1, 1] that colours a point or an output cell. */
function pointColor(y) {
  if (!data || data.problem === "regression") return scaleRGB(y);
  if (data.numClasses > 2) return classRGB(y);
  return scaleRGB(y === 1 ? 1 : -1);
}

function paintOutput() {
  const { header: h, buffers } = frame;
  const size = h.grid.size;
  const map = $("outputMap");
  const label = $("mapLabel");
  let values = null;
  let scale = 1;
  if (hover && buffers[hover[0]]) {
    values = buffers[hover[0]];
    scale = displayScale(values);
    paintValues(map, values, size, { discretize: state.discretize, scale });
    label.hidden = false;
    label.textContent = hover[1];
  } else {
    label.hidden = true;
    if (buffers.class && buffers.confidence) {
      paintClasses(map, buffers.class, buffers.confidence, size, data ? data.numClasses : 3, { discretize: state.discretize });
      values = null;
    } else if (buffers.output) {
      values = buffers.output;
      if (state.loss === "bce" && state.problem === "classification") {
        values = values.map((p) => 2 * p - 1); // P(class 1) onto the [-1, 1] scale
      }
      paintValues(map, values, size, { discretize: state.discretize });
    }
  }
  $("colorScale").hidden = Boolean(buffers.class && !hover);
  const points = $("outputPoints");
  points.getContext("2d").clearRect(0, 0, points.width, points.height);
  if (data) {
    const extent = data.extent || h.grid.extent;
    paintPoints(points, data.train, extent, pointColor);
    if (state.showTestData) paintPoints(points, data.test, extent, pointColor, { test: true });
  }
  const surfaceCanvas = $("surface");
  surfaceCanvas.hidden = !state.view3d;
  if (state.view3d) {
    if (values) {
      surface.draw(values, size, hover ? scale : 1, state.discretize);
    } else if (buffers.class) {
      // softmax: the height is the winning class's probability, the colour its class
      const k = data ? data.numClasses : 3;
      const height = buffers.confidence.map((c) => 2 * c - 1);
      const color = (i) => (state.discretize ? classRGB(buffers.class[i]) : classShade(buffers.class[i], buffers.confidence[i], k));
      surface.draw(height, size, 1, false, color);
    }
  }
}

/** A click near a training point asks the session for that point's backward pass. */
function pickPoint(event) {
  if (!data || !frame) return;
  const canvas = $("outputPoints");
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * canvas.width;
  const y = ((event.clientY - box.top) / box.height) * canvas.height;
  const extent = data.extent || frame.header.grid.extent;
  let best = -1;
  let bestDistance = 8 * 8;
  data.train.x.forEach((p, i) => {
    const [px, py] = toPixel(p, extent, canvas.width, canvas.height);
    const d = (px - x) ** 2 + (py - y) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  if (best >= 0) send({ type: "trace", index: best });
}

// ---- start ----------------------------------------------------------------------------------

function connect() {
  $("status").textContent = "connecting…";
  connection = new Connection(socketUrl(location), {
    onOpen() {
      $("status").textContent = "connected";
      send({ type: "hello", state: serverState(state) });
    },
    onClose(event) {
      $("status").textContent = `disconnected (${event.code}${event.reason ? `: ${event.reason}` : ""})`;
      const why = event.reason || (event.code === 1013 && lastError) || "";
      showBanner(`The connection to the playground server closed (code ${event.code}${why ? `: ${why}` : ""}). Reload the page to start again.`, "error");
    },
    onMessage,
    onFrame,
  });
}

window.__playground = { painted: 0, paintMs: 0, state: () => state, frame: () => frame, data: () => data };
buildControls();
writeHash();
showState();
connect();
