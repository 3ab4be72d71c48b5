"""Learning rules from before backpropagation: Hebb's rule, the delta rule, the perceptron, Adaline.

They work on plain NumPy arrays, one neuron, no graph: each update is a formula a learner can
check by hand. Their limit is the point of the story: one neuron draws one straight line, so no
rule can teach it XOR; that needs a hidden layer, and a hidden layer needs backpropagation.

Inputs ``x`` have shape (n_inputs,) for one pattern or (n_patterns, n_inputs) for a set. The bias
is a weight on an extra input that is always 1.
"""

import numpy as np

__all__ = ["Adaline", "Perceptron", "delta_rule", "hebb_rule", "train_hebb"]


def _as_2d(x, who):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"{who}: inputs must have shape (n_inputs,) or (n_patterns, n_inputs), "
                         f"got {x.shape}")
    return x


def _check_targets(x, t, who):
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"{who}: {x.shape[0]} input patterns but {t.shape[0]} targets")
    return t


def hebb_rule(y_i, y_j, gamma=1.0):
    """Hebb's rule: Δw_ij = γ·y_i·y_j — a connection grows when both ends are active together.

    ``y_i`` is the activity of the sending neuron(s), ``y_j`` of the receiving one(s). With vectors
    the result is the outer product, Δw[i, j] = γ·y_i[i]·y_j[j] (of shape (len(y_i), len(y_j)),
    even when a side has one neuron); with a number on one side, a vector like the other side.
    """
    y_i = np.asarray(y_i, dtype=np.float64)
    y_j = np.asarray(y_j, dtype=np.float64)
    if y_i.ndim > 1 or y_j.ndim > 1:
        raise ValueError(f"hebb_rule: y_i and y_j must be numbers or 1-d activity vectors, got "
                         f"shapes {y_i.shape} and {y_j.shape}")
    if y_i.ndim == 0 or y_j.ndim == 0:
        return gamma * y_i * y_j
    return gamma * np.outer(y_i, y_j)


def delta_rule(x, t, y, eta=0.1):
    """The delta rule (Widrow–Hoff): Δw_i = η·(t − y)·x_i.

    The weight moves in proportion to the error (t − y) and to the input that carried it: an
    input that was 0 is not to blame and is not changed. It is gradient descent on ½(t − y)² for
    a linear neuron y = w·x.
    """
    x = np.asarray(x, dtype=np.float64)
    return eta * (float(t) - float(y)) * x


def _with_bias(x):
    return np.hstack([x, np.ones((x.shape[0], 1))])


def train_hebb(x, t, gamma=1.0, epochs=1):
    """Supervised Hebbian learning of one neuron: clamp its output to the target t and apply
    Δw_i = γ·x_i·t for every pattern (bias: Δb = γ·t). Works with bipolar (±1) patterns.

    Returns (weights, bias). Nothing here looks at the error, so the weights keep growing, and
    when the patterns disagree (XOR) their contributions cancel.
    """
    x = _as_2d(x, "train_hebb")
    t = _check_targets(x, t, "train_hebb")
    xb = _with_bias(x)
    w = np.zeros(xb.shape[1])
    for _ in range(epochs):
        for xi, ti in zip(xb, t):
            w += hebb_rule(xi, ti, gamma)
    return w[:-1], w[-1]


class Perceptron:
    """Rosenblatt's perceptron: y = step(w·x + b), 1 if w·x + b > 0 else 0.

    Learning rule, pattern by pattern: Δw = η·(t − y)·x and Δb = η·(t − y). Only mistakes change
    the weights. If a straight line separates the classes it is found in finitely many steps
    (the perceptron convergence theorem); XOR has no such line, so it never settles.
    """

    def __init__(self, n_inputs, eta=0.1, seed=None):
        rng = np.random.default_rng(seed)
        self.eta = eta
        self.weights = rng.normal(0.0, 0.1, n_inputs) if seed is not None else np.zeros(n_inputs)
        self.bias = 0.0

    def net(self, x):
        """The weighted sum a = w·x + b."""
        x = _as_2d(x, "Perceptron")
        if x.shape[1] != self.weights.size:
            raise ValueError(f"Perceptron: expected {self.weights.size} inputs per pattern, "
                             f"got {x.shape[1]}")
        return x @ self.weights + self.bias

    def predict(self, x):
        return (self.net(x) > 0).astype(np.float64)

    def fit(self, x, t, epochs=20):
        """Train; returns the number of mistakes in each epoch (stops after one with none)."""
        x = _as_2d(x, "Perceptron.fit")
        t = _check_targets(x, t, "Perceptron.fit")
        mistakes = []
        for _ in range(epochs):
            wrong = 0
            for xi, ti in zip(x, t):
                yi = self.predict(xi)[0]
                if yi != ti:
                    wrong += 1
                    self.weights += delta_rule(xi, ti, yi, self.eta)
                    self.bias += self.eta * (ti - yi)
            mistakes.append(wrong)
            if wrong == 0:
                break
        return mistakes

    def accuracy(self, x, t):
        return float(np.mean(self.predict(x) == np.asarray(t).reshape(-1)))


class Adaline:
    """Adaline (Widrow and Hoff): a linear neuron y = w·x + b trained with the delta rule.

    Δw = η·(t − y)·x on the *linear* output, i.e. gradient descent on ½(t − y)², so it learns
    even from patterns it already classifies right. For classes it thresholds: 1 if y > θ.
    """

    def __init__(self, n_inputs, eta=0.05, threshold=0.5):
        self.eta = eta
        self.threshold = threshold
        self.weights = np.zeros(n_inputs)
        self.bias = 0.0

    def output(self, x):
        """The linear output y = w·x + b."""
        x = _as_2d(x, "Adaline")
        if x.shape[1] != self.weights.size:
            raise ValueError(f"Adaline: expected {self.weights.size} inputs per pattern, "
                             f"got {x.shape[1]}")
        return x @ self.weights + self.bias

    def predict(self, x):
        return (self.output(x) > self.threshold).astype(np.float64)

    def fit(self, x, t, epochs=50):
        """Train pattern by pattern; returns the mean squared error ½(t − y)² of each epoch."""
        x = _as_2d(x, "Adaline.fit")
        t = _check_targets(x, t, "Adaline.fit")
        losses = []
        for _ in range(epochs):
            for xi, ti in zip(x, t):
                yi = self.output(xi)[0]
                self.weights += delta_rule(xi, ti, yi, self.eta)
                self.bias += self.eta * (ti - yi)
            losses.append(float(np.mean(0.5 * (t - self.output(x)) ** 2)))
        return losses

    def accuracy(self, x, t):
        return float(np.mean(self.predict(x) == np.asarray(t).reshape(-1)))
