"""A training run as the CLI does it: data set → network → fit → a run directory.

The output layer and the loss follow the kind of problem, as the notes teach:

=============  ======================  ==============================================
problem        output layer            loss
=============  ======================  ==============================================
two classes    1 unit, sigmoid         binary cross-entropy (fused with the sigmoid)
more classes   one unit a class,       cross-entropy (fused with the softmax)
               softmax
numbers        identity                mean squared error
=============  ======================  ==============================================

A run directory holds ``model.safetensors`` (weights + architecture), ``run.json`` (what is
needed to use the model: task, classes, input scaling), ``history.csv``, ``summary.txt`` and
``curves.png`` (when matplotlib is installed).
"""

import json
import os
import time

import numpy as np

from .. import nn, optim
from ..io.atomic import atomic_write
from ..random import manual_seed
from ..serialization import load, save
from .trainer import evaluate, fit, predict

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "identity": nn.Identity}
OPTIMIZERS = {"sgd": (optim.SGD, 0.1), "momentum": (optim.Momentum, 0.05),
              "adagrad": (optim.Adagrad, 0.05), "rmsprop": (optim.RMSprop, 1e-3),
              "adam": (optim.Adam, 1e-3), "adamw": (optim.AdamW, 1e-3)}
SCHEDULERS = ("none", "step", "multistep", "exponential", "cosine", "linear", "plateau")
# task -> (default loss, the losses that make sense for it)
LOSSES = {"binary": ("bce", ("bce", "mse")),
          "multiclass": ("cross_entropy", ("cross_entropy", "mse")),
          "regression": ("mse", ("mse", "sse"))}


def build_mlp(n_inputs, hidden, activation, n_outputs, output_layer=None, flatten=False):
    """Linear → activation → … → Linear (→ output_layer): the notes' multilayer perceptron."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
    layers = [nn.Flatten()] if flatten else []
    width = n_inputs
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(nn.Linear(width, n_outputs))
    if output_layer is not None:
        layers.append(output_layer)
    return nn.Sequential(*layers)


def head_for(task, n_classes, loss_name):
    """(n_outputs, output layer or None, loss module, target transform) for a task and loss."""
    default, allowed = LOSSES[task]
    loss_name = default if loss_name in (None, "auto") else loss_name
    if loss_name not in allowed:
        raise ValueError(f"loss {loss_name!r} does not fit a {task} problem; use one of {allowed}")
    if task == "binary":
        as_column = lambda y: np.asarray(y, np.float32).reshape(-1, 1)  # noqa: E731
        if loss_name == "bce":
            return 1, None, nn.BCEWithLogitsLoss(), as_column
        return 1, nn.Sigmoid(), nn.MSELoss(), as_column
    if task == "multiclass":
        if loss_name == "cross_entropy":
            return n_classes, None, nn.CrossEntropyLoss(), lambda y: y
        one_hot = lambda y: np.eye(n_classes, dtype=np.float32)[y]  # noqa: E731
        return n_classes, nn.Softmax(dim=1), nn.MSELoss(), one_hot
    loss = nn.MSELoss() if loss_name == "mse" else nn.SSELoss()
    return None, None, loss, lambda y: y


def make_scheduler(name, optimizer, epochs):
    from ..optim import lr_scheduler as s

    if name in (None, "none"):
        return None
    table = {
        "step": lambda: s.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.5),
        # distinct milestones from 1 on: a milestone 0 decays before training, a repeated one twice
        "multistep": lambda: s.MultiStepLR(
            optimizer, sorted({max(1, epochs // 2), max(1, 3 * epochs // 4)}), 0.1),
        "exponential": lambda: s.ExponentialLR(optimizer, gamma=0.9),
        "cosine": lambda: s.CosineAnnealingLR(optimizer, T_max=epochs),
        "linear": lambda: s.LinearLR(optimizer, total_iters=max(1, epochs // 4)),
        "plateau": lambda: s.ReduceLROnPlateau(optimizer, factor=0.5, patience=2),
    }
    if name not in table:
        raise ValueError(f"unknown scheduler {name!r}; choose from {SCHEDULERS}")
    return table[name]()


class Scaler:
    """Standardises each input feature with the training set's mean and spread."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)

    @classmethod
    def fit(cls, X):
        flat = X.reshape(len(X), -1)
        std = flat.std(axis=0)
        return cls(flat.mean(axis=0), np.where(std > 1e-6, std, 1.0))

    def __call__(self, X):
        X = np.asarray(X, np.float32)
        shape = X.shape
        return ((X.reshape(len(X), -1) - self.mean) / self.std).reshape(shape).astype(np.float32)


def set_task(problem, task):
    """Read ``problem`` as another kind of problem (``--task``); ValueError when it cannot be.

    Classes can be learned as numbers (a column of labels), but numbers are not classes, and a
    yes/no problem needs exactly two classes.
    """
    if task == problem.task:
        return problem
    if task == "regression":
        problem.y = np.asarray(problem.y, np.float32).reshape(len(problem.y), -1)
        if problem.y_test is not None:
            problem.y_test = np.asarray(problem.y_test, np.float32).reshape(len(problem.y_test), -1)
    elif problem.task == "regression":
        raise ValueError(f"--task {task} does not fit {problem.name}: its targets are numbers, "
                         "not classes")
    elif task == "binary" and problem.n_classes != 2:
        raise ValueError(f"--task binary does not fit {problem.name}: it has "
                         f"{problem.n_classes} classes, not 2")
    problem.task = task
    return problem


def split(problem, val_split, seed):
    """Train / validation / test arrays: the official test split or a stratified 20% hold-out."""
    try:
        return _split(problem, val_split, seed)
    except ValueError as e:  # train_test_split names its own arguments, not the options
        raise ValueError(_too_few_to_split(problem, val_split, e)) from None


def _too_few_to_split(problem, val_split, error):
    """Why the split failed, in terms of the options that set the sizes."""
    from ..datasets import SYNTHETIC_CLASSIFICATION, SYNTHETIC_REGRESSION

    if problem.name in SYNTHETIC_CLASSIFICATION + SYNTHETIC_REGRESSION:
        classes = " with every class in each" if problem.task != "regression" else ""
        return (f"--samples {len(problem.X)} and --val-split {val_split} leave too few "
                f"{problem.name} samples for training, validation and test sets{classes}; "
                "use more --samples")
    if val_split:
        return (f"--val-split {val_split} leaves too few {problem.name} samples for training "
                "or validation; use a fraction nearer 0.2")
    return f"{problem.name}: too few samples to split off a test set ({error})"


def _split(problem, val_split, seed):
    from ..data import train_test_split

    stratify = problem.y if problem.task != "regression" else None
    if problem.X_test is not None:
        X, y, X_test, y_test = problem.X, problem.y, problem.X_test, problem.y_test
    else:
        X, X_test, y, y_test = train_test_split(problem.X, problem.y, test_size=0.2,
                                                stratify=stratify, seed=seed)
    X_val = y_val = None
    if val_split:
        stratify = y if problem.task != "regression" else None
        X, X_val, y, y_val = train_test_split(X, y, test_size=val_split, stratify=stratify,
                                              seed=seed + 1)
    return (X, y), (X_val, y_val), (X_test, y_test)


def make_out_dir(out):
    """Create the ``--out`` directory, or say in one line why it cannot be."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        why = "a file is in the way" if os.path.isfile(out) else e.strerror
        raise ValueError(f"--out {out}: cannot create the directory: {why}") from None


def train_run(dataset="digits", hidden=(64, 32), activation="relu", optimizer="adam", lr=None,
              scheduler="none", epochs=20, batch_size=32, val_split=0.2, seed=0, out="runs/latest",
              loss="auto", task="auto", samples=1000, noise=0.0, data_dir=None, verbose=1,
              diagnostics=False, stream=None):
    """Train an MLP on a named data set and write the run directory. Returns a result dict."""
    from ..datasets import load_problem

    started = time.perf_counter()
    make_out_dir(out)  # before training: a run that cannot be written should not cost its time
    manual_seed(seed)
    problem = load_problem(dataset, samples=samples, noise=noise, seed=seed, data_dir=data_dir)
    if task != "auto":
        set_task(problem, task)
    (X, y), (X_val, y_val), (X_test, y_test) = split(problem, val_split, seed)
    scaler = Scaler.fit(X)
    n_inputs = int(np.prod(problem.input_shape))
    n_out, out_layer, loss_fn, to_target = head_for(problem.task, problem.n_classes, loss)
    if n_out is None:
        n_out = y.shape[1]
    model = build_mlp(n_inputs, hidden, activation, n_out, out_layer,
                      flatten=len(problem.input_shape) > 1)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose from {sorted(OPTIMIZERS)}")
    opt_cls, default_lr = OPTIMIZERS[optimizer]
    opt = opt_cls(model.parameters(), lr=default_lr if lr is None else lr)
    sched = make_scheduler(scheduler, opt, epochs)
    metrics = ("mae",) if problem.task == "regression" else ("accuracy",)
    train = (scaler(X), to_target(y))
    val = (scaler(X_val), to_target(y_val)) if X_val is not None else None
    callbacks = []
    monitor = None
    if diagnostics:
        from ..diagnostics import GradientFlow

        monitor = GradientFlow(model, probe=train[0][:256])
        callbacks.append(monitor)
    history = fit(model, loss_fn, opt, train, val, epochs=epochs, batch_size=batch_size,
                  scheduler=sched, metrics=metrics, callbacks=callbacks, seed=seed,
                  verbose=verbose, stream=stream)
    test = evaluate(model, loss_fn, (scaler(X_test), to_target(y_test)), metrics)

    _forget_previous_run(out)
    save(model, os.path.join(out, "model.safetensors"))
    history.to_csv(os.path.join(out, "history.csv"))
    summary_text = model.summary(problem.input_shape, print_fn=None)
    with atomic_write(os.path.join(out, "summary.txt"), mode="w") as f:
        f.write(summary_text + "\n")
    info = {"dataset": dataset, "task": problem.task, "n_classes": problem.n_classes,
            "loss": type(loss_fn).__name__, "output": _output_kind(problem.task, out_layer),
            "input_shape": list(problem.input_shape), "hidden": list(hidden),
            "activation": activation, "optimizer": optimizer, "lr": opt.defaults["lr"],
            "scheduler": scheduler, "epochs_run": len(history),
            "stopped_on_nonfinite_loss": history.stopped_on_nonfinite_loss,
            "batch_size": batch_size,
            "seed": seed, "samples": samples, "noise": noise, "val_split": val_split,
            "scaler": {"mean": scaler.mean.tolist(), "std": scaler.std.tolist()},
            "test": test, "seconds": round(time.perf_counter() - started, 2)}
    with atomic_write(os.path.join(out, "run.json"), mode="w") as f:
        json.dump(info, f, indent=1)
    curves = None
    if len(history):  # empty when the first epoch stopped at a NaN loss
        try:
            history.plot(os.path.join(out, "curves.png"), title=f"chainrule · {dataset}")
            curves = os.path.join(out, "curves.png")
        except ImportError:
            pass  # matplotlib is optional: the CSV has the same numbers
    if monitor is not None:
        monitor.save_report(out)
    return {"model": model, "history": history, "test": test, "out": out, "curves": curves,
            "info": info, "summary": summary_text, "diagnostics": monitor}


# What train_run writes besides the files every run rewrites: left from an earlier run in the
# same directory they would show that run's curves next to this run's model.
_RUN_FILES = ("run.json", "curves.png", "gradient_flow.csv", "gradient_flow.png")


def _forget_previous_run(out):
    """Remove an earlier run's run.json (first: an interrupted rewrite then reads as no run, not
    as the old run's settings with the new model) and figures, if ``out`` holds a run."""
    if not os.path.isfile(os.path.join(out, "run.json")):
        return  # not a run directory: touch nothing of the user's
    for name in _RUN_FILES:
        path = os.path.join(out, name)
        if os.path.isfile(path):
            os.remove(path)


def _output_kind(task, out_layer):
    if out_layer is not None:
        return "probabilities"
    return {"binary": "logit", "multiclass": "logits", "regression": "values"}[task]


# What predict_run and evaluate_run read from run.json.
_RUN_KEYS = ("dataset", "task", "loss", "output", "input_shape", "samples", "noise", "seed",
             "val_split", "scaler")


def load_run(run_dir):
    """(model, run info, scaler) from a run directory."""
    path = os.path.join(run_dir, "run.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a run directory (no run.json); "
                                "train one with `chainrule train --out DIR`")
    with open(path) as f:
        text = f.read()
    try:
        info = json.loads(text)
        missing = [key for key in _RUN_KEYS if key not in info]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
        scaler = Scaler(info["scaler"]["mean"], info["scaler"]["std"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is damaged ({e}); train the run again") from None
    model_path = os.path.join(run_dir, "model.safetensors")
    model = load(model_path)
    if not isinstance(model, nn.Module):  # a file of weights alone, saved from a state_dict
        raise ValueError(f"{model_path} holds tensors but no architecture to build the model "
                         "from; save the model itself (chainrule.save(model, path))")
    _check_model_fits(model, model_path, info)
    return model, info, scaler


def _check_model_fits(model, model_path, info):
    """Run one zero sample through the model: a model file from another run would fail deep in
    an op ('linear: ... 8 features') or give wrong classes, never naming the file."""
    shape = tuple(info["input_shape"])
    try:
        out = predict(model, np.zeros((1, *shape), np.float32))
    except ValueError:
        raise ValueError(f"{model_path} does not take this run's inputs ({info['dataset']}, "
                         f"shape {'×'.join(str(d) for d in shape)}); it is not the model "
                         "this run trained") from None
    n_classes = info.get("n_classes")
    expected = {"binary": 1, "multiclass": n_classes}.get(info["task"])
    if expected and out.shape[-1] != expected:
        raise ValueError(f"{model_path} gives {out.shape[-1]} outputs, but this run's "
                         f"{info['dataset']} has {n_classes} classes ({expected} outputs); "
                         "it is not the model this run trained")


def predict_run(run_dir, X, source="inputs"):
    """Predictions of a saved run for raw inputs X: classes with probabilities, or values.

    ``source`` names the inputs in errors (the CLI passes ``--input FILE``).
    """
    model, info, scaler = load_run(run_dir)
    X = np.asarray(X, np.float32)
    n_values = int(np.prod(info["input_shape"]))
    if not X.size:
        raise ValueError(f"{source}: no samples to predict")
    rows = X.reshape(len(X), -1) if X.ndim > 1 else X.reshape(1, -1)  # 1-d: one sample
    if rows.shape[1] != n_values:  # reshaping anyway would cut rows into wrong samples
        shape = "×".join(str(d) for d in info["input_shape"])
        raise ValueError(f"{source}: {rows.shape[1]} values per sample, but the model of "
                         f"{run_dir} takes {n_values} (input shape {shape})")
    X = rows.reshape(-1, *info["input_shape"])
    out = predict(model, scaler(X))
    if info["task"] == "regression":
        return {"values": out}
    if info["output"] == "logit":
        p1 = 1 / (1 + np.exp(-out.reshape(-1).astype(np.float64)))
        probs = np.stack([1 - p1, p1], axis=1)
    elif info["output"] == "logits":
        z = out - out.max(axis=1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    elif info["task"] == "binary":
        p1 = out.reshape(-1)
        probs = np.stack([1 - p1, p1], axis=1)
    else:
        probs = out
    return {"classes": probs.argmax(axis=1), "probabilities": probs}


def evaluate_run(run_dir, data_dir=None):
    """Test loss and metrics of a saved run on its data set's test split."""
    from ..datasets import load_problem

    model, info, scaler = load_run(run_dir)
    problem = load_problem(info["dataset"], samples=info["samples"], noise=info["noise"],
                           seed=info["seed"], data_dir=data_dir)
    set_task(problem, info["task"])
    _, _, (X_test, y_test) = split(problem, info["val_split"], info["seed"])
    loss_name = {"BCEWithLogitsLoss": "bce", "CrossEntropyLoss": "cross_entropy",
                 "MSELoss": "mse", "SSELoss": "sse"}[info["loss"]]
    _, _, loss_fn, to_target = head_for(problem.task, problem.n_classes, loss_name)
    metrics = ("mae",) if problem.task == "regression" else ("accuracy",)
    return evaluate(model, loss_fn, (scaler(X_test), to_target(y_test)), metrics)
