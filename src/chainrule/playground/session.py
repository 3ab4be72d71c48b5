"""One playground session: the data, the network, its training and what a frame shows.

All numerics of ``chainrule playground`` live here, with no web code, so pytest can drive them
alone: the server (``server.py``) turns calls and results into messages (``protocol.py``).

The default mode is TF Playground's own: labels −1/+1, a tanh output, the loss ½(out − y)²
averaged over a mini-batch, plain SGD, batches taken in the data's order (a short last batch
joins the next epoch's first, as there), weights drawn from
U(−0.5, 0.5) and biases 0.1, and regularisation applied to weights only, after the gradient
step, with the L1 step that crosses zero setting the weight to 0 for good (a "dead" link). The
same network, loss and step then run with any chainrule optimizer and scheduler, or with a
sigmoid + binary cross-entropy or softmax + cross-entropy head.
"""

import base64
import io
import math
import os
import tempfile
import time
import zipfile

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..diagnostics import activation_stats, layer_gradient_norms
from ..tensor import Tensor
from . import data as pdata
from . import export
from .schedules import SCHEDULES
from .settings import RESET_KEYS, SettingError, activations_per_layer, validate

ACTIVATION_LAYERS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid,
                     "linear": nn.Identity, "leakyrelu": nn.LeakyReLU, "elu": nn.ELU,
                     "step": nn.Step}
OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.Momentum, "nesterov": optim.Nesterov,
              "adagrad": optim.Adagrad, "rmsprop": optim.RMSprop, "adam": optim.Adam,
              "adamw": optim.AdamW, "adadelta": optim.Adadelta, "adamax": optim.Adamax,
              "nadam": optim.NAdam, "radam": optim.RAdam, "rprop": optim.Rprop}

EXPLODED = 1e6  # a weight or loss beyond this counts as divergence
DATA_KEYS = frozenset({"problem", "dataset", "noise", "percTrainData", "numSamples", "seed"})


class Diverged(Exception):
    """Training produced a non-finite or exploding loss or weight."""


def build_network(n_inputs, hidden, activations, n_outputs, tanh_output, seed):
    """TF Playground's network: Linear layers, one activation per hidden layer, weights drawn
    from U(−0.5, 0.5) and biases 0.1 (its initialisation), seeded, in float64."""
    rng = np.random.default_rng(seed)
    layers, width = [], n_inputs
    for h, act in zip(hidden, activations):
        layers += [_linear(width, h, rng), ACTIVATION_LAYERS[act]()]
        width = h
    layers.append(_linear(width, n_outputs, rng))
    if tanh_output:
        layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def _linear(n_in, n_out, rng):
    layer = nn.Linear(n_in, n_out)
    layer.weight.array = rng.uniform(-0.5, 0.5, size=(n_out, n_in))
    layer.bias.array = np.full(n_out, 0.1)
    return layer


class Session:
    """A training session: ``configure``, ``train``, ``frame``; errors are ``SettingError``."""

    def __init__(self, state=None):
        self.settings = validate(state or {})
        self._csv_text = None
        self.epoch = 0
        self.diverged = None  # a message while diverged
        self._grid_size = None
        self._rebuild_data()
        self._rebuild_network()

    # -- building ---------------------------------------------------------------------------
    def _rebuild_data(self):
        s = self.settings
        if s["dataset"] == "csv":
            if self._csv_text is None:
                raise SettingError("dataset", "dataset csv: upload a CSV file first")
            self.points = pdata.parse_csv(self._csv_text, s["problem"], s["percTrainData"],
                                          s["seed"])
        else:
            self.points = pdata.make_points(s)
        self._check_head(self.points)

    def _check_head(self, points):
        s = self.settings
        if s["problem"] == "classification" and points.num_classes > 2 and s["loss"] != "ce":
            raise SettingError("loss", f"loss {s['loss']} has one output, for two classes; "
                                       f"this data has {points.num_classes}: use loss=ce "
                                       "(softmax + cross-entropy)")

    def _rebuild_network(self):
        s, p = self.settings, self.points
        names = s["features"]
        self.x_train = pdata.features(p.x_train, names)
        self.x_test = pdata.features(p.x_test, names)
        self.mode = "regression" if s["problem"] == "regression" else s["loss"]
        self.y_train = self._targets(p.y_train)
        self.y_test = self._targets(p.y_test)
        n_out = p.num_classes if self.mode == "ce" else 1
        self.model = build_network(len(names), s["networkShape"], activations_per_layer(s),
                                   n_out, tanh_output=self.mode == "mse", seed=s["seed"])
        self.linears = [m for m in self.model if isinstance(m, nn.Linear)]
        self._dead = [np.zeros(m.weight.array.shape, bool) for m in self.linears]
        self.epoch = 0
        self._cursor = 0
        self._carry = None  # the points of a short last batch, waiting for the next epoch
        self.diverged = None
        self._make_optimizer()
        self._snapshot()
        self._grid_size = None  # the grid features depend on the enabled features

    def _targets(self, y):
        """What the loss compares the output with: ±1 (TF's mode), 0/1, class indices, values."""
        if self.mode == "mse":
            return np.where(y == 1, 1.0, -1.0).reshape(-1, 1)
        if self.mode == "bce":
            return y.astype(np.float64).reshape(-1, 1)
        if self.mode == "ce":
            return y
        return y.astype(np.float64).reshape(-1, 1)

    def _make_optimizer(self):
        """A fresh optimizer and schedule at the settings' rate; its state starts empty."""
        self.optimizer = self._new_optimizer(self.settings["learningRate"])
        self._start_schedule()

    def _new_optimizer(self, lr):
        return OPTIMIZERS[self.settings["optimizer"]](self.model.parameters(), lr=lr)

    def _start_schedule(self):
        """The chosen schedule from the base rate, advanced to the current epoch: the rate is
        the one these settings give at this epoch, as a run started with them would have.
        ReduceLROnPlateau depends on the losses seen, so it starts from the base rate now."""
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] = self.settings["learningRate"]
        schedule = SCHEDULES.get(self.settings["scheduler"])
        self.scheduler = schedule.build(self.optimizer, self.settings) if schedule else None
        if schedule is not None and schedule.watches is None:
            for _ in range(self.epoch):
                self.scheduler.step()

    def _swap_optimizer(self):
        """A new optimizer (empty state) on the same weights, keeping the schedule where it is:
        the rate now and the scheduler's epoch carry over."""
        old = self.optimizer.param_groups[0]
        self.optimizer = self._new_optimizer(old["lr"])
        self.optimizer.param_groups[0]["initial_lr"] = old.get("initial_lr", old["lr"])
        if self.scheduler is not None:
            self.scheduler.optimizer = self.optimizer

    def _rescale_schedule(self, old_base, new_base):
        """A new base rate scales the schedule in place: every rate it gives, now and later,
        by new/old; the epoch count is kept."""
        ratio = new_base / old_base
        for group in self.optimizer.param_groups:
            group["lr"] *= ratio
            group["initial_lr"] = new_base
        if self.scheduler is not None and hasattr(self.scheduler, "base_lrs"):
            self.scheduler.base_lrs = [new_base] * len(self.optimizer.param_groups)

    # -- settings ---------------------------------------------------------------------------
    def configure(self, state):
        """Apply changed settings. Returns (reset, data_changed); the session is unchanged on
        a SettingError."""
        new = validate(state, base=self.settings)
        changed = {k for k in new if new[k] != self.settings.get(k)}
        if changed & RESET_KEYS:
            old = self.settings, self.points
            self.settings = new
            try:
                data_changed = bool(changed & DATA_KEYS)
                if data_changed:
                    self._rebuild_data()
                else:
                    self._check_head(self.points)
                self._rebuild_network()
            except SettingError:
                self.settings, self.points = old
                raise
            return True, data_changed
        old_settings, self.settings = self.settings, new
        schedule = SCHEDULES.get(new["scheduler"])
        if "scheduler" in changed or (schedule and changed & set(schedule.params)):
            if "optimizer" in changed:
                self.optimizer = self._new_optimizer(new["learningRate"])
            self._start_schedule()
        else:
            if "optimizer" in changed:
                self._swap_optimizer()
            if "learningRate" in changed:
                self._rescale_schedule(old_settings["learningRate"], new["learningRate"])
        return False, False

    def upload_csv(self, name, text):
        """Own data: parsed, checked against the limits, then used as dataset ``csv``."""
        points = pdata.parse_csv(text, self.settings["problem"], self.settings["percTrainData"],
                                 self.settings["seed"])
        old = self.settings, self.points, self._csv_text
        self.settings = dict(self.settings, dataset="csv")
        self.points, self._csv_text = points, text
        try:
            self._check_head(points)
            self._rebuild_network()
        except SettingError:
            self.settings, self.points, self._csv_text = old
            raise

    def regenerate(self, seed=None):
        """New data (and weights) from a new seed."""
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**31))
        self.configure({"seed": seed})

    def reset(self):
        """Fresh weights from the seed (same seed, same weights), epoch 0."""
        self._rebuild_network()

    # -- training -----------------------------------------------------------------------------
    @property
    def lr(self):
        return float(self.optimizer.param_groups[0]["lr"])

    def train(self, epochs=1, seconds=None):
        """Train until ``epochs`` more epochs end or ``seconds`` pass (the rest of an epoch
        continues at the next call). Returns the number of epochs completed.

        Raises Diverged (and keeps the last good weights for ``restore``).
        """
        if self.diverged:
            return 0
        deadline = None if seconds is None else time.perf_counter() + seconds
        done = 0
        n = len(self.x_train)
        batch = min(self.settings["batchSize"], n)
        while done < epochs:
            start, stop = self._cursor, self._cursor + batch
            if stop > n:
                # TF Playground's batches: a short last batch is not applied; its points join
                # the next epoch's first batch (nn.ts accumulates until batchSize more points)
                self._carry = np.arange(start, n)
                stop = n
            else:
                rows = slice(start, stop)
                if self._carry is not None:
                    rows = np.concatenate([self._carry, np.arange(start, stop)])
                    self._carry = None
                self._train_batch(rows)
            self._cursor = stop
            if stop == n:
                self._end_epoch()
                done += 1
            if deadline is not None and time.perf_counter() >= deadline:
                break
        return done

    def _train_batch(self, rows):
        xb = Tensor(self.x_train[rows])
        yb = self.y_train[rows]
        out = self.model(xb)
        loss = self._loss(out, yb)
        self.optimizer.zero_grad()
        loss.backward()
        value = float(loss.array)
        if not math.isfinite(value) or value > EXPLODED:
            self._diverge(f"the training loss became {value:.3g} at epoch {self.epoch + 1}")
        old = [m.weight.array.copy() for m in self.linears] if self._regularizing() else None
        self.optimizer.step()
        if old is not None:
            self._regularize(old)

    def _loss(self, out, y):
        if self.mode in ("mse", "regression"):
            # TF's ½(out − y)², averaged over the batch (one output, so the mean is over points)
            return nn.functional.mse_loss(out, Tensor(y)) * 0.5
        if self.mode == "bce":
            return nn.functional.binary_cross_entropy_with_logits(out, Tensor(y))
        return nn.functional.cross_entropy(out, Tensor(y))

    def _regularizing(self):
        s = self.settings
        return s["regularization"] != "none" and s["regularizationRate"] > 0

    def _regularize(self, old):
        """TF Playground's step: w ← w − η·λ·R'(w_before) on weights (not biases), after the
        gradient step; an L1 step that crosses zero leaves the weight at 0, dead from then on."""
        s = self.settings
        rate = self.lr * s["regularizationRate"]
        for m, w_old, dead in zip(self.linears, old, self._dead):
            w = m.weight.array
            der = np.sign(w_old) if s["regularization"] == "L1" else w_old
            new = w - rate * der
            if s["regularization"] == "L1":
                dead |= w * new < 0
            w[...] = new
            w[dead] = 0.0

    def _end_epoch(self):
        self.epoch += 1
        self._cursor = 0
        if self.scheduler is not None:
            if SCHEDULES[self.settings["scheduler"]].watches:
                self.scheduler.step(self._watched_loss())
            else:
                self.scheduler.step()
        for m in self.linears:
            for p in (m.weight.array, m.bias.array):
                if not np.isfinite(p).all() or np.abs(p).max() > EXPLODED:
                    self._diverge(f"a weight became non-finite or exploded (|w| > {EXPLODED:g}) "
                                  f"at epoch {self.epoch}")
        self._snapshot()

    def _watched_loss(self):
        """The test loss after this epoch (the training loss when there is no test point)."""
        x, y = (self.x_test, self.y_test) if len(self.x_test) else (self.x_train, self.y_train)
        with no_grad():
            value = float(self._loss(self.model(Tensor(x)), y).array)
        return value if math.isfinite(value) else math.inf

    def _snapshot(self):
        self._good = [p.array.copy() for p in self.model.parameters()]
        self._good_epoch = self.epoch

    def _diverge(self, message):
        self.diverged = message
        raise Diverged(message)

    def restore(self):
        """Back to the last good weights (those at the end of the last sound epoch), with a
        fresh optimizer state (momentum, Adam's moments may hold the non-finite values); the
        schedule goes on from where it was."""
        for p, good in zip(self.model.parameters(), self._good):
            p.array[...] = good
            p.grad = None
        self.epoch = self._good_epoch
        self._cursor = 0
        self._carry = None
        self.diverged = None
        self._swap_optimizer()

    # -- edits ------------------------------------------------------------------------------
    def set_weight(self, layer, source, target, value):
        w = self._param(layer, "weight").array
        _index("to", target, w.shape[0])
        _index("from", source, w.shape[1])
        w[target, source] = _finite(value)
        self._dead[layer][target, source] = False

    def set_bias(self, layer, node, value):
        b = self._param(layer, "bias").array
        _index("node", node, b.shape[0])
        b[node] = _finite(value)

    def _param(self, layer, name):
        _index("layer", layer, len(self.linears))
        return getattr(self.linears[layer], name)

    # -- what a frame shows -------------------------------------------------------------------
    def predict(self, x):
        with no_grad():
            return self.model(Tensor(x)).array

    def metrics(self):
        """Losses, accuracies and the test set's confusion matrix (rows: true class)."""
        out = {"trainAccuracy": None, "testAccuracy": None, "confusion": None}
        k = self.points.num_classes
        for part, x, target, y in (("train", self.x_train, self.y_train, self.points.y_train),
                                   ("test", self.x_test, self.y_test, self.points.y_test)):
            with no_grad():  # one forward pass per set gives its loss and its accuracy
                output = self.model(Tensor(x))
                out[part + "Loss"] = float(self._loss(output, target).array)
            if self.mode == "regression":
                continue
            pred = self.classify(output.array)
            out[part + "Accuracy"] = float((pred == y).mean())
            if part == "test":
                out["confusion"] = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)\
                    .tolist()
        return out

    def classify(self, out):
        if self.mode == "ce":
            return out.argmax(axis=1)
        threshold = 0.0  # tanh output (mse) and a logit (bce) both split at 0
        return (out[:, 0] > threshold).astype(np.int64)

    def network(self):
        s = self.settings
        return {"features": list(s["features"]),
                "sizes": [len(s["features"]), *s["networkShape"], self.linears[-1].out_features],
                "activations": [*activations_per_layer(s), self._output_activation()],
                "weights": [m.weight.array.tolist() for m in self.linears],
                "biases": [m.bias.array.tolist() for m in self.linears]}

    def _output_activation(self):
        return {"mse": "tanh", "bce": "sigmoid", "ce": "softmax", "regression": "linear"}[
            self.mode]

    def diagnostics(self):
        """Per Linear: the last batch's weight-gradient norm; per hidden layer: the fraction of
        dead (ReLU) and saturated (tanh, sigmoid) units on the training set, else None."""
        norms = layer_gradient_norms(self.model)
        names = [name for name, m in self.model.named_modules() if isinstance(m, nn.Linear)]
        stats = activation_stats(self.model, self.x_train)
        hidden = len(self.settings["networkShape"])
        dead = [stats.get(str(2 * L + 1), {}).get("dead") for L in range(hidden)]
        saturated = [stats.get(str(2 * L + 1), {}).get("saturated") for L in range(hidden)]
        return {"gradNorms": [norms.get(n) for n in names], "dead": dead, "saturated": saturated}

    def grid(self, size=None):
        """{buffer name: float32 (size·size) array}: the output map, each hidden neuron and each
        input feature on the grid (row 0 at the top, x2 = +extent; cell centres)."""
        size = size or self.settings["gridSize"]
        if self._grid_size != size:
            centres = -pdata.EXTENT + (np.arange(size) + 0.5) * (2 * pdata.EXTENT / size)
            x1, x2 = np.meshgrid(centres, centres[::-1])
            points = np.stack([x1.ravel(), x2.ravel()], axis=1)
            self._grid_inputs = pdata.features(points, self.settings["features"])
            self._grid_size = size
        buffers = {f"input:{name}": self._grid_inputs[:, j]
                   for j, name in enumerate(self.settings["features"])}
        layers = list(self.model)
        h = Tensor(self._grid_inputs)
        with no_grad():
            hidden = 0
            for i in range(0, 2 * len(self.settings["networkShape"]), 2):
                h = layers[i + 1](layers[i](h))
                hidden += 1
                for j in range(h.array.shape[1]):
                    buffers[f"node:{hidden}:{j}"] = h.array[:, j]
            out = h
            for layer in layers[2 * hidden:]:
                out = layer(out)
        out = out.array
        if self.mode == "ce":
            z = np.exp(out - out.max(axis=1, keepdims=True))
            probs = z / z.sum(axis=1, keepdims=True)
            buffers["class"] = probs.argmax(axis=1)
            buffers["confidence"] = probs.max(axis=1)
        elif self.mode == "bce":
            buffers["output"] = 1 / (1 + np.exp(-out[:, 0]))
        else:
            buffers["output"] = out[:, 0]
        return {k: np.asarray(v, np.float32) for k, v in buffers.items()}

    def frame_header(self):
        """Everything of a frame but its grid buffers (see docs/playground-protocol.md)."""
        header = {"epoch": self.epoch, "lr": self.lr, **self.metrics(),
                  "network": self.network(), "diagnostics": self.diagnostics(),
                  "grid": {"size": self.settings["gridSize"],
                           "extent": [-pdata.EXTENT, pdata.EXTENT]}}
        return header

    def data_message(self):
        p = self.points
        return {"problem": self.settings["problem"], "numClasses": p.num_classes,
                "classes": p.classes, "extent": [-pdata.EXTENT, pdata.EXTENT],
                "seed": self.settings["seed"], "dataset": self.settings["dataset"],
                "train": {"x": p.x_train.tolist(), "y": p.y_train.tolist()},
                "test": {"x": p.x_test.tolist(), "y": p.y_test.tolist()}}

    # -- a worksheet and exports --------------------------------------------------------------
    def trace(self, index):
        """The backward pass of training point ``index`` as chainrule.trace's worksheet."""
        from .. import trace as tracing

        _index("index", index, len(self.x_train))
        x = Tensor(self.x_train[index:index + 1])
        y = self.y_train[index:index + 1]
        names = {}
        for n, m in enumerate(self.linears, start=1):
            names[f"W{n}"], names[f"b{n}"] = m.weight, m.bias
        kept = [p.grad for p in self.model.parameters()]  # the trace must not touch training:
        for p in self.model.parameters():  # its backward would add into these buffers in place
            p.grad = None
        try:
            tr = tracing.trace(lambda: self._loss(self.model(x), y), names=names)
            text = str(tr)
        finally:
            for p, g in zip(self.model.parameters(), kept):
                p.grad = g
        label = self.points.y_train[index]
        return {"index": index, "text": text, "point": self.points.x_train[index].tolist(),
                "label": label.item()}

    def export(self, what):
        """(filename, mime type, bytes) of the model, the Python code or the data."""
        if what == "model":
            return "playground-model.safetensors", "application/octet-stream", self._model_bytes()
        if what == "run":
            return "playground-run.zip", "application/zip", self._run_zip()
        if what == "code":
            text = export.python_code(self.settings, self.epoch, self.mode)
            return "playground_train.py", "text/x-python", text.encode()
        if what == "data":
            return "playground-data.csv", "text/csv", pdata.to_csv(self.points).encode()
        raise SettingError("what", f"export: what must be model, run, code or data, got {what!r}")

    def _model_bytes(self):
        from ..serialization import save

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.safetensors")
            save(self.model, path)
            with open(path, "rb") as f:
                return f.read()

    def _run_zip(self):
        """A run directory (model.safetensors + run.json) that ``chainrule predict`` reads."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("playground-run/model.safetensors", self._model_bytes())
            z.writestr("playground-run/run.json",
                       export.run_json(self.settings, self.mode, self.points))
        return buffer.getvalue()

    @staticmethod
    def encode(payload):
        return base64.b64encode(payload).decode("ascii")


def _index(name, value, bound):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bound:
        raise SettingError(name, f"{name} must be an integer in [0, {bound - 1}], got {value!r}")


def _finite(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > EXPLODED:
        raise SettingError("value", f"value must be a finite number within ±{EXPLODED:g}, "
                                    f"got {value!r}")
    return float(value)
