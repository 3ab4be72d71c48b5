"""The training loop: forward propagation, loss, backpropagation, a weight update — repeated over
mini-batches, then over epochs, with validation after each epoch.

    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                  (X_train, y_train), val=0.3, epochs=10, batch_size=20)
"""

import math
import sys
import time
import warnings

import numpy as np

from .. import crashpoints
from ..autograd.grad_mode import no_grad
from ..devices import same_place, to_host
from ..tensor import Tensor
from .callbacks import Callback
from .history import History
from .interrupt import stop_requested
from .metrics import make_metrics


def _as_loader(data, batch_size, shuffle, seed=None, dtype=None):
    """Accept a DataLoader, a Dataset, or an (X, y) pair of arrays/tensors. Floating arrays of a
    pair are cast to ``dtype`` (the model's), as Keras does: float64 data from NumPy or
    scikit-learn then trains a float32 model at float32 speed."""
    from ..data import DataLoader, Dataset, TensorDataset

    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        arrays = [_cast(a, dtype) for a in data]
        return DataLoader(TensorDataset(*arrays), batch_size=batch_size, shuffle=shuffle,
                          seed=seed)
    raise TypeError(f"training data must be a DataLoader, a Dataset or an (X, y) pair, "
                    f"got {type(data).__name__}")


def _cast(a, dtype):
    a = a.array if isinstance(a, Tensor) else np.asarray(a)
    if dtype is not None and a.dtype.kind == "f" and a.dtype != dtype:
        return a.astype(dtype)
    return a


def _model_dtype(model):
    first = next(iter(model.parameters()), None)
    return None if first is None else first.array.dtype


def _model_device(model):
    """Where the model's parameters are: each batch is moved there (None: no parameters)."""
    first = next(iter(model.parameters()), None)
    return None if first is None else first.device


def _onto(batch_part, device):
    """A batch's inputs or targets on ``device``, as a Tensor (arrays are wrapped first)."""
    t = batch_part if isinstance(batch_part, Tensor) else Tensor(np.asarray(batch_part))
    # already there (every batch on the CPU): skip .to()'s argument reading, twice a step
    return t if device is None or same_place(t.array, device) else t.to(device)


def _split_off(train, fraction, seed):
    """Keras' validation_split: hold out the *last* fraction of (X, y) for validation."""
    if not (isinstance(train, (tuple, list)) and len(train) == 2):
        raise TypeError("val as a fraction needs train given as an (X, y) pair")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"a validation fraction must be between 0 and 1, got {fraction}")
    X, y = train
    n = len(X)
    cut = math.floor(n * (1.0 - fraction))  # Keras' own rule: 10 samples at 0.25 keep 3 back
    if cut <= 0 or cut >= n:
        raise ValueError(f"validation fraction {fraction} leaves no data on one side of {n}")
    return (X[:cut], y[:cut]), (X[cut:], y[cut:])


def _run_epoch(model, loss_fn, loader, metrics, optimizer=None, progress=None, epoch=0,
               compiled=None, thread_trial=None):
    """One pass over ``loader``; trains when an optimizer is given (with the ``compiled`` step
    when there is one; ``thread_trial`` times its steps while it is measuring). Returns the
    epoch's logs."""
    total_loss = 0.0
    seen = 0
    # A batch's loss is a mean over its samples, or already their sum (SSELoss,
    # reduction='sum'): weighted so, the epoch's loss is the mean per sample whatever the
    # batch size, and the training and validation losses (batched differently) compare.
    sums = _sums_over_batch(loss_fn)
    for m in metrics:
        m.reset()
    # A diverging run overflows on the way to a NaN or inf loss; fit stops there and says so in
    # words, as torch would say nothing: NumPy's overflow warnings on the way are only noise.
    device = _model_device(model)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step, batch in enumerate(loader, 1):
            xb, yb = _inputs_and_targets(batch)
            xb, yb = _onto(xb, device), _onto(yb, device)
            timing = thread_trial is not None and not thread_trial.done
            if timing:
                thread_trial.begin()
            if compiled is not None:
                loss = compiled(xb, yb, skip_nonfinite=True)
                value = _loss_value(loss)
                if not math.isfinite(value):
                    raise _NonFiniteLoss(step, value)  # the compiled step made no update
                out = compiled.output
                if out is None:  # the model's output is not an op's result (no layer at all)
                    with no_grad():
                        out = model(xb)
            elif optimizer is not None:
                optimizer.zero_grad()
                out = model(xb)
                loss = loss_fn(out, yb)
                value = _loss_value(loss)
                if not math.isfinite(value):
                    raise _NonFiniteLoss(step, value)  # before it reaches the weights
                loss.backward()
                if crashpoints.ENABLED:
                    crashpoints.reached(f"mid-batch {epoch}.{step}")
                optimizer.step()
            else:
                out = model(xb)
                loss = loss_fn(out, yb)
                value = _loss_value(loss)
            if timing:
                thread_trial.end()
            n = len(xb)
            total_loss += value if sums else value * n
            seen += n
            for m in metrics:
                m.update(out.array, yb.array)
            if progress is not None:
                progress.update(step, loss=total_loss / seen,
                                **{m.name: m.result() for m in metrics})
            if optimizer is not None:
                if crashpoints.ENABLED:
                    crashpoints.reached(f"batch {epoch}.{step}")
                if stop_requested():  # the first Ctrl-C: this batch is done, stop here
                    raise _Interrupted
    if seen == 0:
        raise ValueError("the data loader produced no batches (is the dataset empty, or "
                         "drop_last=True with fewer samples than one batch?)")
    logs = {"loss": total_loss / seen}
    logs.update({m.name: m.result() for m in metrics})
    return logs


def _inputs_and_targets(batch):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch
    fields = len(batch) if isinstance(batch, (tuple, list)) else 1
    raise ValueError(f"training and evaluation need (inputs, targets) samples, but the data gives "
                     f"{fields} field(s) per sample; pass (X, y) or a TensorDataset(X, y)")


def _loss_value(loss):
    data = loss.array
    if data.ndim:  # float() would say only "0-dimensional arrays can be converted"
        raise ValueError(f"the loss function returned an array of shape {data.shape}, not one "
                         "number; use reduction='mean' or 'sum' to train or evaluate with it")
    return float(data)


def _sums_over_batch(loss_fn):
    from ..nn.loss import SSELoss

    return isinstance(loss_fn, SSELoss) or getattr(loss_fn, "reduction", None) == "sum"


class _NonFiniteLoss(Exception):
    """A training batch's loss was NaN or infinite; ``fit`` stops before updating on it."""

    def __init__(self, step, value):
        super().__init__(step, value)
        self.step, self.value = step, value


def evaluate(model, loss_fn, data, metrics=("accuracy",), batch_size=256):
    """Loss and metrics of ``model`` on ``data``, in eval mode, with no graph built."""
    loader = _as_loader(data, batch_size, shuffle=False, dtype=_model_dtype(model))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return _run_epoch(model, loss_fn, loader, make_metrics(metrics, loss_fn))
    finally:
        model.train(was_training)


def predict(model, X, batch_size=256):
    """The model's outputs for inputs ``X`` as a NumPy array (eval mode, no graph).

    ``X`` is an array or tensor of inputs, or a Dataset or DataLoader whose samples are inputs
    or (input, target) pairs, as ``fit`` takes; only the inputs are used.
    """
    from ..data import DataLoader, Dataset

    if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
            or batch_size <= 0):
        # else range() below fails with its own message, or gives no batches at all
        raise ValueError(f"predict: batch_size must be a positive integer, got {batch_size!r}")
    if isinstance(X, (Dataset, DataLoader)):
        # np.asarray would turn a dataset of (x, y) samples into one array of pairs
        loader = X if isinstance(X, DataLoader) else DataLoader(X, batch_size=batch_size)
        batches = (b[0] if isinstance(b, (tuple, list)) else b for b in loader)
    else:
        X = _cast(X, _model_dtype(model))
        batches = (Tensor(X[start:start + batch_size]) for start in range(0, len(X), batch_size))
    was_training = model.training
    model.eval()
    outputs = []
    device = _model_device(model)
    try:
        with no_grad():
            for xb in batches:
                outputs.append(to_host(model(_onto(xb, device)).array))
    finally:
        model.train(was_training)
    return np.concatenate(outputs) if outputs else np.empty((0,))


def fit(model, loss_fn, optimizer, train, val=None, *, epochs=10, batch_size=32, scheduler=None,
        metrics=("accuracy",), callbacks=(), shuffle=True, seed=None, verbose=1, stream=None,
        checkpoint=None, resume=None, checkpoint_every=1, compile=False,  # noqa: A002
        threads=None):
    """Train ``model`` and return a ``History`` of per-epoch loss and metrics.

    ``train`` and ``val`` are DataLoaders, Datasets or (X, y) pairs; ``val`` may also be a
    fraction of ``train`` to hold out. ``scheduler`` is stepped once per epoch;
    ``ReduceLROnPlateau`` is fed the validation loss (the training loss without validation).

    ``checkpoint`` is a file that receives the whole training state (``train.checkpoint``) at the
    end of every ``checkpoint_every``-th epoch and of the last ("auto": of an epoch when 2 s have
    passed since the last checkpoint; None: only when training stops early or is interrupted),
    and ``resume`` a checkpoint file to continue from (``True``: ``checkpoint``):
    training then goes on from the epoch after it and ends with the same weights, bit for bit,
    as a run that was never stopped. ``epochs`` counts from the start either way.

    The first Ctrl-C finishes the current batch, writes the checkpoint of the last complete
    epoch and returns (``history.interrupted``); a second one stops at once (``StopNow``, a
    KeyboardInterrupt). A NaN or infinite training loss stops training, with a warning, before
    that batch's update reaches the weights; if the weights are no longer finite by then, the
    last complete epoch's weights are put back (``history.stopped_on_nonfinite_loss`` and
    ``history.nonfinite`` say where and which weights were kept), as Keras' TerminateOnNaN would.

    Parameter groups left at ``foreach=None`` (the default) take the batched path where it pays
    (many small parameters; same numbers, ``optim/foreach.py``), as every ``optimizer.step()``.

    ``compile=True`` trains with ``chainrule.compile(model, loss_fn, optimizer)``: the step is
    captured once per batch shape and replayed without a graph (the same weights, faster; what
    it cannot capture is refused by name before any update, ``docs/architecture.md``).

    ``threads``: how many threads NumPy's matrix products use during fit (None: as they are).
    ``"auto"`` makes it a measured choice: the first training steps take turns under 1, 2, …
    threads and fit trains on with the fastest (``threads.ThreadCountTrial``;
    ``history.threads`` holds the choice, ``history.thread_seconds`` the median step times,
    and the choice is printed when ``verbose``). Either way the count from before is back after.
    """
    from ..optim import Optimizer
    from ..optim.lr_scheduler import ReduceLROnPlateau
    from . import checkpoint as ckpt
    from .interrupt import StopNow, catch_first_interrupt

    # Checked first: with no optimizer, _run_epoch would evaluate a whole epoch before failing.
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be a chainrule Optimizer (e.g. "
                        f"optim.SGD(model.parameters(), lr=0.1)), got {type(optimizer).__name__}")
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        # it would step happily and change the learning rate of an optimizer fit never uses
        raise ValueError("fit: the scheduler was built for another optimizer than the one "
                         "passed to fit; build it on this one")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable (e.g. nn.CrossEntropyLoss()), got "
                        f"{loss_fn!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be an integer, got {epochs!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if checkpoint_every not in (None, "auto") and (isinstance(checkpoint_every, bool) or not
                                                   isinstance(checkpoint_every, (int, np.integer))
                                                   or checkpoint_every < 1):
        raise ValueError(f"fit: checkpoint_every must be a positive number of epochs, 'auto' "
                         f"or None, got {checkpoint_every!r}")
    if threads not in (None, "auto") and (isinstance(threads, bool) or not isinstance(
            threads, (int, np.integer)) or threads < 1):
        raise ValueError(f"fit: threads must be a positive number of threads, 'auto' or None, "
                         f"got {threads!r}")
    if resume is True:
        if checkpoint is None:
            raise ValueError("fit: resume=True continues from the checkpoint file; give "
                             "checkpoint=PATH too")
        resume = checkpoint
    if isinstance(val, (float, np.floating)):  # np.float32(0.2) too: not a data set
        train, val = _split_off(train, val, seed)
    dtype = _model_dtype(model)
    train_loader = _as_loader(train, batch_size, shuffle, seed, dtype)
    val_loader = None
    if val is not None:
        val_loader = _as_loader(val, max(batch_size, 256), False, dtype=dtype)
    metric_objs = make_metrics(metrics, loss_fn)
    callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks)  # as Keras
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}")
        cb.on_train_begin(model)
    stream = stream or sys.stdout
    history = History()
    first_epoch = 1
    if resume is not None:
        from ..serialization import load

        state = load(resume)
        done, history = ckpt.restore(state, model, optimizer, scheduler, callbacks,
                                     train_loader, where=str(resume))
        first_epoch = done + 1
    # The last complete epoch's state, in memory: what an interruption saves, and the finite
    # weights to fall back on if the loss turns NaN after the weights already did.
    boundary = ckpt.capture(first_epoch - 1, model, optimizer, scheduler, callbacks,
                            train_loader, history)
    saved_epoch = first_epoch - 1 if resume is not None else None

    def save_boundary():
        nonlocal saved_epoch
        if checkpoint is not None and saved_epoch != boundary["epoch"]:
            from ..serialization import save

            save(boundary, checkpoint)
            saved_epoch = boundary["epoch"]

    compiled = None
    if compile:
        from ..compiled import compile as compile_step

        compiled = compile_step(model, loss_fn, optimizer)
    logs = {}
    last_save = time.monotonic()
    thread_trial, restore_threads = _thread_setting(threads)
    try:
        with catch_first_interrupt(stream):
            for epoch in range(first_epoch, epochs + 1):
                bar = _progress_bar(len(train_loader), epoch, epochs, stream, verbose)
                model.train()
                try:
                    logs = _run_epoch(model, loss_fn, train_loader, metric_objs, optimizer, bar,
                                      epoch, compiled, thread_trial)
                except _NonFiniteLoss as bad:
                    if bar is not None:
                        print(file=stream)
                    _stop_on_nonfinite(bad, epoch, model, boundary, history)
                    save_boundary()
                    break
                except _Interrupted:
                    raise KeyboardInterrupt from None
                if val_loader is not None:
                    model.eval()
                    with no_grad():
                        val_logs = _run_epoch(model, loss_fn, val_loader, metric_objs)
                    model.train()
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                logs["lr"] = optimizer.param_groups[0]["lr"]
                if bar is not None:
                    bar.close(**{k: v for k, v in logs.items() if k != "lr"})
                if thread_trial is not None and thread_trial.done and history.threads is None:
                    history.threads = thread_trial.choice
                    history.thread_seconds = thread_trial.medians()
                    if verbose:
                        print(thread_trial.summary(), file=stream)
                history.append(epoch, logs)
                if scheduler is not None:
                    if isinstance(scheduler, ReduceLROnPlateau):
                        scheduler.step(logs.get("val_loss", logs["loss"]))
                    else:
                        scheduler.step()
                for cb in callbacks:
                    cb.on_epoch_end(epoch, logs)
                stopping = any(cb.stop_training for cb in callbacks)
                boundary = ckpt.capture(epoch, model, optimizer, scheduler, callbacks,
                                        train_loader, history)
                if _checkpoint_due(checkpoint_every, epoch, epochs, stopping, last_save):
                    save_boundary()
                    last_save = time.monotonic()
                if crashpoints.ENABLED:
                    crashpoints.reached(f"epoch {epoch}")
                if stopping:
                    break
                if stop_requested():  # Ctrl-C during validation or the callbacks
                    raise KeyboardInterrupt
    except StopNow:
        raise
    except KeyboardInterrupt:
        history.interrupted = True
        save_boundary()
        if verbose:
            saved = (f"; checkpoint of epoch {boundary['epoch']} in {checkpoint}"
                     if checkpoint is not None else "")
            print(f"\nTraining interrupted after {len(history)} complete epoch(s){saved}.",
                  file=stream)
    finally:
        restore_threads()
    for cb in callbacks:
        cb.on_train_end(logs)
    return history


def _thread_setting(threads):
    """fit's ``threads``: (the trial measuring the count, or None; what gives the count from
    before back)."""
    from ..threads import ThreadCountTrial, hold_num_threads

    if threads == "auto":
        trial = ThreadCountTrial()
        return trial, trial.close
    return None, hold_num_threads(threads)


# checkpoint_every="auto": a checkpoint costs a few milliseconds (two fsyncs), a lot next to the
# epochs of a run that lasts a second (benchmarks/checkpoint_cost.py), nothing next to a long one.
AUTO_CHECKPOINT_SECONDS = 2.0


def _checkpoint_due(every, epoch, epochs, stopping, last_save):
    if every is None:
        return False
    if epoch == epochs or stopping:
        return True
    if every == "auto":
        return time.monotonic() - last_save >= AUTO_CHECKPOINT_SECONDS
    return epoch % every == 0


def _stop_on_nonfinite(bad, epoch, model, boundary, history):
    """Record where the loss stopped being finite, and keep finite weights."""
    from . import checkpoint as ckpt

    history.stopped_on_nonfinite_loss = True
    if ckpt.all_finite(model):
        kept = "those after the batch before"
    else:  # the update before already broke them: back to the last complete epoch
        model.load_state_dict(boundary["model"])
        kept = (f"those at the end of epoch {boundary['epoch']}" if boundary["epoch"]
                else "the initial ones (no finite update was made)")
    history.nonfinite = {"epoch": epoch, "batch": bad.step, "loss": bad.value, "weights": kept}
    message = (f"fit: the training loss was {bad.value} at epoch {epoch}, batch {bad.step}; "
               f"training stopped before that update, and the weights are {kept}. Check the "
               "data for NaN or inf, or lower the learning rate.")
    warnings.warn(message, RuntimeWarning, stacklevel=3)


class _Interrupted(Exception):
    """The first Ctrl-C arrived and the batch it interrupted is done."""


def _progress_bar(steps, epoch, epochs, stream, verbose):
    if not verbose:
        return None
    from ..progress import ProgressBar

    return ProgressBar(steps, stream=stream, prefix=f"Epoch {epoch}/{epochs}")
