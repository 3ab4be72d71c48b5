"""The step as one generated numba function (compiled/whole_step.py): its source, its cache, the
compiled step's semantics kept (output, p.grad, skip_nonfinite, errors by name), and the
fallback to the op-by-op replay for what it does not run."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.compiled import fused, whole_step

pytestmark = pytest.mark.skipif(not fused.available(), reason="numba is not installed")


def w2(seed=0, activation=nn.Tanh):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), activation(), nn.Linear(8, 8), activation(),
                         nn.Linear(8, 1))


def data(rows=10, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((rows, 2)).astype(np.float32),
            rng.integers(0, 2, (rows, 1)).astype(np.float32))


def trained(model, steps=3, loss=None, opt=None, **kw):
    opt = opt or optim.Adam(model.parameters(), lr=1e-2)
    step = cr.compile(model, loss or nn.BCEWithLogitsLoss(), opt, backend="numba", **kw)
    x, y = data()
    for _ in range(steps):
        step(x, y)
    return step, opt


def test_the_source_has_one_line_per_op_named_after_it():
    step, _ = trained(w2())
    source = step.source(*data())
    assert source.startswith("def training_step(x, y, params, grads, exp_avg, exp_avg_sq, "
                             "arena, scalars, skip):")
    body = [line.strip() for line in source.splitlines()]
    assert [line.split("(")[0] for line in body if line.endswith(")") and "=" not in line
            and not line.startswith(("def", "#"))] == [
        "linear_forward", "tanh_forward", "linear_forward", "tanh_forward", "linear_forward",
        "bce_with_logits_backward", "linear_backward", "tanh_backward", "linear_backward",
        "tanh_backward", "linear_params_backward", "adam"]
    assert "loss = bce_with_logits_forward(linear3, y, True)" in body
    assert step.kernel_steps == 2  # the first step makes the optimizer's state: the replay's


def test_a_model_of_the_same_shape_reuses_the_compiled_kernel():
    first, _ = trained(w2(0))
    second, _ = trained(w2(1))
    (a,), (b,) = first.wholes.values(), second.wholes.values()
    assert a.kernel is b.kernel
    assert len(a.kernel.signatures) == 1
    assert second.kernel_steps == 2
    smaller, _ = trained(w2(2))  # another batch size: the source names n, not its value
    x, y = data(rows=4)
    smaller(x, y)
    assert all(w.kernel is a.kernel for w in smaller.wholes.values())
    assert len(a.kernel.signatures) == 1


def test_output_and_grads_after_a_step_are_the_models():
    model = w2()
    step, _ = trained(model)
    x, y = data()
    step(x, y)
    assert step.output is not None
    eager_out = model(cr.tensor(x)).array  # the weights after the step: recompute the one before
    assert step.output.shape == eager_out.shape
    flat = step.layout.flats[0]
    for p, (a, b) in zip(model.parameters(), flat.slices):
        assert p.grad is not None
        assert np.shares_memory(p.grad.array, flat.grad)
        np.testing.assert_array_equal(p.grad.array.reshape(-1), flat.grad[a:b])


def test_output_is_the_forward_of_the_step():
    model = w2()
    step, _ = trained(model)
    x, y = data()
    before = model(cr.tensor(x)).array
    step(x, y)
    np.testing.assert_allclose(step.output.array, before, rtol=1e-5, atol=1e-6)


def test_skip_nonfinite_leaves_weights_grads_and_state_as_they_were():
    model = w2()
    step, opt = trained(model)
    weights = [p.array.copy() for p in model.parameters()]
    grads = [p.grad.array.copy() for p in model.parameters()]
    steps = opt.state_dict()["state"][0]["step"]
    x, y = data()
    x[3, 0] = np.nan
    loss = step(x, y, skip_nonfinite=True)
    assert np.isnan(loss.item())
    assert np.isnan(step.output.array[3]).all()
    for p, w, g in zip(model.parameters(), weights, grads):
        np.testing.assert_array_equal(p.array, w)
        np.testing.assert_array_equal(p.grad.array, g)
    assert opt.state_dict()["state"][0]["step"] == steps
    step(x, y)  # without skip: the NaN reaches the weights, as eagerly
    assert np.isnan(next(iter(model.parameters())).array).any()


def test_a_class_out_of_range_is_named_as_eagerly():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
    step = cr.compile(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1,
                                                                momentum=0.9), backend="numba")
    x = np.ones((4, 2), np.float32)
    for _ in range(2):
        step(x, np.array([0, 1, 2, 0]))
    assert step.kernel_steps == 1
    with pytest.raises(IndexError, match="target holds class 3 but the input has 3 classes"):
        step(x, np.array([0, 1, 3, 0]))


def test_an_eager_step_in_between_is_followed(rng):
    """An eager optimizer.step() between compiled steps: the layout's check sends the next step
    through the replay, which then builds the kernel again; the weights stay eager's."""
    models = [w2(), w2()]
    opts = [optim.Adam(m.parameters(), lr=1e-2) for m in models]
    step = cr.compile(models[1], nn.BCEWithLogitsLoss(), opts[1], backend="numba")
    x, y = data()
    for i in range(8):
        for j, (m, o) in enumerate(zip(models, opts)):
            if j == 0 or i == 4:
                o.zero_grad()
                nn.BCEWithLogitsLoss()(m(cr.tensor(x)), cr.tensor(y)).backward()
                o.step()
            else:
                step(x, y)
    assert step.kernel_steps >= 5
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(q.array, p.array, rtol=1e-5, atol=1e-6)


def test_an_op_without_a_kernel_is_replayed_op_by_op():
    """The step is then the replay's (bitwise eager's), and source() says why."""
    make = lambda: w2(activation=nn.LeakyReLU)  # noqa: E731
    model, eager = make(), make()
    step, _ = trained(model, steps=4)
    assert step.kernel_steps == 0
    assert "the op LeakyReLU has no kernel" in step.source(*data())
    opt = optim.Adam(eager.parameters(), lr=1e-2)
    x, y = data()
    for _ in range(4):
        opt.zero_grad()
        nn.BCEWithLogitsLoss()(eager(cr.tensor(x)), cr.tensor(y)).backward()
        opt.step()
    for p, q in zip(eager.parameters(), model.parameters()):
        np.testing.assert_array_equal(q.array, p.array)


def test_other_optimizers_and_groups_are_replayed_and_say_why():
    model = w2()
    step, _ = trained(model, opt=optim.RMSprop(model.parameters(), lr=1e-3))
    assert step.kernel_steps == 0
    assert "RMSprop has no fused update loop" in step.source(*data())
    model = w2()
    groups = [{"params": [model[0].weight]}, {"params": [p for p in model.parameters()
                                                          if p is not model[0].weight]}]
    step, _ = trained(model, opt=optim.Adam(groups, lr=1e-3))
    assert step.kernel_steps == 0
    assert "2 parameter groups" in step.source(*data())
    step = cr.compile(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters()),
                      backend="numpy")
    assert "op by op" in step.source(*data())


def test_float64_runs_as_one_kernel_with_the_c_librarys_functions():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1)).double()
    step = cr.compile(model, nn.MSELoss(reduction="sum"), optim.AdamW(model.parameters()),
                      backend="numba")
    assert "sigmoid_exact_forward" in step.source(np.ones((3, 2)), np.ones((3, 1)))
    for _ in range(3):
        step(np.ones((3, 2)), np.ones((3, 1)))
    assert step.kernel_steps == 2


def test_the_kernel_compiles_once_per_source():
    before = dict(whole_step._compiled)
    trained(w2(activation=nn.Sigmoid))
    trained(w2(3, activation=nn.Sigmoid))
    new = [s for s in whole_step._compiled if s not in before]
    assert len(new) <= 1


def test_a_batch_of_another_dtype_than_the_parameters_is_replayed():
    model, eager = w2().double(), w2().double()
    x, y = data()
    step = cr.compile(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=1e-2),
                      backend="numba")
    opt = optim.Adam(eager.parameters(), lr=1e-2)
    for _ in range(3):
        step(x, y)
        opt.zero_grad()
        nn.BCEWithLogitsLoss()(eager(cr.tensor(x)), cr.tensor(y)).backward()
        opt.step()
    assert step.kernel_steps == 0
    assert "the batch's x is float32, the parameters float64" in step.source(x, y)
    for p, q in zip(eager.parameters(), model.parameters()):
        np.testing.assert_array_equal(q.array, p.array)
