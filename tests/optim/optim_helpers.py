"""Run a chainrule optimizer and its torch.optim twin side by side on the same gradients.

Both start from the same float64 parameters. At every step the gradient of a fixed quadratic
bowl, ½·Σ h·(θ − θ*)², plus seeded noise is computed in NumPy from torch's current parameters and
handed to *both* sides as ``.grad``, so what is left of any difference is the update equations.
"""

import numpy as np
import torch
from device_double import active

from chainrule import nn

SHAPES = [(3, 4), (4,), (2, 3)]
STEPS = 60
RTOL = 1e-8


def assert_rel_close(actual, expected, what, rtol=RTOL):
    """Elementwise relative error <= rtol, with elements near zero held to rtol × the array's
    scale (a value crossing zero cannot keep a small relative error)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, what
    scale = max(np.abs(expected).max(initial=0.0), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


class Bowl:
    """Fixed curvatures and minimum per parameter, and a seeded noise stream."""

    def __init__(self, shapes=SHAPES, seed=0):
        rng = np.random.default_rng(seed)
        self.start = [rng.normal(size=s) for s in shapes]
        self.curvature = [rng.uniform(0.5, 2.0, size=s) for s in shapes]
        self.minimum = [rng.normal(size=s) for s in shapes]
        self.rng = np.random.default_rng(seed + 1)

    def grads(self, values):
        return [h * (v - m) + 0.1 * self.rng.normal(size=v.shape)
                for v, h, m in zip(values, self.curvature, self.minimum)]


def make_params(bowl, dtype=np.float64):
    ours = [nn.Parameter(active.put(v.astype(dtype))) for v in bowl.start]
    theirs = [torch.tensor(v.astype(dtype), requires_grad=True) for v in bowl.start]
    return ours, theirs


def param_groups(params, groups):
    """``groups`` is None (one group) or a list of (indices, hyperparameters) pairs."""
    if groups is None:
        return list(params)
    return [{"params": [params[i] for i in idx], **extra} for idx, extra in groups]


def feed(ours, theirs, grads, skip=()):
    for i, (p, q, g) in enumerate(zip(ours, theirs, grads)):
        if i in skip:
            p.grad, q.grad = None, None
        else:
            p.grad = active.put(g.astype(p.dtype))
            q.grad = torch.from_numpy(g.astype(p.dtype))


def compare_params(ours, theirs, what, rtol=RTOL):
    for i, (p, q) in enumerate(zip(ours, theirs)):
        active.check_on_device(p, f"{what}, param {i}")
        assert_rel_close(active.host(p), q.detach().numpy(), f"{what}, param {i}", rtol)


def run_side_by_side(ours_cls, torch_cls, kwargs, *, torch_kwargs=None, groups=None,
                     steps=STEPS, skip_every=None, dtype=np.float64, rtol=RTOL, seed=0):
    """Step both optimizers ``steps`` times, asserting the parameters agree after every step:
    once with our ``foreach=False`` (the textbook per-parameter loop) and once as ``kwargs`` say
    (left at None, these small parameters take the batched path).

    ``skip_every=k`` leaves parameter 1 without a gradient on every k-th step.
    Returns (our params, torch params, our optimizer, torch optimizer, bowl) of the second run.
    """
    if "foreach" not in kwargs:
        _run_side_by_side(ours_cls, torch_cls, {**kwargs, "foreach": False},
                          kwargs if torch_kwargs is None else torch_kwargs, groups, steps,
                          skip_every, dtype, rtol, seed)
    return _run_side_by_side(ours_cls, torch_cls, kwargs, torch_kwargs, groups, steps,
                             skip_every, dtype, rtol, seed)


def _run_side_by_side(ours_cls, torch_cls, kwargs, torch_kwargs, groups, steps, skip_every,
                      dtype, rtol, seed):
    bowl = Bowl(seed=seed)
    ours, theirs = make_params(bowl, dtype)
    opt = ours_cls(param_groups(ours, groups), **kwargs)
    topt = torch_cls(param_groups(theirs, groups), **(kwargs if torch_kwargs is None
                                                         else torch_kwargs))
    continue_side_by_side(ours, theirs, opt, topt, bowl, steps, skip_every, rtol,
                          f"{ours_cls.__name__}({kwargs}, groups={groups})")
    return ours, theirs, opt, topt, bowl


def continue_side_by_side(ours, theirs, opt, topt, bowl, steps, skip_every=None, rtol=RTOL,
                          what=""):
    for step in range(1, steps + 1):
        skip = (1,) if skip_every and step % skip_every == 0 else ()
        feed(ours, theirs, bowl.grads([q.detach().numpy() for q in theirs]), skip)
        opt.step()
        topt.step()
        compare_params(ours, theirs, f"{what} step {step}", rtol)
