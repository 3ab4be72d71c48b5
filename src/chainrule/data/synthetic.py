"""Synthetic 2-D data sets for learning: TensorFlow Playground's sets, plus two moons, three
spirals and a checkerboard.

Every function takes ``n_samples``, ``noise`` and ``seed`` and returns ``(X, y)`` with ``X`` a
float32 array of shape (n_samples, 2). Classification sets have int64 labels in {0, 1} ({0, 1, 2}
for ``three_spirals``); regression
sets (``plane``, ``multi_gauss``) have float32 targets of shape (n_samples, 1). Rows are shuffled,
so the classes are interleaved and any prefix is a fair sample.

``noise`` follows the Playground (whose slider runs from 0 to 0.5): for ``xor``, ``circle``,
``plane`` and ``multi_gauss`` the points stay where they are and the label is computed at a
displaced point, so noise blurs the boundary (``checkerboard`` too); for ``spiral`` and
``three_spirals`` the points move; for ``gauss`` the
blobs' variance grows; for ``moons`` it is the standard deviation of Gaussian jitter
(scikit-learn's convention). ``noise=0`` gives data that the intended boundary separates exactly.
"""

import math
import numbers

import numpy as np

_CLASSIFY_SAMPLES = 500  # the Playground's defaults
_REGRESS_SAMPLES = 1200


def _setup(n_samples, noise, seed, who):
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) \
            or n_samples < 2:
        raise ValueError(f"{who}: n_samples must be an integer >= 2, got {n_samples!r}")
    if not isinstance(noise, numbers.Real) or not 0 <= noise < math.inf:
        raise ValueError(f"{who}: noise must be a finite number >= 0, got {noise!r}")
    return int(n_samples), float(noise), np.random.default_rng(seed)


def _finish(X, y, rng):
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order]


def _halves(n):
    """Class sizes: n split as evenly as possible (the first class takes the odd sample)."""
    return n - n // 2, n // 2


def xor(n_samples=_CLASSIFY_SAMPLES, noise=0.0, seed=None):
    """Points in the four quadrants of [-5.3, 5.3]²; label 1 where x and y have opposite signs.

    That is the XOR of (x > 0) and (y > 0), as ``logic_gate('xor')``. Points keep 0.3 away from
    the axes so the noise-free classes have a margin.
    """
    n, noise, rng = _setup(n_samples, noise, seed, "xor")
    X = rng.uniform(-5, 5, size=(n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    shifted = X + rng.uniform(-5, 5, size=(n, 2)) * noise
    y = (shifted[:, 0] * shifted[:, 1] < 0).astype(np.int64)
    return _finish(X, y, rng)


def _polar(r, angle):
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def circle(n_samples=_CLASSIFY_SAMPLES, noise=0.0, seed=None):
    """A disc of radius 2.5 (label 1) inside a ring from 3.5 to 5 (label 0) around the origin."""
    n, noise, rng = _setup(n_samples, noise, seed, "circle")
    n_in, n_out = _halves(n)
    r = np.concatenate([rng.uniform(0, 2.5, n_in), rng.uniform(3.5, 5, n_out)])
    X = _polar(r, rng.uniform(0, 2 * np.pi, n))
    shifted = X + rng.uniform(-5, 5, size=(n, 2)) * noise
    y = (np.hypot(shifted[:, 0], shifted[:, 1]) < 2.5).astype(np.int64)
    return _finish(X, y, rng)


def gauss(n_samples=_CLASSIFY_SAMPLES, noise=0.0, seed=None):
    """Two Gaussian blobs: label 1 around (2, 2), label 0 around (-2, -2).

    The variance of each coordinate is 0.5 + 7·noise (0.5 at noise 0, 4 at the Playground's 0.5),
    so even noise-free blobs overlap slightly at their tails.
    """
    n, noise, rng = _setup(n_samples, noise, seed, "gauss")
    n_pos, n_neg = _halves(n)
    std = np.sqrt(0.5 + 7 * noise)
    centres = np.concatenate([np.full((n_pos, 2), 2.0), np.full((n_neg, 2), -2.0)])
    X = centres + rng.normal(0.0, std, size=(n, 2))
    y = np.concatenate([np.ones(n_pos), np.zeros(n_neg)]).astype(np.int64)
    return _finish(X, y, rng)


def spiral(n_samples=_CLASSIFY_SAMPLES, noise=0.0, seed=None):
    """Two interleaved spirals, each turning 1.75 times while its radius grows from 0 to 5.

    Label 1 starts at angle 0, label 0 is the same spiral turned by π. Noise moves each
    coordinate by up to ±noise.
    """
    n, noise, rng = _setup(n_samples, noise, seed, "spiral")
    parts = []
    for count, turn in zip(_halves(n), (0.0, np.pi)):
        t = np.arange(count) / count
        parts.append(_polar(5 * t, 1.75 * 2 * np.pi * t + turn))
    X = np.concatenate(parts) + rng.uniform(-1, 1, size=(n, 2)) * noise
    y = np.concatenate([np.ones(_halves(n)[0]), np.zeros(_halves(n)[1])]).astype(np.int64)
    return _finish(X, y, rng)


def three_spirals(n_samples=_CLASSIFY_SAMPLES, noise=0.0, seed=None):
    """Three interleaved arms like ``spiral``'s, turned by a third of a circle each; labels 0, 1, 2.

    A set that one output cannot separate: it needs one output per class (softmax).
    """
    n, noise, rng = _setup(n_samples, noise, seed, "three_spirals")
    counts = [n // 3 + (k < n % 3) for k in range(3)]
    parts = []
    for k, count in enumerate(counts):
        t = np.arange(count) / count
        parts.append(_polar(5 * t, 1.75 * 2 * np.pi * t + 2 * np.pi * k / 3))
    X = np.concatenate(parts) + rng.uniform(-1, 1, size=(n, 2)) * noise
    y = np.repeat(np.arange(3), counts).astype(np.int64)
    return _finish(X, y, rng)


def checkerboard(n_samples=_CLASSIFY_SAMPLES, noise=0.0, seed=None):
    """Points in [-6, 6]² on a 4×4 board of 3×3 squares; label 1 on the squares of one colour.

    Sixteen regions with straight edges: more hidden units than xor's four quadrants need.
    """
    n, noise, rng = _setup(n_samples, noise, seed, "checkerboard")
    X = rng.uniform(-6, 6, size=(n, 2))
    shifted = X + rng.uniform(-6, 6, size=(n, 2)) * noise
    squares = np.floor(shifted / 3).astype(np.int64)
    y = ((squares[:, 0] + squares[:, 1]) % 2).astype(np.int64)
    return _finish(X, y, rng)


def moons(n_samples=_CLASSIFY_SAMPLES, noise=0.0, seed=None):
    """Two interleaving half circles of radius 1: label 0 the upper one centred at (0, 0), label 1
    the lower one centred at (1, 0.5). Noise is the standard deviation of Gaussian jitter.
    """
    n, noise, rng = _setup(n_samples, noise, seed, "moons")
    n_up, n_down = _halves(n)
    t_up, t_down = rng.uniform(0, np.pi, n_up), rng.uniform(0, np.pi, n_down)
    upper = np.stack([np.cos(t_up), np.sin(t_up)], axis=1)
    lower = np.stack([1 - np.cos(t_down), 0.5 - np.sin(t_down)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0.0, 1.0, size=(n, 2)) * noise
    y = np.concatenate([np.zeros(n_up), np.ones(n_down)]).astype(np.int64)
    return _finish(X, y, rng)


def plane(n_samples=_REGRESS_SAMPLES, noise=0.0, seed=None):
    """Points in [-6, 6]² with target (x + y) / 10: a tilted plane, from -1.2 to 1.2."""
    n, noise, rng = _setup(n_samples, noise, seed, "plane")
    X = rng.uniform(-6, 6, size=(n, 2))
    shifted = X + rng.uniform(-6, 6, size=(n, 2)) * noise
    y = (shifted.sum(axis=1, keepdims=True) / 10).astype(np.float32)
    return _finish(X, y, rng)


# Six bumps on a 3×2 grid with alternating signs: (centre x, centre y, sign).
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                   [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


def multi_gauss(n_samples=_REGRESS_SAMPLES, noise=0.0, seed=None):
    """Points in [-6, 6]² over six bumps of alternating sign; the target is the strongest bump.

    Each bump is ±max(0, 1 - d/2) at distance d from its centre, so the target lies in [-1, 1]
    and is 0 more than 2 away from every centre.
    """
    n, noise, rng = _setup(n_samples, noise, seed, "multi_gauss")
    X = rng.uniform(-6, 6, size=(n, 2))
    shifted = X + rng.uniform(-6, 6, size=(n, 2)) * noise
    dist = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])
    heights = _BUMPS[:, 2] * np.clip(1 - dist / 2, 0, 1)
    strongest = np.abs(heights).argmax(axis=1)
    y = heights[np.arange(n), strongest][:, None] + 0.0  # + 0.0 turns -0.0 into 0.0
    return _finish(X, y.astype(np.float32), rng)
