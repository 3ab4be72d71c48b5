"""The playground's points: the named data sets, the input features, and a user's own CSV.

Points live in TF Playground's square, [-6, 6]². The data is shuffled once when it is made and
split in order (the first ``percTrainData`` percent train), as TF Playground does, so a seed
fixes both the points and the split.
"""

import io
import math

import numpy as np

from ..data import synthetic
from .settings import LIMITS, SettingError

EXTENT = 6.0

# dataset name -> (generator, scale): the generators' points, scaled into the square
_GENERATORS = {
    "circle": synthetic.circle, "xor": synthetic.xor, "gauss": synthetic.gauss,
    "spiral": synthetic.spiral, "spiral3": synthetic.three_spirals,
    "checkerboard": synthetic.checkerboard, "plane": synthetic.plane,
    "multigauss": synthetic.multi_gauss,
}


class Points:
    """Train and test points: ``x`` (n, 2) float64, ``y`` class indices (int) or targets."""

    def __init__(self, x_train, y_train, x_test, y_test, problem, classes):
        self.x_train, self.y_train = x_train, y_train
        self.x_test, self.y_test = x_test, y_test
        self.problem = problem
        self.classes = list(classes)  # class names; [] for regression

    @property
    def num_classes(self):
        return len(self.classes)


def _moons(n, noise, seed):
    """Two moons, centred and stretched to fill the square like the other sets."""
    X, y = synthetic.moons(n_samples=n, noise=noise / 2, seed=seed)
    return (X - np.array([0.5, 0.25], np.float32)) * 3.5, y


def make_points(settings):
    """The data set the settings name (not ``csv``: that comes from ``parse_csv``)."""
    name, n = settings["dataset"], settings["numSamples"]
    noise, seed = settings["noise"] / 100, settings["seed"]
    if name == "moons":
        X, y = _moons(n, noise, seed)
    else:
        X, y = _GENERATORS[name](n_samples=n, noise=noise, seed=seed)
    X = X.astype(np.float64)
    if settings["problem"] == "regression":
        y = y.reshape(-1).astype(np.float64)
        classes = []
    else:
        y = y.astype(np.int64)
        classes = [str(c) for c in range(int(y.max()) + 1)]
    return split(X, y, settings["percTrainData"], settings["problem"], classes)


def split(X, y, perc_train, problem, classes):
    """TF Playground's split: the first ``perc_train`` percent train, the rest test."""
    cut = max(1, min(len(X) - 1, int(math.floor(len(X) * perc_train / 100))))
    return Points(X[:cut], y[:cut], X[cut:], y[cut:], problem, classes)


# The seven input features of TF Playground, as functions of the two coordinates.
FEATURE_FUNCTIONS = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1sq": lambda a, b: a * a,
    "x2sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sinx1": lambda a, b: np.sin(a),
    "sinx2": lambda a, b: np.sin(b),
}


def features(points, names, out=None):
    """The network's inputs for 2-D ``points``: one column per feature name, in that order."""
    a, b = points[:, 0], points[:, 1]
    if out is None:
        out = np.empty((len(points), len(names)), np.float64)
    for j, name in enumerate(names):
        out[:, j] = FEATURE_FUNCTIONS[name](a, b)
    return out


def parse_csv(text, problem, perc_train, seed):
    """A user's CSV: rows of ``x1,x2,label`` (a class name or a number, for regression), and
    optionally a fourth column ``train``/``test`` (as ``to_csv`` writes) that fixes the split.

    A header row is allowed. Without a split column the rows are shuffled with ``seed`` and
    split like the named sets.
    Every limit (size, rows, columns, values, classes) is refused with a SettingError naming it.
    """
    if not isinstance(text, str):
        raise SettingError("csv", "uploadCsv: text must be the file's content as a string")
    size = len(text.encode("utf-8"))
    if size > LIMITS["csvBytes"]:
        raise SettingError("csvBytes", f"CSV too large: {size} bytes, the limit (csvBytes) is "
                                       f"{LIMITS['csvBytes']}")
    rows = [line.strip() for line in io.StringIO(text) if line.strip()]
    if rows and _is_header(rows[0]):
        rows = rows[1:]
    if len(rows) < 2:
        raise SettingError("csvRows", "CSV: need at least 2 data rows of x1,x2,label, "
                                      f"got {len(rows)}")
    if len(rows) > LIMITS["csvRows"]:
        raise SettingError("csvRows", f"CSV: {len(rows)} rows, the limit (csvRows) is "
                                      f"{LIMITS['csvRows']}")
    X = np.empty((len(rows), 2), np.float64)
    labels, parts = [], []
    width = None
    for i, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row.split(",")]
        if len(cells) not in (3, LIMITS["csvColumns"]) or width not in (None, len(cells)):
            raise SettingError("csvColumns", f"CSV row {i}: {len(cells)} columns; each row must "
                                             "be x1,x2,label or x1,x2,label,split (at most "
                                             f"{LIMITS['csvColumns']} columns, the same in "
                                             "every row)")
        width = len(cells)
        for j in range(2):
            X[i - 1, j] = _value(cells[j], i, j + 1)
        labels.append(cells[2])
        if width == 4:
            if cells[3] not in ("train", "test"):
                raise SettingError("csvColumns", f"CSV row {i}: the split column says train or "
                                                 f"test, got {cells[3]!r}")
            parts.append(cells[3] == "train")
    if problem == "regression":
        y = np.array([_value(v, i, 3) for i, v in enumerate(labels, start=1)], np.float64)
        classes = []
    else:
        classes = sorted(set(labels), key=_class_order)
        if len(classes) > LIMITS["classes"]:
            raise SettingError("classes", f"CSV: {len(classes)} classes, the limit (classes) is "
                                          f"{LIMITS['classes']}")
        if len(classes) < 2:
            raise SettingError("classes", "CSV: a classification needs at least 2 classes in "
                                          f"the label column, got {len(classes)}")
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[v] for v in labels], np.int64)
    if parts:
        train = np.array(parts)
        if train.all() or not train.any():
            raise SettingError("csvRows", "CSV: the split column must name at least one train "
                                          "and one test row")
        return Points(X[train], y[train], X[~train], y[~train], problem, classes)
    order = np.random.default_rng(seed).permutation(len(X))
    return split(X[order], y[order], perc_train, problem, classes)


def _is_header(row):
    cells = row.split(",")
    try:
        float(cells[0])
        float(cells[1] if len(cells) > 1 else "0")
    except ValueError:
        return True
    return False


def _class_order(name):
    """Numeric class names in numeric order ("2" before "10"), then the rest alphabetically."""
    try:
        return (0, float(name), "")
    except ValueError:
        return (1, 0.0, name)


def _value(cell, row, column):
    try:
        v = float(cell)
    except ValueError:
        raise SettingError("csvValues", f"CSV row {row}, column {column}: {cell!r} is not a "
                                        "number") from None
    if not math.isfinite(v) or abs(v) > LIMITS["csvMaxAbs"]:
        raise SettingError("csvValues", f"CSV row {row}, column {column}: {cell} is not a "
                                        f"finite value within ±{LIMITS['csvMaxAbs']:g} "
                                        "(csvValues)")
    return v


def to_csv(points):
    """The data as CSV text: x1,x2,label,split (a class name, or the target for regression)."""
    lines = ["x1,x2,label,split"]
    for X, y, part in ((points.x_train, points.y_train, "train"),
                       (points.x_test, points.y_test, "test")):
        for (a, b), t in zip(X, y):
            label = points.classes[int(t)] if points.classes else repr(float(t))
            lines.append(f"{float(a)!r},{float(b)!r},{label},{part}")
    return "\n".join(lines) + "\n"
