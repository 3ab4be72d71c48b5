"""One worker of a search: take a trial, train it, tell the study, repeat until the budget ends.

Each trial is an ordinary ``chainrule train`` run (the same Python entry point, with a pruning
callback) written to ``OUT/trials/NNNN``; the best finished trial this worker has seen is kept as
``OUT/best``, a run directory that ``chainrule evaluate`` and ``predict`` take (its curves.png is
drawn once, by the report: drawing costs more than a small trial); the others are deleted. A
trial is chosen by its validation score only: the test score is recorded for the table but
never used to choose.
"""

import contextlib
import math
import os
import shutil
import sys
import time
import warnings

from ..train.interrupt import catch_first_interrupt, stop_requested
from .pruning import ReportToTrial, make_pruner
from .space import default_space
from .study import Heartbeat, open_storage, prepare_study, recover_dead_trials, take_trial

DEFAULT_TRIALS = 30


def objective_for(dataset):
    """(monitored log key, direction): accuracy for classes, loss for numbers."""
    from ..datasets import SYNTHETIC_REGRESSION

    if dataset in SYNTHETIC_REGRESSION + ("diabetes",):
        return "val_loss", "minimize"
    return "val_accuracy", "maximize"


def tune(dataset="digits", space=None, trials=None, timeout=None, pruner="median", storage=None,
         study_name=None, out="runs/tune", seed=0, val_split=0.2, samples=1000, noise=0.0,
         data_dir=None, stream=None, run_trials=True):
    """Run this worker's share of the search; return the study (``report.summarize`` tells it).

    ``trials`` is the study's whole budget, shared by all its workers; ``timeout`` (seconds)
    stops this worker from starting new trials after that long. With neither,
    ``DEFAULT_TRIALS`` trials. ``run_trials=False`` only opens the study, for its report.
    """
    import optuna

    from ..train.run import make_out_dir

    stream = stream or sys.stdout
    name = study_name or f"chainrule-{dataset}"
    if not run_trials:
        return _existing_study(storage, out, name)
    if trials is None and timeout is None:
        trials = DEFAULT_TRIALS
    if trials is not None and trials < 1:
        raise ValueError(f"--trials takes a positive integer, got {trials}")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"--timeout takes a positive number of seconds, got {timeout}")
    if seed < 0:
        raise ValueError(f"--seed takes a non-negative integer, got {seed}")
    if not 0 < val_split < 1:
        raise ValueError(f"--val-split must be in (0, 1) for tuning: trials are compared and "
                         f"pruned on the validation set, got {val_split}")
    space = space or default_space(dataset)
    monitor, direction = objective_for(dataset)
    make_out_dir(out)
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own line per trial instead
    data = {"dataset": dataset, "samples": samples, "noise": noise, "val_split": val_split,
            "data_seed": seed, "data_dir": data_dir}
    meta = {"data": {k: v for k, v in data.items() if k != "data_dir"},
            "objective": monitor, "space": space.as_dict(), "pruner": pruner}
    opened = open_storage(storage, out)
    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner = make_pruner(pruner, max(space.epochs))
    study = prepare_study(opened, name, meta, trials, direction, sampler, pruner)
    worker = _Worker(study, opened, space, data, monitor, out, stream)
    started = time.monotonic()
    # one Ctrl-C handler for the whole search, not only while a trial's fit runs: a Ctrl-C
    # between trials (choosing settings, loading) would otherwise be a bare KeyboardInterrupt that
    # Python drops when it lands in a weakref callback, and the search would go on
    with catch_first_interrupt(stream):
        while timeout is None or time.monotonic() - started < timeout:
            if stop_requested():  # pressed between trials
                raise KeyboardInterrupt
            for number in recover_dead_trials(study, opened):
                print(f"trial {number}: its worker is gone; failed it and queued its settings "
                      "again", file=stream, flush=True)
            trial = take_trial(study, opened, unlimited=trials is None)
            if trial is None:
                break
            worker.run(trial)
    return study


def _existing_study(storage, out, name):
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=open_storage(storage, out))
    except KeyError:
        raise ValueError(f"no study {name!r} in {storage or out + '/study.db'}") from None


class _Worker:
    def __init__(self, study, storage, space, data, monitor, out, stream):
        self.study, self.storage, self.space = study, storage, space
        self.data, self.monitor, self.out, self.stream = data, monitor, out, stream
        self.maximize = monitor != "val_loss"

    def run(self, trial):
        """Train one trial and tell the study how it went; print one line."""
        import optuna
        from optuna.trial import TrialState

        seed = trial.user_attrs.get("seed")
        if seed is None:  # a queued-again trial keeps its seed
            seed = self.data["data_seed"] + 1 + trial.number
            trial.set_user_attr("seed", seed)
        settings = self.space.suggest(trial)
        trial_dir = os.path.join(self.out, "trials", f"{trial.number:04d}")
        report = ReportToTrial(trial, self.monitor)
        started = time.perf_counter()
        try:
            with Heartbeat(self.study, self.storage, trial), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a NaN loss: the line says so
                result = train_trial(self.data, settings, seed, trial_dir, [report])
        except optuna.TrialPruned:
            self.study.tell(trial, state=TrialState.PRUNED)
            _remove(trial_dir)
            return self._line(trial, settings, started, f"pruned at epoch {report.pruned_at}")
        except Exception as e:
            trial.set_user_attr("error", f"{type(e).__name__}: {e}")
            self.study.tell(trial, state=TrialState.FAIL)
            _remove(trial_dir)
            return self._line(trial, settings, started, f"failed: {e}")
        history = result["history"]
        if history.interrupted:  # Ctrl-C: give the trial back, so a resumed search runs it
            from .study import queue_again

            self.study.tell(trial, state=TrialState.FAIL)
            queue_again(self.study, self.study.get_trials(deepcopy=False)[trial.number])
            _remove(trial_dir)
            raise KeyboardInterrupt
        values = history.history.get(self.monitor) or [math.nan]
        if not math.isfinite(values[-1]):
            trial.set_user_attr("error", "the loss became NaN or infinite in the first epoch")
            self.study.tell(trial, state=TrialState.FAIL)
            _remove(trial_dir)
            return self._line(trial, settings, started, "failed: the loss became NaN at once")
        trial.set_user_attr("test", result["test"])
        trial.set_user_attr("epochs_run", len(history))
        self.study.tell(trial, values[-1])
        kept = self._keep_if_best(trial_dir, values[-1], trial.number)
        note = "NaN loss: stopped early, " if history.stopped_on_nonfinite_loss else ""
        self._line(trial, settings, started,
                   f"{note}{self.monitor} {values[-1]:.4f}" + (" (best so far)" if kept else ""))

    def _keep_if_best(self, trial_dir, value, number):
        """Make ``trial_dir`` the kept best run if it beats the one kept; else delete it."""
        import json

        best = os.path.join(self.out, "best")
        with _lock(os.path.join(self.out, ".best.lock")):
            kept = None
            with contextlib.suppress(OSError, ValueError):
                with open(os.path.join(best, "trial.json")) as f:
                    kept = json.load(f)
            better = kept is None or (value > kept["value"] if self.maximize
                                      else value < kept["value"])
            if not better:
                _remove(trial_dir)
                return False
            from ..io.atomic import atomic_write_text

            atomic_write_text(os.path.join(trial_dir, "trial.json"),
                              json.dumps({"trial": number, "value": value,
                                          "objective": self.monitor}))
            old = best + f".old-{os.getpid()}"
            if os.path.isdir(best):
                os.replace(best, old)
            os.replace(trial_dir, best)
            _remove(old)
            return True

    def _line(self, trial, settings, started, outcome):
        from .report import describe_settings

        budget = self.study.user_attrs.get("chainrule", {}).get("trials")
        of = f"/{budget}" if budget else ""
        retry = trial.user_attrs.get("retry_of")
        if retry is not None:
            outcome += f" (rerun of trial {retry})"
        print(f"trial {trial.number}{of}  {time.perf_counter() - started:5.1f}s  "
              f"{describe_settings(settings)}  seed {trial.user_attrs.get('seed')}  -> {outcome}",
              file=self.stream, flush=True)


def train_trial(data, settings, seed, out, callbacks):
    """One trial through ``chainrule train``'s own entry point."""
    from ..train.run import train_run

    return train_run(dataset=data["dataset"], samples=data["samples"], noise=data["noise"],
                     val_split=data["val_split"], data_dir=data["data_dir"],
                     data_seed=data["data_seed"], seed=seed, out=out, verbose=0,
                     callbacks=callbacks, plot=False, **settings)


def _remove(path):
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _lock(path):
    import fcntl

    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
