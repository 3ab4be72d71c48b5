"""The search space: which of ``chainrule train``'s settings a tuning run may choose, and from what.

How many hidden layers, how wide, which activation, optimizer, learning rate and batch size are
not derived; they are found by experiment. A ``SearchSpace`` says what the experiment may try;
``suggest`` asks an Optuna trial for one point of it and returns ``train`` settings.

Defaults depend on the data set (``default_space``): 8×8 digits and other tables of a few dozen
features get widths up to 256; the 2-D synthetic sets need only a few units a layer but more
epochs; MNIST-sized images get wider layers and fewer epochs.
"""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SearchSpace:
    depth: tuple = (1, 3)                 # fewest and most hidden layers
    widths: tuple = (32, 64, 128, 256)    # each hidden layer's width is one of these
    activations: tuple = ("relu", "tanh", "sigmoid", "elu")
    optimizers: tuple = ("sgd", "momentum", "adam", "rmsprop")
    lr: tuple = (1e-4, 0.3)               # sampled on a log scale
    batch_sizes: tuple = (16, 32, 64, 128)
    epochs: tuple = (20,)                 # one value: every trial trains as long (pruning cuts)

    def __post_init__(self):
        low, high = self.depth
        if not 0 <= low <= high:
            raise ValueError(f"--depth: need 0 <= fewest <= most hidden layers, got {low}:{high}")
        if high > 0 and not self.widths:
            raise ValueError("--widths: give at least one width")
        for name in ("widths", "batch_sizes", "epochs"):
            if not getattr(self, name) or any(v <= 0 for v in getattr(self, name)):
                raise ValueError(f"--{name.replace('_', '-')} takes positive integers, "
                                 f"got {getattr(self, name)}")
        if not 0 < self.lr[0] <= self.lr[1]:
            raise ValueError(f"--lr: need 0 < low <= high, got {self.lr[0]}:{self.lr[1]}")
        from ..train.run import ACTIVATIONS, OPTIMIZERS

        for name, given, known in (("activations", self.activations, ACTIVATIONS),
                                   ("optimizers", self.optimizers, OPTIMIZERS)):
            unknown = [v for v in given if v not in known]
            if unknown or not given:
                raise ValueError(f"--{name}: unknown {unknown or 'nothing given'}; choose "
                                 f"from {', '.join(sorted(known))}")

    def as_dict(self):
        """JSON-ready, to store with the study: workers that join must search the same space."""
        return {k: list(v) for k, v in asdict(self).items()}

    def suggest(self, trial):
        """One point of the space from an Optuna trial, as ``train`` keyword arguments.

        A parameter with a single choice is not suggested (Optuna would record it as searched);
        each layer's width is its own parameter (``width_1`` …), asked only if the layer exists.
        """
        def pick(name, choices):
            return choices[0] if len(choices) == 1 else trial.suggest_categorical(name, choices)

        low, high = self.depth
        depth = low if low == high else trial.suggest_int("depth", low, high)
        hidden = tuple(pick(f"width_{i}", list(self.widths)) for i in range(1, depth + 1))
        lo, hi = self.lr
        lr = lo if lo == hi else trial.suggest_float("lr", lo, hi, log=True)
        return {"hidden": hidden,
                "activation": pick("activation", list(self.activations)),
                "optimizer": pick("optimizer", list(self.optimizers)),
                "lr": lr,
                "batch_size": pick("batch_size", list(self.batch_sizes)),
                "epochs": pick("epochs", list(self.epochs))}


_SMALL_2D = SearchSpace(widths=(4, 8, 16, 32), epochs=(60,), batch_sizes=(16, 32, 64))
_IMAGES = SearchSpace(widths=(64, 128, 256, 512), epochs=(5,), batch_sizes=(32, 64, 128))


def default_space(dataset):
    """The space a plain ``chainrule tune --dataset NAME`` searches."""
    from ..datasets import IMAGES, SYNTHETIC_CLASSIFICATION, SYNTHETIC_REGRESSION

    if dataset in SYNTHETIC_CLASSIFICATION + SYNTHETIC_REGRESSION:
        return _SMALL_2D
    if dataset in IMAGES:
        return _IMAGES
    return SearchSpace()
