"""A training run as the CLI does it: data set → network → fit → a run directory.

Which network, loss, optimizer and schedule a run uses is in ``recipes.py``; this module trains,
writes the run directory and reads it back (``load_run``, ``evaluate_run``, ``predict_run``).

A run directory holds ``model.safetensors`` (weights + architecture), ``run.json`` (what is
needed to use the model: task, classes, input scaling), ``history.csv``, ``summary.txt`` and
``curves.png`` (when matplotlib is installed).
"""

import json
import os
import time

import numpy as np

from .. import nn
from ..data import Standardizer
from ..functional import sigmoid, softmax
from ..io.atomic import atomic_write
from ..random import manual_seed
from ..serialization import load, save

# the tables (ACTIVATIONS …) are imported for cli.py, which reads them here as before recipes.py
from .recipes import (  # noqa: F401
    ACTIVATIONS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULERS,
    build_mlp,
    head_for,
    make_optimizer,
    make_scheduler,
    metrics_for,
    set_task,
    split,
)
from .trainer import evaluate, fit, predict


def fit_scaler(X):
    """Each input feature's mean and spread on the training set, kept in float32 as the inputs."""
    fitted = Standardizer().fit(X)
    return Standardizer.from_stats(fitted.mean.astype(np.float32), fitted.std.astype(np.float32))


def scaled(scaler, X):
    """Inputs in the network's float32, standardised with the training set's statistics."""
    return scaler.transform(np.asarray(X, np.float32))


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
              diagnostics=False, stream=None, callbacks=None, data_seed=None, plot=True):
    """Train an MLP on a named data set and write the run directory. Returns a result dict.

    ``callbacks`` are passed on to ``fit`` (after the gradient-flow monitor of ``diagnostics``).
    ``seed`` seeds the weights and the shuffling, ``data_seed`` (default: ``seed``) the data
    (synthetic sets) and the split: runs with different seeds on the same data, as ``chainrule
    tune``'s trials, pass one data_seed. ``plot=False`` leaves out curves.png (drawing it costs
    more than training a small trial; tune draws it only for the run it keeps).
    """
    from ..datasets import load_problem

    started = time.perf_counter()
    make_out_dir(out)  # before training: a run that cannot be written should not cost its time
    data_seed = seed if data_seed is None else data_seed
    manual_seed(seed)
    problem = load_problem(dataset, samples=samples, noise=noise, seed=data_seed,
                           data_dir=data_dir)
    if task != "auto":
        set_task(problem, task)
    (X, y), (X_val, y_val), (X_test, y_test) = split(problem, val_split, data_seed)
    scaler = fit_scaler(X)
    n_inputs = int(np.prod(problem.input_shape))
    n_out, out_layer, loss_fn, to_target = head_for(problem.task, problem.n_classes, loss)
    if n_out is None:
        n_out = y.shape[1]
    model = build_mlp(n_inputs, hidden, activation, n_out, out_layer,
                      flatten=len(problem.input_shape) > 1)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    sched = make_scheduler(scheduler, opt, epochs)
    metrics = metrics_for(problem.task)
    train = (scaled(scaler, X), to_target(y))
    val = (scaled(scaler, X_val), to_target(y_val)) if X_val is not None else None
    monitor = None
    if diagnostics:
        from ..diagnostics import GradientFlow

        monitor = GradientFlow(model, probe=train[0][:256])
    callbacks = ([monitor] if monitor is not None else []) + list(callbacks or ())
    history = fit(model, loss_fn, opt, train, val, epochs=epochs, batch_size=batch_size,
                  scheduler=sched, metrics=metrics, callbacks=callbacks, seed=seed,
                  verbose=verbose, stream=stream)
    test = evaluate(model, loss_fn, (scaled(scaler, X_test), to_target(y_test)), metrics)

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
            "seed": seed, "data_seed": data_seed, "samples": samples, "noise": noise,
            "val_split": val_split,
            "scaler": {"mean": scaler.mean.reshape(-1).tolist(),
                       "std": scaler.std.reshape(-1).tolist()},
            "test": test, "seconds": round(time.perf_counter() - started, 2)}
    with atomic_write(os.path.join(out, "run.json"), mode="w") as f:
        json.dump(info, f, indent=1)
    curves = None
    if plot and len(history):  # empty when the first epoch stopped at a NaN loss
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
        shape = tuple(info["input_shape"])
        scaler = Standardizer.from_stats(
            np.asarray(info["scaler"]["mean"], np.float32).reshape(shape),
            np.asarray(info["scaler"]["std"], np.float32).reshape(shape))
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
    out = predict(model, scaled(scaler, X))
    if info["task"] == "regression":
        return {"values": out}
    if info["output"] == "logit":
        p1 = sigmoid(out.reshape(-1).astype(np.float64)).numpy()
        probs = np.stack([1 - p1, p1], axis=1)
    elif info["output"] == "logits":
        probs = softmax(out, dim=1).numpy()
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
                           seed=_data_seed(info), data_dir=data_dir)
    set_task(problem, info["task"])
    _, _, (X_test, y_test) = split(problem, info["val_split"], _data_seed(info))
    loss_name = {"BCEWithLogitsLoss": "bce", "CrossEntropyLoss": "cross_entropy",
                 "MSELoss": "mse", "SSELoss": "sse"}[info["loss"]]
    _, _, loss_fn, to_target = head_for(problem.task, problem.n_classes, loss_name)
    return evaluate(model, loss_fn, (scaled(scaler, X_test), to_target(y_test)),
                    metrics_for(problem.task))


def _data_seed(info):
    """The seed of a run's data and split (runs written before data_seed had only ``seed``)."""
    return info.get("data_seed", info["seed"])
