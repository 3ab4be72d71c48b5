"""What the playground exports besides the data: a Python script that rebuilds and trains the
same network with chainrule alone, and the ``run.json`` that lets ``chainrule predict`` use an
exported model.

The script is written out in full (data, features, network, loss, optimizer, schedule,
regularisation, the loop), so a learner can read the whole training in one file; a test runs it
and checks that it ends with the session's weights.
"""

import json
import textwrap

from .schedules import SCHEDULES
from .settings import activations_per_layer

_OPTIMIZER_CLASSES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov",
                      "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam",
                      "adamw": "AdamW", "adadelta": "Adadelta", "adamax": "Adamax",
                      "nadam": "NAdam", "radam": "RAdam", "rprop": "Rprop"}
_ACTIVATION_CLASSES = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Identity",
                       "leakyrelu": "LeakyReLU", "elu": "ELU", "step": "Step"}
_GENERATORS = {"circle": "circle", "xor": "xor", "gauss": "gauss", "spiral": "spiral",
               "moons": "moons", "spiral3": "three_spirals", "checkerboard": "checkerboard",
               "plane": "plane", "multigauss": "multi_gauss"}
_FEATURES = {"x1": "a", "x2": "b", "x1sq": "a * a", "x2sq": "b * b", "x1x2": "a * b",
             "sinx1": "np.sin(a)", "sinx2": "np.sin(b)"}
_TARGETS = {"mse": "np.where(y == 1, 1.0, -1.0).reshape(-1, 1)  # TF's labels: -1 and +1",
            "bce": "y.astype(np.float64).reshape(-1, 1)  # 0 or 1",
            "ce": "y  # class indices",
            "regression": "y.astype(np.float64).reshape(-1, 1)"}
_LOSSES = {"mse": "nn.functional.mse_loss(out, cr.tensor(y)) * 0.5  # TF's ½(out − y)²",
           "regression": "nn.functional.mse_loss(out, cr.tensor(y)) * 0.5  # TF's ½(out − y)²",
           "bce": "nn.functional.binary_cross_entropy_with_logits(out, cr.tensor(y))",
           "ce": "nn.functional.cross_entropy(out, cr.tensor(y))"}


def _data_code(s):
    if s["dataset"] == "csv":
        return '''# the data exported from the playground (Export data), with its train/test split
with open("playground-data.csv") as f:
    rows = [line.split(",") for line in f.read().split("\\n")[1:] if line]
points = np.array([[float(r[0]), float(r[1])] for r in rows])
names = sorted({r[2] for r in rows}, key=lambda c: (0, float(c), "") if _is_number(c)
               else (1, 0.0, c))
labels = np.array([''' + ("float(r[2])" if s["problem"] == "regression"
                          else "names.index(r[2])") + ''' for r in rows])
train = np.array([r[3] == "train" for r in rows])
X_points, y_points, X_test_points, y_test_points = (points[train], labels[train],
                                                    points[~train], labels[~train])
'''
    noise = s["noise"] / 100
    make = _GENERATORS[s["dataset"]]
    if s["dataset"] == "moons":
        line = (f"points, labels = synthetic.moons(n_samples={s['numSamples']}, "
                f"noise={noise / 2!r}, seed=SEED)\n"
                "points = (points - np.array([0.5, 0.25], np.float32)) * 3.5  # into [-6, 6]²")
    else:
        line = (f"points, labels = synthetic.{make}(n_samples={s['numSamples']}, "
                f"noise={noise!r}, seed=SEED)")
    labels = "labels.reshape(-1).astype(np.float64)" if s["problem"] == "regression" \
        else "labels.astype(np.int64)"
    return f'''{line}
points, labels = points.astype(np.float64), {labels}
# TF Playground's split: the data is shuffled once; the first {s["percTrainData"]}% train
cut = max(1, min(len(points) - 1, int(np.floor(len(points) * {s["percTrainData"]} / 100))))
X_points, y_points = points[:cut], labels[:cut]
X_test_points, y_test_points = points[cut:], labels[cut:]
'''


def python_code(settings, epochs, mode):
    """A script that trains the same network on the same data the same way for ``epochs``
    epochs (at least one): from the settings alone, so weight edits and settings changed during
    training are not in it."""
    s = settings
    feats = ", ".join(_FEATURES[f] for f in s["features"])
    n_out = "NUM_CLASSES" if mode == "ce" else "1"
    layers, width = [], len(s["features"])
    for h, act in zip(s["networkShape"], activations_per_layer(s)):
        layers.append(f"linear({width}, {h}), nn.{_ACTIVATION_CLASSES[act]}(),")
        width = h
    layers.append(f"linear({width}, {n_out}),")
    if mode == "mse":
        layers.append("nn.Tanh(),  # TF Playground's output for classes")
    network = "\n    ".join(layers)
    reg, rate = s["regularization"], s["regularizationRate"]
    regularize = reg != "none" and rate > 0
    reg_code = ""
    if regularize:
        der = "np.sign(w_old)" if reg == "L1" else "w_old"
        l1 = ("\n            dead |= w * new < 0  # an L1 step across zero: the link dies"
              if reg == "L1" else "")
        reg_code = f'''
        # {reg} as TF Playground applies it: to weights only, after the step, from the weights
        # before it
        rate = optimizer.param_groups[0]["lr"] * {rate!r}
        for layer, w_old, dead in zip(linears, before, dead_links):
            w = layer.weight.array
            new = w - rate * {der}{l1}
            w[...] = new
            w[dead] = 0.0'''
    imports = "" if s["dataset"] == "csv" else "from chainrule.data import synthetic\n"
    if s["scheduler"] != "none":
        imports += "from chainrule.optim import lr_scheduler\n"
    sched = SCHEDULES.get(s["scheduler"])
    schedule = sched.code(s) if sched else "None"
    if sched is None:
        step_schedule = ""
    elif sched.watches:  # ReduceLROnPlateau: the test loss, or the training loss without one
        step_schedule = ("    scheduler.step(evaluate(X_test, y_test) if len(X_test) "
                         "else evaluate(X_train, y_train))")
    else:
        step_schedule = "    scheduler.step()"
    keep = ("\n        before = [m.weight.array.copy() for m in linears]" if regularize else "")
    helpers = '''

def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
''' if s["dataset"] == "csv" else ""
    classes = ("\nNUM_CLASSES = int(max(y_points.max(), y_test_points.max())) + 1"
               if mode == "ce" else "")
    return f'''"""Train the playground's network again, with chainrule alone.

Made by `chainrule playground` from its settings:
{textwrap.fill(json.dumps(_state(s)), 96)}
The same data, features, initial weights, loss, optimizer, schedule and regularisation, for
{max(1, int(epochs))} epochs; weights edited by hand and settings changed while training are
not in it.
"""

import numpy as np

import chainrule as cr
from chainrule import nn, optim
{imports}
SEED = {s["seed"]}
EPOCHS = {max(1, int(epochs))}
BATCH_SIZE = {s["batchSize"]}
{helpers}
{_data_code(s)}{classes}

def features(points):
    """The network's inputs: {", ".join(s["features"])}."""
    a, b = points[:, 0], points[:, 1]
    return np.stack([{feats}], axis=1).astype(np.float64)


def targets(y):
    return {_TARGETS[mode]}


X_train, y_train = features(X_points), targets(y_points)
X_test, y_test = features(X_test_points), targets(y_test_points)

rng = np.random.default_rng(SEED)


def linear(n_in, n_out):
    """TF Playground's initialisation: weights from U(-0.5, 0.5), biases 0.1."""
    layer = nn.Linear(n_in, n_out)
    layer.weight.array = rng.uniform(-0.5, 0.5, size=(n_out, n_in))
    layer.bias.array = np.full(n_out, 0.1)
    return layer


model = nn.Sequential(
    {network}
)
linears = [m for m in model if isinstance(m, nn.Linear)]
dead_links = [np.zeros(m.weight.array.shape, bool) for m in linears]
optimizer = optim.{_OPTIMIZER_CLASSES[s["optimizer"]]}(model.parameters(), lr={s["learningRate"]!r})
scheduler = {schedule}


def loss_fn(out, y):
    return {_LOSSES[mode]}


def evaluate(X, y):
    with cr.no_grad():
        return loss_fn(model(cr.tensor(X)), y).item()


batch = min(BATCH_SIZE, len(X_train))
carry = np.arange(0)  # TF Playground: a short last batch joins the next epoch's first
for epoch in range(EPOCHS):
    for start in range(0, len(X_train), batch):  # in the data's order, as TF Playground
        if start + batch > len(X_train):
            carry = np.arange(start, len(X_train))
            break
        rows = np.concatenate([carry, np.arange(start, start + batch)])
        carry = np.arange(0)
        out = model(cr.tensor(X_train[rows]))
        loss = loss_fn(out, y_train[rows])
        optimizer.zero_grad()
        loss.backward(){keep}
        optimizer.step(){reg_code}
{step_schedule}
    if (epoch + 1) % 50 == 0 or epoch + 1 == EPOCHS:
        print(f"epoch {{epoch + 1}}: train loss {{evaluate(X_train, y_train):.4f}}, "
              f"test loss {{evaluate(X_test, y_test):.4f}}")

cr.save(model, "playground-model.safetensors")
print("saved playground-model.safetensors (chainrule.load reads it back)")
'''


def _state(s):
    return {k: s[k] for k in ("problem", "dataset", "noise", "percTrainData", "numSamples",
                              "seed", "features", "networkShape", "activation", "loss",
                              "optimizer", "learningRate", "scheduler", "batchSize",
                              "regularization", "regularizationRate")}


def run_json(settings, mode, points):
    """run.json for ``chainrule predict RUN_DIR --input features.csv``: the inputs are the
    enabled features (x1, x2, x1sq, …) in the protocol's order, unscaled."""
    n = len(settings["features"])
    task = {"mse": "regression", "regression": "regression", "bce": "binary",
            "ce": "multiclass"}[mode]
    output = {"mse": "values", "regression": "values", "bce": "logit", "ce": "logits"}[mode]
    loss = {"mse": "MSELoss", "regression": "MSELoss", "bce": "BCEWithLogitsLoss",
            "ce": "CrossEntropyLoss"}[mode]
    info = {"dataset": f"playground:{settings['dataset']}", "task": task, "loss": loss,
            "output": output, "input_shape": [n], "samples": settings["numSamples"],
            "noise": settings["noise"], "seed": settings["seed"],
            "val_split": 1 - settings["percTrainData"] / 100,
            "scaler": {"mean": [0.0] * n, "std": [1.0] * n},
            "features": settings["features"], "n_classes": points.num_classes or None}
    return json.dumps(info, indent=2)
