"""The playground's settings: every key the page may send, its range and default, and the limits.

One table is the truth for both checks: a value outside its range is refused with a
``SettingError`` naming the key and the range, whatever the page allowed (the page is not
trusted; see docs/playground-protocol.md). Keys say whether changing them rebuilds the data or
the network ("reset") or changes the running training ("live").
"""

import math
import numbers

CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral", "moons", "spiral3", "checkerboard",
                       "csv")
REGRESSION_SETS = ("plane", "multigauss", "csv")
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "leakyrelu", "elu", "step")
LOSSES = ("mse", "bce", "ce")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta",
              "adamax", "nadam", "radam", "rprop")
# lambda (LambdaLR) is not offered: its schedule is a Python function, which a page cannot send
SCHEDULERS = ("none", "step", "multistep", "exponential", "cosine", "linear", "constant",
              "polynomial", "warmrestarts", "plateau")
# the schedules' parameters (which schedule reads which: session.SCHEDULES)
SCHEDULE_KEYS = ("lrStepSize", "lrGamma", "lrMilestones", "lrEpochs", "lrStartFactor",
                 "lrPatience")
MAX_MILESTONES = 10
REGULARIZATIONS = ("none", "L1", "L2")

MAX_LAYERS = 8
MAX_NEURONS = 32

# Limits the server enforces on what a page sends (each refusal names its key).
LIMITS = {
    "messageBytes": 4 * 1024 * 1024,  # one WebSocket text message
    "csvBytes": 2 * 1024 * 1024,
    "csvRows": 5000,
    "csvColumns": 4,  # x1, x2, a class or a target, and optionally train/test
    "csvMaxAbs": 1e6,  # |value| above this is refused as "huge"
    "classes": 10,
}


class SettingError(ValueError):
    """A setting or a limit refused: ``key`` names it, the message says what was allowed."""

    def __init__(self, key, message):
        super().__init__(message)
        self.key = key


# key -> (default, kind, what it accepts, when it applies)
_NUMBERS = {
    "noise": (0, int, (0, 50), "reset"),
    "percTrainData": (50, int, (10, 90), "reset"),
    "numSamples": (500, int, (50, 2000), "reset"),
    "seed": (0, int, (0, 2**32 - 1), "reset"),
    "learningRate": (0.03, float, (1e-5, 10.0), "live"),
    "batchSize": (10, int, (1, 2000), "live"),
    "regularizationRate": (0.0, float, (0.0, 10.0), "live"),
    "epochsPerFrame": (1, int, (1, 100), "live"),
    "gridSize": (50, int, (10, 200), "live"),
    "lrStepSize": (100, int, (1, 100000), "live"),
    "lrGamma": (0.5, float, (0.01, 0.99), "live"),
    "lrEpochs": (500, int, (1, 100000), "live"),
    "lrStartFactor": (0.1, float, (0.01, 1.0), "live"),
    "lrPatience": (20, int, (0, 1000), "live"),
}
_CHOICES = {
    "problem": ("classification", ("classification", "regression"), "reset"),
    "loss": ("mse", LOSSES, "reset"),
    "optimizer": ("sgd", OPTIMIZERS, "live"),
    "scheduler": ("none", SCHEDULERS, "live"),
    "regularization": ("none", REGULARIZATIONS, "live"),
}
_BOOLEANS = ("showTestData", "discretize", "hideControls", "view3d")  # the page's own

DEFAULTS = {
    **{k: v[0] for k, v in _NUMBERS.items()},
    **{k: v[0] for k, v in _CHOICES.items()},
    "dataset": "circle",
    "features": ["x1", "x2"],
    "networkShape": [4, 2],
    "activation": ["tanh"],
    "lrMilestones": [100, 300],
}
RESET_KEYS = frozenset({k for k, v in _NUMBERS.items() if v[3] == "reset"}
                       | {k for k, v in _CHOICES.items() if v[2] == "reset"}
                       | {"dataset", "features", "networkShape", "activation"})


def _number(key, value):
    default, kind, (low, high), _ = _NUMBERS[key]
    if isinstance(value, str):  # from the URL: "0.03"
        try:
            value = float(value)
        except ValueError:
            raise SettingError(key, f"{key} must be a number in [{low}, {high}], "
                                    f"got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or not low <= value <= high \
            or (kind is int and value != int(value)):
        what = "an integer" if kind is int else "a number"
        raise SettingError(key, f"{key} must be {what} in [{low}, {high}], got {value!r}")
    return kind(value)


def _list(key, value):
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip() != ""]
    if not isinstance(value, (list, tuple)):
        raise SettingError(key, f"{key} must be a list, got {value!r}")
    return list(value)


def _shape(value):
    shape = _list("networkShape", value)
    if len(shape) > MAX_LAYERS:
        raise SettingError("networkShape", f"networkShape: at most {MAX_LAYERS} hidden layers "
                                           f"(the network size limit), got {len(shape)}")
    widths = []
    for w in shape:
        try:
            n = int(w)
        except (TypeError, ValueError):
            n = None
        if n is None or isinstance(w, bool) or n != float(w) or not 1 <= n <= MAX_NEURONS:
            raise SettingError("networkShape", f"networkShape: each hidden layer has 1 to "
                                               f"{MAX_NEURONS} neurons (the network size limit), "
                                               f"got {w!r}")
        widths.append(n)
    return widths


def _milestones(value):
    items = _list("lrMilestones", value)
    epochs = []
    for m in items:
        try:
            n = int(m)
        except (TypeError, ValueError):
            n = None
        if n is None or isinstance(m, bool) or n != float(m) or not 1 <= n <= 100000:
            raise SettingError("lrMilestones", f"lrMilestones: each milestone is an epoch in "
                                               f"[1, 100000], got {m!r}")
        epochs.append(n)
    if not 1 <= len(epochs) <= MAX_MILESTONES:
        raise SettingError("lrMilestones", f"lrMilestones: give 1 to {MAX_MILESTONES} epochs, "
                                           f"got {len(epochs)}")
    return sorted(epochs)


def validate(state, base=None):
    """The settings ``base`` (defaults if None) updated by ``state``; SettingError on a bad one.

    Unknown keys and the page-only booleans are ignored, so the page may send its whole state.
    """
    if not isinstance(state, dict):
        raise SettingError("state", f"state must be an object of settings, got {state!r}")
    out = dict(DEFAULTS if base is None else base)
    for key, value in state.items():
        if key in _NUMBERS:
            out[key] = _number(key, value)
        elif key in _CHOICES:
            if value not in _CHOICES[key][1]:
                raise SettingError(key, f"{key} must be one of {', '.join(_CHOICES[key][1])}, "
                                        f"got {value!r}")
            out[key] = value
        elif key == "dataset":
            every = dict.fromkeys(CLASSIFICATION_SETS + REGRESSION_SETS)
            if value not in every:
                raise SettingError(key, f"dataset must be one of {', '.join(every)}, "
                                        f"got {value!r}")
            out[key] = value
        elif key == "features":
            chosen = _list(key, value)
            unknown = [f for f in chosen if f not in FEATURES]
            if unknown or not chosen:
                raise SettingError(key, f"features must be a non-empty subset of "
                                        f"{', '.join(FEATURES)}, got {value!r}")
            out[key] = [f for f in FEATURES if f in chosen]  # the protocol's order
        elif key == "networkShape":
            out[key] = _shape(value)
        elif key == "lrMilestones":
            out[key] = _milestones(value)
        elif key == "activation":
            acts = _list(key, value)
            bad = [a for a in acts if a not in ACTIVATIONS]
            if bad or not acts:
                raise SettingError(key, f"activation must be one of {', '.join(ACTIVATIONS)} "
                                        f"(one, or one per hidden layer), got {value!r}")
            out[key] = acts
    _check_together(out)
    return out


def _check_together(s):
    """Settings that are fine alone but not together."""
    sets = CLASSIFICATION_SETS if s["problem"] == "classification" else REGRESSION_SETS
    if s["dataset"] not in sets:
        raise SettingError("dataset", f"dataset {s['dataset']!r} is not a {s['problem']} data "
                                      f"set; choose from {', '.join(sets)}")
    if s["problem"] == "regression" and s["loss"] != "mse":
        raise SettingError("loss", f"loss {s['loss']!r} is for classes; regression uses mse")
    if len(s["activation"]) not in (1, len(s["networkShape"])):
        raise SettingError("activation", f"activation: give one, or one per hidden layer "
                                         f"({len(s['networkShape'])}), got "
                                         f"{len(s['activation'])}")


def activations_per_layer(s):
    """One activation name per hidden layer (a single one applies to every layer)."""
    acts = s["activation"]
    return list(acts) * len(s["networkShape"]) if len(acts) == 1 else list(acts)
