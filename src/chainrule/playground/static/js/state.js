// The page's settings: one object, mirrored in the URL hash so that a link reproduces a run.
// Keys, ranges and defaults are docs/playground-protocol.md's table; the server checks them again.

export const FEATURES = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"];
export const ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear", "leakyrelu", "elu", "step"];
export const DATASETS = {
  classification: ["circle", "xor", "gauss", "spiral", "moons", "spiral3", "checkerboard", "csv"],
  regression: ["plane", "multigauss", "csv"],
};
export const MAX_LAYERS = 8;
export const MAX_NEURONS = 32;

// The learning-rate schedules and the settings each reads: the server's table
// (chainrule/playground/schedules.py) says the same; the page shows only the chosen one's inputs.
// Not offered: LambdaLR and MultiplicativeLR (a Python function), CyclicLR and OneCycleLR (per batch),
// SequentialLR and ChainedScheduler (they combine others).
export const SCHEDULE_PARAMS = {
  step: ["lrStepSize", "lrGamma"],
  multistep: ["lrMilestones", "lrGamma"],
  exponential: ["lrStepSize", "lrGamma"],
  cosine: ["lrEpochs"],
  linear: ["lrStartFactor", "lrEpochs"],
  constant: ["lrStartFactor", "lrEpochs"],
  polynomial: ["lrEpochs"],
  warmrestarts: ["lrStepSize"],
  plateau: ["lrGamma", "lrPatience"],
};

// kind: "enum" | "int" | "float" | "bool" | "list" (of enums) | "ints"
const SPEC = {
  problem: { kind: "enum", values: ["classification", "regression"], def: "classification", applied: "reset" },
  dataset: { kind: "enum", values: [...new Set([...DATASETS.classification, ...DATASETS.regression])], def: "circle", applied: "reset" },
  noise: { kind: "int", min: 0, max: 50, def: 0, applied: "reset" },
  percTrainData: { kind: "int", min: 10, max: 90, def: 50, applied: "reset" },
  numSamples: { kind: "int", min: 50, max: 2000, def: 500, applied: "reset" },
  seed: { kind: "int", min: 0, max: 2 ** 31 - 1, def: null, applied: "reset" },
  features: { kind: "list", values: FEATURES, def: ["x1", "x2"], applied: "reset" },
  networkShape: { kind: "ints", min: 1, max: MAX_NEURONS, maxLength: MAX_LAYERS, def: [4, 2], applied: "reset" },
  activation: { kind: "list", values: ACTIVATIONS, def: ["tanh"], applied: "reset", repeats: true },
  loss: { kind: "enum", values: ["mse", "bce", "ce"], def: "mse", applied: "reset" },
  optimizer: { kind: "enum", values: ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta", "adamax", "nadam", "radam", "rprop"], def: "sgd", applied: "live" },
  learningRate: { kind: "float", min: 0.00001, max: 10, def: 0.03, applied: "live" },
  scheduler: { kind: "enum", values: ["none", ...Object.keys(SCHEDULE_PARAMS)], def: "none", applied: "live" },
  lrStepSize: { kind: "int", min: 1, max: 100000, def: 100, applied: "live" },
  lrGamma: { kind: "float", min: 0.01, max: 0.99, def: 0.5, applied: "live" },
  lrMilestones: { kind: "ints", min: 1, max: 100000, maxLength: 10, def: [100, 300], applied: "live" },
  lrEpochs: { kind: "int", min: 1, max: 100000, def: 500, applied: "live" },
  lrStartFactor: { kind: "float", min: 0.01, max: 1, def: 0.1, applied: "live" },
  lrPatience: { kind: "int", min: 0, max: 1000, def: 20, applied: "live" },
  batchSize: { kind: "int", min: 1, max: 2000, def: 10, applied: "live" },
  regularization: { kind: "enum", values: ["none", "L1", "L2"], def: "none", applied: "live" },
  regularizationRate: { kind: "float", min: 0, max: 10, def: 0, applied: "live" },
  epochsPerFrame: { kind: "int", min: 1, max: 100, def: 1, applied: "live" },
  gridSize: { kind: "int", min: 10, max: 200, def: 50, applied: "live" },
  showTestData: { kind: "bool", def: false, applied: "page" },
  discretize: { kind: "bool", def: false, applied: "page" },
  hideControls: { kind: "bool", def: false, applied: "page" },
  view3d: { kind: "bool", def: false, applied: "page" },
};

export const KEYS = Object.keys(SPEC);

/** The settings the server knows (page-only ones stay here). */
export function serverState(state) {
  const out = {};
  for (const key of KEYS) {
    if (SPEC[key].applied !== "page") out[key] = state[key];
  }
  out.activation = activationsFor(state);
  return out;
}

/** Whether changing `key` rebuilds the data or the network (epoch back to 0). */
export function resets(key) {
  return SPEC[key] && SPEC[key].applied === "reset";
}

export function defaults() {
  const state = {};
  for (const key of KEYS) {
    const def = SPEC[key].def;
    state[key] = Array.isArray(def) ? [...def] : def;
  }
  state.seed = Math.floor(Math.random() * 1e6);
  return state;
}

/** One activation per hidden layer: a single value applies to every layer, the last one repeats. */
export function activationsFor(state) {
  const acts = state.activation.length ? state.activation : ["tanh"];
  return state.networkShape.map((_, i) => acts[Math.min(i, acts.length - 1)]);
}

function parseValue(spec, text) {
  switch (spec.kind) {
    case "enum":
      return spec.values.includes(text) ? text : undefined;
    case "bool":
      return text === "true" ? true : text === "false" ? false : undefined;
    case "int": {
      if (!/^-?\d+$/.test(text)) return undefined;
      return Math.min(spec.max, Math.max(spec.min, parseInt(text, 10)));
    }
    case "float": {
      const v = Number(text);
      if (text === "" || !Number.isFinite(v)) return undefined;
      return Math.min(spec.max, Math.max(spec.min, v));
    }
    case "list": {
      const items = text === "" ? [] : text.split(",");
      if (!items.every((item) => spec.values.includes(item))) return undefined;
      if (spec === SPEC.features) return FEATURES.filter((f) => items.includes(f));
      return items;
    }
    case "ints": {
      const items = text === "" ? [] : text.split(",");
      if (!items.every((item) => /^\d+$/.test(item))) return undefined;
      const ints = items.map((item) => Math.min(spec.max, Math.max(spec.min, parseInt(item, 10))));
      return ints.slice(0, spec.maxLength);
    }
  }
  return undefined;
}

/** Settings from a URL hash; anything missing or unreadable keeps its default. */
export function fromHash(hash, base = defaults()) {
  const state = { ...base };
  const text = hash.startsWith("#") ? hash.slice(1) : hash;
  for (const part of text.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = decodeURIComponent(part.slice(0, eq));
    const spec = SPEC[key];
    if (!spec) continue;
    const value = parseValue(spec, decodeURIComponent(part.slice(eq + 1)));
    if (value !== undefined) state[key] = value;
  }
  if (!DATASETS[state.problem].includes(state.dataset)) state.dataset = DATASETS[state.problem][0];
  if (state.problem === "regression") state.loss = "mse";
  return state;
}

/** The hash for these settings, TF Playground's style (`#key=value&…`, lists comma-separated). */
export function toHash(state) {
  return "#" + KEYS.filter((key) => state[key] !== null && state[key] !== undefined)
    .map((key) => {
      const value = Array.isArray(state[key]) ? state[key].join(",") : String(state[key]);
      return `${key}=${encodeURIComponent(value).replace(/%2C/g, ",")}`;
    })
    .join("&");
}

export function range(key) {
  return SPEC[key];
}
