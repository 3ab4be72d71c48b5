"""The losses of ``chainrule.nn.functional``: every reduction, gradients with respect to the input
(and to a float target) pass the finite-difference check and match PyTorch; the fused losses stay
finite for huge logits and BCE stays finite at p = 0 and 1.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_op, compare_with_torch, normal, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")

reductions = st.sampled_from(["mean", "sum", "none"])


def _probabilities(seed, shape, axis):
    """Random rows of class probabilities (non-negative, summing to 1 along ``axis``)."""
    w = np.random.default_rng(seed).uniform(0.05, 1.0, shape)
    return w / w.sum(axis=axis, keepdims=True)


def _classes(seed, shape, n_classes):
    return np.random.default_rng(seed).integers(0, n_classes, shape)


# -- squared error --------------------------------------------------------------------------------
@given(shapes(), seeds)
def test_sse_is_half_the_sum_of_squared_errors(shape, seed):
    check_op(F.sse, [normal(seed, shape), normal(seed + 1, shape)],
             torch_fn=lambda y, t: 0.5 * ((y - t) ** 2).sum())


@given(shapes(), reductions, seeds)
def test_mse_loss(shape, reduction, seed):
    check_op(lambda y, t: F.mse_loss(y, t, reduction=reduction),
             [normal(seed, shape), normal(seed + 1, shape)],
             torch_fn=lambda y, t: TF.mse_loss(y, t, reduction=reduction))


def test_mse_loss_accepts_a_numpy_target(rng):
    y, t = rng.standard_normal(4), rng.standard_normal(4)
    loss = F.mse_loss(cr.tensor(y), t)
    np.testing.assert_allclose(loss.item(), np.mean((y - t) ** 2), rtol=1e-12)


# -- cross-entropy and NLL ------------------------------------------------------------------------
# (N, C) scores, (N, C, d) sequences, (N, C, d1, d2) images and one unbatched (C,) sample.
score_shapes = st.sampled_from([(4, 3), (1, 5), (3, 4, 2), (2, 3, 2, 2), (4,)])


def _target_shape(shape):
    return () if len(shape) == 1 else (shape[0], *shape[2:])


def _n_classes(shape):
    return shape[0] if len(shape) == 1 else shape[1]


@given(score_shapes, reductions, seeds)
def test_cross_entropy_with_class_indices(shape, reduction, seed):
    if len(shape) == 1 and reduction == "none":
        reduction = "sum"  # one unbatched sample: 'none' gives a 0-d loss, checked elsewhere
    target = _classes(seed, _target_shape(shape), _n_classes(shape))
    check_op(lambda z, t: F.cross_entropy(z, t, reduction=reduction),
             [normal(seed, shape, 2.0), target],
             torch_fn=lambda z, t: TF.cross_entropy(z, t, reduction=reduction))


@given(score_shapes, reductions, seeds)
def test_cross_entropy_with_class_probabilities(shape, reduction, seed):
    axis = 0 if len(shape) == 1 else 1
    target = _probabilities(seed + 1, shape, axis)
    check_op(lambda z, t: F.cross_entropy(z, t, reduction=reduction),
             [normal(seed, shape, 2.0), target],
             torch_fn=lambda z, t: TF.cross_entropy(z, t, reduction=reduction))


def test_cross_entropy_of_one_unbatched_sample_with_reduction_none(rng):
    z = rng.standard_normal(4)
    compare_with_torch(lambda z, t: F.cross_entropy(z, t, reduction="none"),
                       [z, np.array(2)],
                       torch_fn=lambda z, t: TF.cross_entropy(z, t, reduction="none"))


def test_cross_entropy_is_minus_log_softmax_at_the_target(rng):
    z = rng.standard_normal((3, 4))
    t = np.array([0, 3, 1])
    expected = -np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))[np.arange(3), t]
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(z), t, reduction="none").array,
                               expected, rtol=1e-12)


@given(score_shapes, reductions, seeds)
def test_nll_loss(shape, reduction, seed):
    if len(shape) == 1 and reduction == "none":
        reduction = "sum"
    target = _classes(seed, _target_shape(shape), _n_classes(shape))
    check_op(lambda z, t: F.nll_loss(z, t, reduction=reduction),
             [normal(seed, shape, 2.0), target],
             torch_fn=lambda z, t: TF.nll_loss(z, t, reduction=reduction))


def test_nll_of_log_softmax_equals_cross_entropy(rng):
    z = cr.tensor(rng.standard_normal((5, 3)))
    t = np.array([0, 2, 1, 1, 0])
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(z, 1), t).item(),
                               F.cross_entropy(z, t).item(), rtol=1e-12)


# -- binary cross-entropy -------------------------------------------------------------------------
@given(shapes(), reductions, seeds, st.booleans())
def test_binary_cross_entropy(shape, reduction, seed, hard_targets):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, shape)
    t = (rng.random(shape) > 0.5).astype(float) if hard_targets else rng.random(shape)
    check_op(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction), [p, t],
             torch_fn=lambda p, t: TF.binary_cross_entropy(p, t, reduction=reduction))


@given(shapes(), reductions, seeds)
def test_binary_cross_entropy_with_logits(shape, reduction, seed):
    t = np.random.default_rng(seed).random(shape)
    check_op(lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction=reduction),
             [normal(seed, shape, 3.0), t],
             torch_fn=lambda z, t: TF.binary_cross_entropy_with_logits(z, t, reduction=reduction))


@given(st.integers(1, 4), st.integers(1, 3), reductions, seeds)
def test_binary_cross_entropy_with_logits_and_pos_weight(n, classes, reduction, seed):
    rng = np.random.default_rng(seed)
    t = (rng.random((n, classes)) > 0.5).astype(float)
    w = rng.uniform(0.5, 3.0, classes)  # one weight per class, broadcast over the batch

    def ours(z, t):
        return F.binary_cross_entropy_with_logits(z, t, reduction=reduction, pos_weight=w)

    def theirs(z, t):
        return TF.binary_cross_entropy_with_logits(z, t, reduction=reduction,
                                                   pos_weight=torch.from_numpy(w))

    check_op(ours, [normal(seed, (n, classes), 3.0), t], torch_fn=theirs)


def test_bce_with_logits_equals_bce_of_the_sigmoid(rng):
    z = rng.standard_normal(6)
    t = (rng.random(6) > 0.5).astype(float)
    fused = F.binary_cross_entropy_with_logits(cr.tensor(z), t).item()
    np.testing.assert_allclose(fused, F.binary_cross_entropy(F.sigmoid(cr.tensor(z)), t).item(),
                               rtol=1e-12)


# -- stability ------------------------------------------------------------------------------------
def _finite_value_and_grad(fn, x, *args, dtype=cr.float32):
    x = cr.tensor(x, dtype=dtype, requires_grad=True)
    loss = fn(x, *args)
    loss.backward(np.ones(loss.shape))
    assert np.isfinite(loss.array).all(), f"loss {loss.array}"
    assert np.isfinite(x.grad.array).all(), f"gradient {x.grad.array}"
    return loss


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
def test_cross_entropy_is_finite_for_logits_of_1e4(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [1e4, 1e4, -1e4]])
    t = np.array([1, 1, 2])
    loss = _finite_value_and_grad(F.cross_entropy, z, t, dtype=dtype)
    # −log softmax at the target: 2e4 (wrong by 2e4), 0 (right), 2e4 + log 2 (two tied winners)
    np.testing.assert_allclose(loss.item(), (2e4 + 0 + 2e4 + np.log(2)) / 3, rtol=1e-6)
    compare_with_torch(F.cross_entropy, [z, t], torch_fn=TF.cross_entropy)
    probs = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    _finite_value_and_grad(F.cross_entropy, z, probs.astype(dtype), dtype=dtype)
    compare_with_torch(F.cross_entropy, [z, probs], torch_fn=TF.cross_entropy)


@pytest.mark.parametrize("pos_weight", [None, np.array([2.0, 2.0, 2.0, 2.0])])
def test_bce_with_logits_is_finite_for_logits_of_1e4(pos_weight):
    z = np.array([1e4, -1e4, 1e4, -1e4])
    t = np.array([1.0, 0.0, 0.0, 1.0])  # two right, two wrong by 1e4

    def ours(z, t):
        return F.binary_cross_entropy_with_logits(z, t, reduction="sum", pos_weight=pos_weight)

    loss = _finite_value_and_grad(ours, z, t.astype(np.float32))
    weight = 1.0 if pos_weight is None else 2.0
    np.testing.assert_allclose(loss.item(), 1e4 + weight * 1e4, rtol=1e-6)
    torch_w = None if pos_weight is None else torch.from_numpy(pos_weight)
    compare_with_torch(ours, [z, t], torch_fn=lambda z, t: TF.binary_cross_entropy_with_logits(
        z, t, reduction="sum", pos_weight=torch_w))


def test_bce_is_finite_at_probabilities_zero_and_one():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    t = np.array([0.0, 1.0, 1.0, 0.0])  # right, right, certain and wrong, certain and wrong
    loss = _finite_value_and_grad(lambda p, t: F.binary_cross_entropy(p, t, reduction="none"),
                                  p, t.astype(np.float32))
    np.testing.assert_array_equal(loss.array, [0.0, 0.0, 100.0, 100.0])  # logs clamped at −100
    # At p = 0 or 1 the gradient is (p − t)/1e-12; torch stores that 1e-12 as a float32
    # (9.99999996e-13), 4e-9 away from ours, so this comparison allows 1e-8.
    compare_with_torch(lambda p, t: F.binary_cross_entropy(p, t, reduction="none"), [p, t],
                       torch_fn=lambda p, t: TF.binary_cross_entropy(p, t, reduction="none"),
                       grad=[True, False], rtol=1e-8)


@pytest.mark.parametrize("name, logits, target", [
    ("mse_loss", np.zeros((0, 3)), np.zeros((0, 3))),
    ("cross_entropy", np.zeros((0, 3)), np.zeros(0, dtype=np.int64)),
    ("nll_loss", np.zeros((0, 3)), np.zeros(0, dtype=np.int64)),
    ("binary_cross_entropy", np.zeros((0, 3)), np.zeros((0, 3))),
    ("binary_cross_entropy_with_logits", np.zeros((0, 3)), np.zeros((0, 3))),
])
def test_mean_loss_of_an_empty_batch_is_nan_as_torch_without_numpy_warnings(name, logits, target):
    ours = cr.tensor(logits, requires_grad=True)
    with np.errstate(all="raise"):  # 0/0 is the answer here, not an accident to warn about
        loss = getattr(F, name)(ours, cr.tensor(target))
        loss.backward()
    expected = getattr(TF, name)(torch.tensor(logits), torch.tensor(target))
    assert np.isnan(loss.item()) and np.isnan(expected.item())
    assert ours.grad.shape == logits.shape


@pytest.mark.parametrize("name", ["mse_loss", "binary_cross_entropy_with_logits"])
def test_float16_mean_loss_over_more_elements_than_float16_can_count_keeps_its_gradient(name):
    # 70000 elements: g/n with n cast to float16 (inf) sent back zeros; torch does not
    y = np.full(70000, 0.5, dtype=np.float16)
    t = np.zeros(70000, dtype=np.float16)
    ours, theirs = cr.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    getattr(F, name)(ours, cr.tensor(t)).backward()
    getattr(TF, name)(theirs, torch.tensor(t)).backward()
    assert ours.grad.dtype == np.float16
    np.testing.assert_allclose(ours.grad.array.astype(np.float64), theirs.grad.numpy(), rtol=1e-2)
    assert (ours.grad.array != 0).all()
