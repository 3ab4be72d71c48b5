"""The compiled step gives the eager step's weights: every optimizer, each workload, both
backends, a last smaller batch, and against torch as the eager path is tested."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.compiled import fused

needs_numba = pytest.mark.skipif(not fused.available(), reason="numba is not installed")
BACKENDS = ["numpy", pytest.param("numba", marks=needs_numba)]

# the benchmark's workloads (benchmarks/compiled_step.py), at a smaller batch to stay fast
WORKLOADS = {
    "W1": ((784, 256, 128, 10), nn.ReLU, nn.CrossEntropyLoss, 16),
    "W2": ((2, 8, 8, 1), nn.Tanh, nn.BCEWithLogitsLoss, 10),
    "W3": ((64,) * 21 + (1,), nn.Sigmoid, nn.MSELoss, 16),
}
OPTIMIZERS = {
    "SGD": (optim.SGD, dict(lr=0.05)),
    "SGD momentum nesterov wd": (optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True,
                                                 weight_decay=1e-3)),
    "Momentum dampening": (optim.Momentum, dict(lr=0.01, dampening=0.1)),
    "Adam": (optim.Adam, dict(lr=1e-3)),
    "Adam amsgrad wd": (optim.Adam, dict(lr=1e-3, amsgrad=True, weight_decay=1e-2)),
    "AdamW": (optim.AdamW, dict(lr=1e-3)),
    "Adagrad": (optim.Adagrad, dict(lr=1e-2)),
    "RMSprop centered momentum": (optim.RMSprop, dict(lr=1e-3, momentum=0.5, centered=True)),
    "Adadelta": (optim.Adadelta, dict()),
    "Adamax": (optim.Adamax, dict()),
    "NAdam": (optim.NAdam, dict()),
    "RAdam": (optim.RAdam, dict()),
    "Rprop": (optim.Rprop, dict(lr=1e-3)),
}
STEPS = 100


def build(sizes, activation, seed=0):
    cr.manual_seed(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def batches(sizes, loss_cls, batch, n, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rows = batch if i < n - 1 else max(1, batch // 2 + 1)  # a last, smaller batch
        x = rng.standard_normal((rows, sizes[0])).astype(np.float32)
        if loss_cls is nn.CrossEntropyLoss:
            y = rng.integers(0, sizes[-1], rows)
        elif loss_cls is nn.BCEWithLogitsLoss:
            y = rng.integers(0, 2, (rows, sizes[-1])).astype(np.float32)
        else:
            y = rng.standard_normal((rows, sizes[-1])).astype(np.float32)
        out.append((cr.tensor(x), cr.tensor(y)))
    return out


def train_both(workload, opt_name, backend, steps=STEPS):
    sizes, activation, loss_cls, batch = WORKLOADS[workload]
    opt_cls, kwargs = OPTIMIZERS[opt_name]
    eager_model, compiled_model = build(sizes, activation), build(sizes, activation)
    eager_opt = opt_cls(eager_model.parameters(), **kwargs)
    compiled_opt = opt_cls(compiled_model.parameters(), **kwargs)
    loss_fn = loss_cls()
    step = cr.compile(compiled_model, loss_fn, compiled_opt, backend=backend)
    data = batches(sizes, loss_cls, batch, 10)
    for i in range(steps):
        x, y = data[i % len(data)]
        eager_opt.zero_grad()
        eager_loss = loss_fn(eager_model(x), y)
        eager_loss.backward()
        eager_opt.step()
        compiled_loss = step(x, y)
        assert not compiled_loss.requires_grad
        if one_kernel(step):
            assert compiled_loss.item() == pytest.approx(eager_loss.item(), rel=LOSS_RTOL,
                                                        abs=LOSS_ATOL), i
        else:
            assert compiled_loss.item() == eager_loss.item(), f"loss at step {i}"
    return eager_model, compiled_model, eager_opt, compiled_opt, step


def one_kernel(step):
    """Whether the step ran as one generated numba function (whole_step.py) at least once."""
    return step.kernel_steps > 0


# The one-kernel step rounds differently from eager (kernel_ops.py: float32 exp and tanh rounded
# once from float64, bias gradients and losses summed in another order): a unit or two in the
# last place per op, carried through 100 steps of training.
LOSS_RTOL, LOSS_ATOL = 1e-5, 1e-6  # a loss near 0 (log p, p near 1) keeps float32's absolute error
WEIGHT_RTOL, WEIGHT_ATOL = 1e-4, 1e-6


def assert_same_weights(eager_model, compiled_model, exact=True):
    """Bit for bit (``exact``): the replay runs the eager ops' NumPy calls, and the numba loops
    do the same float operations in the same order (tests/compiled/test_compiled_kernels.py);
    else to float32 rounding compounded over the steps (the one-kernel step)."""
    for (name, p), q in zip(eager_model.named_parameters(), compiled_model.parameters()):
        if exact:
            np.testing.assert_array_equal(q.array, p.array, err_msg=name)
        else:
            np.testing.assert_allclose(q.array, p.array, rtol=WEIGHT_RTOL, atol=WEIGHT_ATOL,
                                       err_msg=name)


# W1's 235k parameters make each of its runs take seconds: the default run takes the optimizers
# with a fused update (Adam's and SGD's kin) there, `pytest -m long` every other one too
W1_DEFAULT = ("SGD momentum nesterov wd", "Adam", "Adam amsgrad wd", "AdamW")
CASES = [pytest.param(w, o, marks=[pytest.mark.long] if w == "W1" and o not in W1_DEFAULT
                      else []) for w in WORKLOADS for o in OPTIMIZERS]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("workload", "opt_name"), CASES)
def test_weights_after_100_steps_equal_eager(workload, opt_name, backend):
    eager, compiled, _, _, step = train_both(workload, opt_name, backend)
    fused_loop = OPTIMIZERS[opt_name][0].update in fused.UPDATES
    assert one_kernel(step) == (backend == "numba" and fused_loop)  # else the replay
    assert_same_weights(eager, compiled, exact=not one_kernel(step))
    assert step.captures == 2  # the full batch and the last, smaller one: once each


@pytest.mark.parametrize("backend", BACKENDS)
def test_optimizer_state_and_grads_equal_eager(backend):
    eager, compiled, eager_opt, compiled_opt, step = train_both("W2", "Adam amsgrad wd",
                                                                backend, steps=12)
    exact = not one_kernel(step)
    assert exact == (backend == "numpy")
    ours, theirs = compiled_opt.state_dict(), eager_opt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    for i, st in theirs["state"].items():
        assert ours["state"][i]["step"] == st["step"] == 12
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert_same_array(ours["state"][i][key], st[key], exact)
    for p, q in zip(eager.parameters(), compiled.parameters()):
        assert q.grad.array is not p.grad.array
        assert_same_array(q.grad.array, p.grad.array, exact)


def assert_same_array(got, expected, exact):
    """Bit for bit, or to float32 rounding relative to the array's largest value."""
    if exact:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=WEIGHT_RTOL,
                                   atol=WEIGHT_RTOL * np.abs(expected).max())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_scheduler_changes_the_compiled_steps_learning_rate(backend):
    sizes, activation, loss_cls, batch = WORKLOADS["W2"]
    models = [build(sizes, activation), build(sizes, activation)]
    opts = [optim.Adam(m.parameters(), lr=0.01) for m in models]
    scheds = [optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.1) for o in opts]
    loss_fn = loss_cls()
    step = cr.compile(models[1], loss_fn, opts[1], backend=backend)
    for i, (x, y) in enumerate(batches(sizes, loss_cls, batch, 9)):
        opts[0].zero_grad()
        loss_fn(models[0](x), y).backward()
        opts[0].step()
        step(x, y)
        if i % 2:
            for s in scheds:
                s.step()
    assert opts[1].param_groups[0]["lr"] == pytest.approx(1e-3)  # 4 scheduler steps, one decay
    assert one_kernel(step) == (backend == "numba")
    assert_same_weights(models[0], models[1], exact=not one_kernel(step))


def test_a_new_shape_is_captured_once_and_kept():
    sizes, activation, loss_cls, _ = WORKLOADS["W2"]
    model = build(sizes, activation)
    step = cr.compile(model, loss_cls(), optim.SGD(model.parameters(), lr=0.1))
    data = batches(sizes, loss_cls, 8, 3)  # 8, 8, then 5 rows
    for _ in range(3):  # three epochs
        for x, y in data:
            step(x, y)
    assert step.captures == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_compiled_step_trains_like_torch(backend):
    """As tests/optim/test_adam_trains_mlp_like_torch.py checks eager training, in float64."""
    rng = np.random.default_rng(0)
    shapes = [(16, 5), (16,), (3, 16), (3,)]
    start = [rng.normal(scale=0.5, size=s) for s in shapes]
    data = [(rng.normal(size=(8, 5)), rng.integers(0, 3, size=8)) for _ in range(20)]

    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    for p, w in zip(model.parameters(), start):
        p.array[...] = w
    step = cr.compile(model, nn.CrossEntropyLoss(),
                      optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3), backend=backend)
    torch_model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(),
                                      torch.nn.Linear(16, 3)).double()
    with torch.no_grad():
        for q, w in zip(torch_model.parameters(), start):
            q.copy_(torch.from_numpy(w))
    torch_opt = torch.optim.Adam(torch_model.parameters(), lr=0.01, weight_decay=1e-3)
    for i, (x, y) in enumerate(data):
        loss = step(cr.tensor(x), cr.tensor(y))
        torch_opt.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(x)),
                                                       torch.from_numpy(y))
        torch_loss.backward()
        torch_opt.step()
        assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-9), f"step {i}"
    for p, q in zip(model.parameters(), torch_model.parameters()):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-8, atol=1e-10)
    assert not np.allclose(next(iter(model.parameters())).array, start[0])


def test_auto_backend_is_the_numpy_replay_without_numba(monkeypatch):
    monkeypatch.setattr(fused, "available", lambda: False)
    model = build((2, 3, 1), nn.Tanh)
    step = cr.compile(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1))
    assert step.backend == "numpy"
    with pytest.raises(ImportError, match=r"chainrule\[fast\]"):
        cr.compile(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), backend="numba")


def test_bad_arguments_are_named():
    model = build((2, 3, 1), nn.Tanh)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="backend must be one of"):
        cr.compile(model, nn.MSELoss(), opt, backend="xla")
    with pytest.raises(TypeError, match="optimizer must be a chainrule Optimizer"):
        cr.compile(model, nn.MSELoss(), torch.optim.SGD([torch.zeros(1)], lr=0.1))
    step = cr.compile(model, nn.MSELoss(), opt)
    with pytest.raises(TypeError, match="x as a Tensor or a NumPy array, got list"):
        step([[1.0, 2.0]], np.zeros((1, 1), np.float32))


def test_a_shape_error_names_the_op():
    model = build((2, 3, 1), nn.Tanh)
    step = cr.compile(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(cr.ShapeError, match="linear"):
        step(np.zeros((4, 5), np.float32), np.zeros((4, 1), np.float32))


def test_the_step_takes_numpy_arrays_and_returns_the_loss():
    model = build((2, 3, 1), nn.Tanh)
    x = np.ones((4, 2), np.float32)
    y = np.zeros((4, 1), np.float32)
    expected = nn.MSELoss()(model(cr.tensor(x)), cr.tensor(y)).item()
    step = cr.compile(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1))
    assert step(x, y).item() == pytest.approx(expected)
    assert math.isfinite(step(x, y).item())


def twin_runs(make_model, make_opt, steps, between=None, backend="numpy"):
    """An eager and a compiled run of the same model; ``between(i, model, opt)`` may change
    either after step i. Returns both models and whether the compiled step ran as one kernel."""
    runs = []
    for compiled in (False, True):
        model = make_model()
        opt = make_opt(model)
        step = cr.compile(model, nn.MSELoss(), opt, backend=backend) if compiled else None
        rng = np.random.default_rng(3)
        for i in range(steps):
            x = cr.tensor(rng.standard_normal((6, 3)).astype(np.float32))
            y = cr.tensor(rng.standard_normal((6, 1)).astype(np.float32))
            if step is None:
                opt.zero_grad()
                nn.MSELoss()(model(x), y).backward()
                opt.step()
            else:
                step(x, y)
            if between is not None:
                between(i, model, opt)
        runs.append(model)
    return runs[0], runs[1], one_kernel(step)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_group_of_one_parameter_steps_on_its_own_path(backend):
    eager, compiled, kernel = twin_runs(
        lambda: build((3, 1), nn.Tanh),
        lambda m: optim.Adam([{"params": [m[0].weight]}, {"params": [m[0].bias], "lr": 0.1}]),
        steps=8, backend=backend)
    assert not kernel  # two groups: the replay (whole_step.py takes one)
    assert_same_weights(eager, compiled)


@pytest.mark.parametrize("backend", BACKENDS)
def test_parameters_given_new_arrays_and_a_loaded_optimizer_state_are_followed(backend):
    saved = {}

    def between(i, model, opt):
        if i == 2:  # a new array for a parameter, as p.data = ... in torch
            model[0].weight.array = model[0].weight.array * 0.5
        if i == 4:
            saved["state"] = opt.state_dict()
        if i == 6:  # back to the state of step 4, as a resume would
            opt.load_state_dict(saved["state"])

    eager, compiled, kernel = twin_runs(lambda: build((3, 4, 1), nn.Sigmoid),
                                        lambda m: optim.Adam(m.parameters(), lr=0.01), steps=10,
                                        between=between, backend=backend)
    assert kernel == (backend == "numba")
    assert_same_weights(eager, compiled, exact=not kernel)


@pytest.mark.parametrize("backend, activation", [("numpy", "Tanh"), ("numba", "LeakyReLU")])
def test_a_skipped_nonfinite_step_on_the_replay_leaves_weights_and_grads(backend, activation):
    """The replay (NumPy, or numba for a model the one kernel does not run) stops before the
    backward: its kernels write gradients into the flat buffers that ``p.grad`` shares."""
    if backend == "numba" and not fused.available():
        pytest.skip("numba is not installed")
    cr.manual_seed(0)
    act = getattr(nn, activation)
    model = nn.Sequential(nn.Linear(2, 8), act(), nn.Linear(8, 8), act(), nn.Linear(8, 1))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    step = cr.compile(model, nn.BCEWithLogitsLoss(), opt, backend=backend)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 2)).astype(np.float32)
    y = rng.integers(0, 2, (10, 1)).astype(np.float32)
    for _ in range(3):  # past the first step, so the flat layout (shared p.grad) exists
        step(x, y)
    assert step.kernel_steps == 0  # the replay ran, not the one kernel
    weights = [p.array.copy() for p in model.parameters()]
    grads = [p.grad.array.copy() for p in model.parameters()]
    x[3, 0] = np.nan
    assert np.isnan(step(x, y, skip_nonfinite=True).item())
    for p, w, g in zip(model.parameters(), weights, grads):
        np.testing.assert_array_equal(p.array, w)
        np.testing.assert_array_equal(p.grad.array, g)
