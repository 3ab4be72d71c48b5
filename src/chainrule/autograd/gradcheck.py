"""The gradient check (CS231n): compare backprop's gradient with a finite difference.

For each input element x_i the numerical gradient is the centred difference
(f(x + ε·e_i) − f(x − ε·e_i)) / 2ε, computed in float64. If ``fn`` returns more than a scalar, the
check uses L = Σ f(x)·v with a fixed random v, which tests the whole vector-Jacobian product.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import GradcheckError
from .grad_mode import no_grad


@dataclass
class GradcheckResult:
    """The worst element found: which input, where, both gradients and the error."""

    passed: bool
    input_index: int = -1
    element: tuple = ()
    analytic: float = 0.0
    numeric: float = 0.0
    abs_error: float = 0.0
    rel_error: float = 0.0

    def __bool__(self):
        return self.passed

    def __str__(self):
        verdict = "passed" if self.passed else "FAILED"
        if self.input_index < 0:
            return f"gradcheck {verdict}: no input requires grad"
        return (f"gradcheck {verdict}: worst element is input {self.input_index} at "
                f"{self.element}: analytic {self.analytic:.10g}, numeric {self.numeric:.10g}, "
                f"abs error {self.abs_error:.3g}, rel error {self.rel_error:.3g}")


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check ``fn``'s gradients w.r.t. every input that requires grad. Returns a truthy
    ``GradcheckResult``; raises ``GradcheckError`` on failure unless ``raise_exception=False``.
    ``seed`` draws the weights v of a non-scalar output."""
    from ..tensor import Tensor

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    # float64 copies: the check itself must not be limited by float32 round-off
    xs = tuple(
        Tensor(t.array.astype(np.float64), requires_grad=t.requires_grad)
        if isinstance(t, Tensor) and t.array.dtype.kind == "f" else t
        for t in inputs
    )
    out = fn(*xs)
    # a scalar is checked as it is, so the numbers reported are df/dx itself
    if out.array.size == 1:
        v = np.ones(out.shape)
    else:
        v = np.random.default_rng(seed).standard_normal(out.shape)

    def scalar_loss(*args):
        return float((fn(*args).array * v).sum())

    (out * Tensor(v)).sum().backward()
    worst = GradcheckResult(passed=True)
    worst_excess = -np.inf
    for k, x in enumerate(xs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            continue
        analytic = x.grad.array if x.grad is not None else np.zeros_like(x.array)
        numeric = np.zeros_like(x.array)
        flat = x.array.reshape(-1)
        with no_grad():
            for i in range(flat.size):
                saved = flat[i]
                flat[i] = saved + eps
                plus = scalar_loss(*xs)
                flat[i] = saved - eps
                minus = scalar_loss(*xs)
                flat[i] = saved
                numeric.reshape(-1)[i] = (plus - minus) / (2 * eps)
        err = np.abs(analytic - numeric)
        excess = err - (atol + rtol * np.abs(numeric))
        if excess.size == 0:
            continue
        i = int(np.argmax(excess))
        if excess.reshape(-1)[i] > worst_excess:
            worst_excess = excess.reshape(-1)[i]
            a, n = analytic.reshape(-1)[i], numeric.reshape(-1)[i]
            worst = GradcheckResult(
                passed=bool(worst_excess <= 0),
                input_index=k,
                element=tuple(int(j) for j in np.unravel_index(i, x.shape)),
                analytic=float(a), numeric=float(n), abs_error=float(abs(a - n)),
                rel_error=float(abs(a - n) / max(abs(a), abs(n), 1e-300)),
            )
    if not worst.passed and raise_exception:
        raise GradcheckError(str(worst))
    return worst
