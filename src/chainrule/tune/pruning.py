"""Pruning: stop a trial whose validation score, epoch by epoch, is already hopeless.

``ReportToTrial`` is a ``fit`` callback: after each epoch it hands the validation score to the
Optuna trial, and asks the study's pruner whether to go on. The median pruner stops a trial
that is worse than the median of earlier trials at the same epoch; Hyperband runs many trials
for a few epochs and lets only the better ones train longer.
"""

import math

from ..train.callbacks import Callback

PRUNERS = ("median", "hyperband", "none")


def make_pruner(name, max_epochs):
    import optuna

    if name == "median":
        # Never judged: the first 5 trials (no median yet), and a trial's first fifth of its
        # epochs, where a slow starter (a low learning rate) is not yet a hopeless one.
        return optuna.pruners.MedianPruner(n_startup_trials=5,
                                           n_warmup_steps=max(1, max_epochs // 5))
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs,
                                              reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"--pruner {name!r}: choose from {', '.join(PRUNERS)}")


class ReportToTrial(Callback):
    """Report ``monitor`` (e.g. ``val_accuracy``) to ``trial`` each epoch; raise
    ``optuna.TrialPruned`` when the pruner says the trial is hopeless."""

    def __init__(self, trial, monitor):
        self.trial = trial
        self.monitor = monitor
        self.pruned_at = None

    def on_epoch_end(self, epoch, logs):
        import optuna

        value = logs.get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            self.pruned_at = epoch
            raise optuna.TrialPruned(f"epoch {epoch}: {self.monitor} {value:.4f}")
