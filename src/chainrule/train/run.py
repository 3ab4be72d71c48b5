"""A training run as the CLI does it: data set → network → fit → a run directory.

Which network, loss, optimizer and schedule a run uses is in ``recipes.py``; this module trains,
writes the run directory and reads it back (``load_run``, ``evaluate_run``, ``predict_run``).

A run directory holds ``model.safetensors`` (weights + architecture), ``run.json`` (what is
needed to use the model: task, classes, input scaling), ``history.csv``, ``summary.txt`` and
``curves.png`` (when matplotlib is installed).
"""

import contextlib
import json
import math
import os
import sys
import time

import numpy as np

from .. import nn
from ..data import Standardizer
from ..functional import sigmoid, softmax
from ..io.atomic import TEMP_FILE, atomic_write
from ..io.errors import CorruptFileError
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
    """Create the ``--out`` directory and check that files can be written in it, or say in one
    line why not: found before training, not after it."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        why = "a file is in the way" if os.path.isfile(out) else e.strerror
        raise ValueError(f"--out {out}: cannot create the directory: {why}") from None
    probe = os.path.join(out, f".chainrule-write-test-{os.getpid()}")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.remove(probe)
    except OSError as e:
        raise ValueError(f"--out {out}: cannot write files there: {e.strerror}") from None


CHECKPOINT = "checkpoint.safetensors"
# What run.json's "status" says, and what chainrule train's exit code is for it.
STATUSES = {"running": None, "finished": 0, "diverged": 3, "interrupted": 130}


def train_run(dataset="digits", hidden=(64, 32), activation="relu", optimizer="adam", lr=None,
              scheduler="none", epochs=20, batch_size=32, val_split=0.2, seed=0, out="runs/latest",
              loss="auto", task="auto", samples=1000, noise=0.0, data_dir=None, verbose=1,
              diagnostics=False, stream=None, callbacks=None, checkpoint_every="auto",
              resume=False, data_seed=None, plot=True, compile=False,  # noqa: A002
              device="cpu", threads=None):
    """Train an MLP on a named data set and write the run directory. Returns a result dict.

    ``callbacks`` are passed on to ``fit`` (after the gradient-flow monitor of ``diagnostics``).
    ``seed`` seeds the weights and the shuffling, ``data_seed`` (default: ``seed``) the data
    (synthetic sets) and the split: runs with different seeds on the same data, as ``chainrule
    tune``'s trials, pass one data_seed. ``plot=False`` leaves out curves.png (drawing it costs
    more than training a small trial; tune draws it only for the run it keeps). ``device``
    ("cpu", "cuda", "cuda:1") is where the model trains; ``fit`` moves each batch there.
    Every ``checkpoint_every`` epochs ("auto": when 2 s have passed since the last; None: only
    when stopped early) and at the end, the whole training state goes to
    ``checkpoint.safetensors``; ``resume=True`` continues the run in ``out`` from it (see
    ``resume_run``). ``run.json`` says ``"status"``: running, then finished, diverged (a NaN or
    infinite loss stopped it) or interrupted (Ctrl-C; resumable). ``compile=True`` trains with
    the compiled step (``fit(..., compile=True)``; the same weights). ``threads`` is fit's:
    a thread count, "auto" (measured on the first steps) or None; it is not a setting of the
    run (a resumed run may run on another machine).
    """
    from ..datasets import load_problem

    started = time.perf_counter()
    make_out_dir(out)  # before training: a run that cannot be written should not cost its time
    data_seed = seed if data_seed is None else data_seed
    settings = {"dataset": dataset, "hidden": list(hidden), "activation": activation,
                "optimizer": optimizer, "lr": lr, "scheduler": scheduler, "epochs": epochs,
                "batch_size": batch_size, "val_split": val_split, "seed": seed,
                "data_seed": data_seed, "loss": loss, "task": task, "samples": samples,
                "noise": noise, "data_dir": data_dir, "diagnostics": diagnostics,
                "checkpoint_every": checkpoint_every, "compile": bool(compile),
                "device": str(device)}
    checkpoint_path = os.path.join(out, CHECKPOINT)
    _remove_stale_temp_files(out)
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
                      flatten=len(problem.input_shape) > 1).to(device)
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
    if not resume:  # after the settings proved usable, before the first batch
        _start_run(out, settings, stream)
    resume_from = checkpoint_path if resume and os.path.isfile(checkpoint_path) else None
    history = fit(model, loss_fn, opt, train, val, epochs=epochs, batch_size=batch_size,
                  scheduler=sched, metrics=metrics, callbacks=callbacks, seed=seed,
                  verbose=verbose, stream=stream, checkpoint=checkpoint_path,
                  resume=resume_from, checkpoint_every=checkpoint_every, compile=compile,
                  threads=threads)
    info = {"status": "finished", "settings": settings,
            "dataset": dataset, "task": problem.task, "n_classes": problem.n_classes,
            "loss": type(loss_fn).__name__, "output": _output_kind(problem.task, out_layer),
            "input_shape": list(problem.input_shape), "hidden": list(hidden),
            "activation": activation, "optimizer": optimizer, "lr": opt.defaults["lr"],
            "scheduler": scheduler, "epochs_run": len(history),
            "stopped_on_nonfinite_loss": history.stopped_on_nonfinite_loss,
            "batch_size": batch_size,
            "seed": seed, "data_seed": data_seed, "samples": samples, "noise": noise,
            "val_split": val_split,
            "scaler": {"mean": scaler.mean.reshape(-1).tolist(),
                       "std": scaler.std.reshape(-1).tolist()}}
    result = {"model": model, "history": history, "test": {}, "out": out, "curves": None,
              "info": info, "summary": "", "diagnostics": monitor, "model_saved": False}
    if history.interrupted:
        info["status"] = "interrupted"
        info["resume"] = f"chainrule train --resume {out}"
        _write_json(os.path.join(out, "run.json"), info)
        history.to_csv(os.path.join(out, "history.csv"))
        return result
    if history.stopped_on_nonfinite_loss:
        info["status"] = "diverged"
        info["nonfinite"] = history.nonfinite
    keep_model = not (history.nonfinite and history.nonfinite["weights"].startswith("the initial"))
    test = evaluate(model, loss_fn, (scaled(scaler, X_test), to_target(y_test)), metrics) \
        if keep_model else {}
    info["test"] = test
    info["seconds"] = round(time.perf_counter() - started, 2)

    _forget_previous_run(out)
    if keep_model:  # replaced atomically: a kill leaves the old file or the new one, whole
        save(model, os.path.join(out, "model.safetensors"))
    elif os.path.isfile(os.path.join(out, "model.safetensors")):
        os.remove(os.path.join(out, "model.safetensors"))  # an earlier run's: not this one's
    history.to_csv(os.path.join(out, "history.csv"))
    summary_text = model.summary(problem.input_shape, print_fn=None)
    with atomic_write(os.path.join(out, "summary.txt"), mode="w") as f:
        f.write(summary_text + "\n")
    curves = None
    if plot and len(history):  # empty when the first epoch stopped at a NaN loss
        try:
            history.plot(os.path.join(out, "curves.png"), title=f"chainrule · {dataset}")
            curves = os.path.join(out, "curves.png")
        except ImportError:
            pass  # matplotlib is optional: the CSV has the same numbers
    if monitor is not None:
        monitor.save_report(out)
    # Last: until run.json says so, the run is unfinished and --resume redoes what is missing.
    _write_json(os.path.join(out, "run.json"), info)
    result.update(test=test, curves=curves, summary=summary_text, model_saved=keep_model)
    return result


def resume_run(run_dir, verbose=1, stream=None, threads=None):
    """Continue the run in ``run_dir`` from its last checkpoint, with the settings it was
    started with (from ``run.json``); the result is the same, bit for bit, as if it had never
    stopped. A finished run is not trained again (ValueError)."""
    info = read_run_json(run_dir, need_model=False)
    status = info.get("status", "finished")
    if status not in ("running", "interrupted"):
        raise ValueError(f"--resume {run_dir}: that run is {status}; there is nothing to "
                         "resume (train a new one with --out)")
    settings = info.get("settings")
    if not isinstance(settings, dict):
        raise CorruptFileError(os.path.join(run_dir, "run.json"), "no settings to resume with",
                               kind="run.json")
    try:
        settings = dict(settings, hidden=tuple(settings["hidden"]))
        return train_run(**settings, out=run_dir, verbose=verbose, stream=stream, resume=True,
                         threads=threads)
    except TypeError as e:  # a settings key that train_run does not take
        raise CorruptFileError(os.path.join(run_dir, "run.json"), f"its settings do not fit "
                               f"({e})", kind="run.json") from None


def _start_run(out, settings, stream):
    """Mark ``out`` as holding a run in progress; an earlier run's checkpoint goes (it would be
    resumed in place of this one), and replacing a finished run is said, not done silently."""
    path = os.path.join(out, "run.json")
    if os.path.isfile(path):
        try:
            earlier = read_run_json(out, need_model=False).get("status", "finished")
        except (ValueError, OSError):
            earlier = "unreadable"
        if earlier == "finished":
            print(f"chainrule train: note: {out} holds a finished run; this run replaces it",
                  file=sys.stderr)
        elif earlier in ("interrupted", "running"):
            print(f"chainrule train: note: {out} holds an unfinished run; this run replaces "
                  f"it (`chainrule train --resume {out}` would have continued it)",
                  file=sys.stderr)
    checkpoint = os.path.join(out, CHECKPOINT)
    if os.path.isfile(checkpoint):
        os.remove(checkpoint)
    _write_json(path, {"status": "running", "settings": settings})


def _write_json(path, info):
    with atomic_write(path, mode="w") as f:
        json.dump(_finite(info), f, indent=1, allow_nan=False, default=_plain)


def _finite(value):
    """JSON has no NaN: a diverged run's loss of nan is written as the string "nan"."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return str(float(value))
    return value


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"run.json cannot hold {type(value).__name__}")


def _remove_stale_temp_files(out):
    """Temporary files of atomic writes cut short by a kill (-9 or a power cut) never became
    files of the run; they are removed, nothing else is touched."""
    for name in os.listdir(out):
        if TEMP_FILE.fullmatch(name):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(out, name))


# What train_run writes besides the files every run rewrites: left from an earlier run in the
# same directory they would show that run's curves next to this run's model.
_RUN_FILES = ("curves.png", "gradient_flow.csv", "gradient_flow.png")


def _forget_previous_run(out):
    """Remove an earlier run's figures and model, if ``out`` holds a run (run.json says this
    run is under way since it started, so an interruption now reads as this run, unfinished)."""
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
MAX_RUN_JSON_BYTES = 16 * 1024 * 1024  # a run of 28×28 inputs writes about 40 KB


def read_run_json(run_dir, need_model=True):
    """run.json of ``run_dir``, checked: bounded in size and nesting, every field the model
    needs present and of its type (``CorruptFileError`` naming the field otherwise)."""
    path = os.path.join(run_dir, "run.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a run directory (no run.json); "
                                "train one with `chainrule train --out DIR`")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_RUN_JSON_BYTES:
            raise CorruptFileError(path, f"{size} bytes, more than the {MAX_RUN_JSON_BYTES} a "
                                         "run.json may have", kind="run.json")
        raw = f.read(size + 1)  # (read(n) would allocate n bytes first, whatever the file)
    try:
        info = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise CorruptFileError(path, "nested too deeply", kind="run.json") from None
    except ValueError as e:  # bad UTF-8, bad JSON, NaN, a 5,000-digit number
        raise CorruptFileError(path, f"{str(e)[:200]}; train the run again",
                               kind="run.json") from None
    if not isinstance(info, dict):
        raise CorruptFileError(path, "not a JSON object", kind="run.json")
    status = info.get("status", "finished")  # runs written before statuses were finished ones
    if not isinstance(status, str) or status not in STATUSES:
        raise CorruptFileError(path, f"unknown status {str(status)[:40]!r}", kind="run.json")
    if need_model:
        if status in ("running", "interrupted"):
            raise ValueError(f"{run_dir} holds an unfinished run ({status}); continue it with "
                             f"`chainrule train --resume {run_dir}`")
        _check_run_fields(path, info)
    return info


def _check_run_fields(path, info):
    def bad(problem):
        return CorruptFileError(path, f"{problem}; train the run again", kind="run.json")

    missing = [key for key in _RUN_KEYS if key not in info]
    if missing:
        raise bad(f"no {', '.join(missing)}")
    shape = info["input_shape"]
    if not (isinstance(shape, list) and 1 <= len(shape) <= 8
            and all(type(d) is int and 1 <= d <= 1 << 24 for d in shape)
            and math.prod(shape) <= 1 << 26):
        raise bad(f"input_shape must be a short list of positive sizes, got {str(shape)[:80]}")
    n = math.prod(shape)
    scaler = info["scaler"]
    for key in ("mean", "std"):
        values = scaler.get(key) if isinstance(scaler, dict) else None
        if not (isinstance(values, list) and len(values) == n
                and all(type(v) in (int, float) for v in values)):
            raise bad(f"scaler.{key} must be {n} numbers, one per input value")
    if info["task"] not in ("binary", "multiclass", "regression"):
        raise bad(f"unknown task {str(info['task'])[:40]!r}")
    if info["output"] not in ("probabilities", "logit", "logits", "values"):
        raise bad(f"unknown output {str(info['output'])[:40]!r}")
    if info["task"] == "multiclass" and not (type(info.get("n_classes")) is int
                                             and 2 <= info["n_classes"] <= 1 << 20):
        raise bad("n_classes must be a whole number of classes")


def _no_constant(name):
    raise ValueError(f"{name} is not allowed in run.json")


def load_run(run_dir):
    """(model, run info, scaler) from a run directory."""
    info = read_run_json(run_dir)
    path = os.path.join(run_dir, "run.json")
    shape = tuple(info["input_shape"])
    try:
        scaler = Standardizer.from_stats(
            np.asarray(info["scaler"]["mean"], np.float32).reshape(shape),
            np.asarray(info["scaler"]["std"], np.float32).reshape(shape))
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is damaged ({e}); train the run again") from None
    model_path = os.path.join(run_dir, "model.safetensors")
    if not os.path.isfile(model_path) and info.get("status") == "diverged":
        raise ValueError(f"{run_dir}: this run diverged before any finite update, so it has "
                         "no model; train it again with a lower --lr")
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
