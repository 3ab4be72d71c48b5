"""The learning-rate schedules a playground page can choose: one table, one entry each.

Each entry names a ``chainrule.optim.lr_scheduler`` class and how its arguments come from the
page's settings, so the session builds the scheduler and the exported code writes the same call
from one place. ``params`` are the settings it reads (the page shows those inputs; the server
range-checks them in ``settings.py``). Every schedule is stepped once per epoch.

Not offered: LambdaLR and MultiplicativeLR (their schedule is a Python function, which a page
cannot send), CyclicLR and OneCycleLR (stepped per batch, not per epoch), SequentialLR and
ChainedScheduler (they combine other schedulers).
"""

from ..optim import lr_scheduler


class Schedule:
    """How to build one scheduler from the settings.

    ``watches`` names the loss a ReduceLROnPlateau steps on (None: stepped by the epoch alone).
    """

    def __init__(self, cls, arguments, params, watches=None):
        self.cls, self.arguments, self.params, self.watches = cls, arguments, params, watches

    def build(self, optimizer, settings):
        return getattr(lr_scheduler, self.cls)(optimizer, **self.arguments(settings))

    def code(self, settings):
        """The same call as Python source, for the exported script."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments(settings).items())
        return f"lr_scheduler.{self.cls}(optimizer, {args})"


# Defaults (settings.py) are chosen so each effect shows within a few hundred epochs.
SCHEDULES = {
    "step": Schedule("StepLR", lambda s: {"step_size": s["lrStepSize"], "gamma": s["lrGamma"]},
                     ("lrStepSize", "lrGamma")),
    "multistep": Schedule("MultiStepLR", lambda s: {"milestones": list(s["lrMilestones"]),
                                                     "gamma": s["lrGamma"]},
                          ("lrMilestones", "lrGamma")),
    # the same fall as step's (gamma every step size epochs), spread evenly over the epochs
    "exponential": Schedule("ExponentialLR",
                            lambda s: {"gamma": s["lrGamma"] ** (1 / s["lrStepSize"])},
                            ("lrStepSize", "lrGamma")),
    "cosine": Schedule("CosineAnnealingLR", lambda s: {"T_max": s["lrEpochs"]}, ("lrEpochs",)),
    # a warm-up: from lrStartFactor times the rate up to the rate over lrEpochs epochs
    "linear": Schedule("LinearLR", lambda s: {"start_factor": s["lrStartFactor"],
                                              "end_factor": 1.0, "total_iters": s["lrEpochs"]},
                       ("lrStartFactor", "lrEpochs")),
    # held at start factor times the rate for its epochs, then the rate itself
    "constant": Schedule("ConstantLR", lambda s: {"factor": s["lrStartFactor"],
                                                  "total_iters": s["lrEpochs"]},
                         ("lrStartFactor", "lrEpochs")),
    # a straight line (power 1) from the rate down to 0 over its epochs
    "polynomial": Schedule("PolynomialLR", lambda s: {"total_iters": s["lrEpochs"], "power": 1.0},
                           ("lrEpochs",)),
    # cosine annealing that starts again every step size epochs (SGDR)
    "warmrestarts": Schedule("CosineAnnealingWarmRestarts", lambda s: {"T_0": s["lrStepSize"]},
                             ("lrStepSize",)),
    # steps on the test loss (the held-out set, used as a validation loss), or on the training
    # loss when a CSV's split leaves no test point
    "plateau": Schedule("ReduceLROnPlateau", lambda s: {"factor": s["lrGamma"],
                                                        "patience": s["lrPatience"]},
                        ("lrGamma", "lrPatience"), watches="testLoss"),
}
