"""L1, smooth L1, Huber and KL losses, NLL and cross-entropy with torch's options (weight,
ignore_index, label_smoothing, probability targets), normalize and cosine_similarity: each
gradchecked in float64 and compared with torch (values and gradients)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from device_double import active
from helpers import check_op, compare_with_torch, normal, seeds, shapes
from hypothesis import assume, given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")

reductions = st.sampled_from(["mean", "sum", "none"])


def _off_kinks(seed, shape, kinks):
    """A pair (y, t) whose differences stay 0.05 away from each kink (finite differences
    across a kink measure neither slope)."""
    y, t = normal(seed, shape, 2.0), normal(seed + 1, shape, 2.0)
    d = y - t
    for k in kinks:
        for sign in (1, -1):
            close = np.abs(d - sign * k) < 0.05
            y = np.where(close, y + 0.1, y)
            d = y - t
    return y, t


@given(shapes(), reductions, seeds)
def test_l1_loss(shape, reduction, seed):
    check_op(lambda y, t: F.l1_loss(y, t, reduction=reduction), _off_kinks(seed, shape, [0.0]),
             torch_fn=lambda y, t: TF.l1_loss(y, t, reduction=reduction))


@given(shapes(), reductions, st.sampled_from([1.0, 0.5, 0.0, 2.0]), seeds)
def test_smooth_l1_loss(shape, reduction, beta, seed):
    check_op(lambda y, t: F.smooth_l1_loss(y, t, reduction=reduction, beta=beta),
             _off_kinks(seed, shape, [0.0, beta]),
             torch_fn=lambda y, t: TF.smooth_l1_loss(y, t, reduction=reduction, beta=beta))


@given(shapes(), reductions, st.sampled_from([1.0, 0.3, 2.5]), seeds)
def test_huber_loss(shape, reduction, delta, seed):
    check_op(lambda y, t: F.huber_loss(y, t, reduction=reduction, delta=delta),
             _off_kinks(seed, shape, [0.0, delta]),
             torch_fn=lambda y, t: TF.huber_loss(y, t, reduction=reduction, delta=delta))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")  # torch's, on 'mean'
@given(st.sampled_from([(4, 3), (2, 5), (3, 2, 2)]),
       st.sampled_from(["mean", "sum", "none", "batchmean"]), st.booleans(), seeds)
def test_kl_div(shape, reduction, log_target, seed):
    logq = np.log(np.random.default_rng(seed).dirichlet(np.ones(shape[-1]), shape[:-1]))
    p = np.random.default_rng(seed + 1).dirichlet(np.ones(shape[-1]), shape[:-1])
    target = np.log(p) if log_target else p
    check_op(lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
             [logq, target],
             torch_fn=lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target))


def test_kl_div_counts_zero_probabilities_as_zero():
    logq = np.log(np.array([[0.5, 0.25, 0.25]]))
    compare_with_torch(lambda x: F.kl_div(x, active.put([[0.0, 0.5, 0.5]]), reduction="sum"),
                       [logq], torch_fn=lambda x: TF.kl_div(x, torch.tensor([[0.0, 0.5, 0.5]]),
                                                            reduction="sum"))


# -- classification options -----------------------------------------------------------------------
score_shapes = st.sampled_from([(6, 4), (3, 4, 2), (2, 3, 2, 2), (4,)])


def _targets(seed, shape, ignore):
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    rng = np.random.default_rng(seed)
    t = rng.integers(0, n_classes, tshape)
    if ignore and t.size > 1:
        t.flat[0] = ignore
    return t, n_classes


@given(score_shapes, st.booleans(), st.sampled_from([None, -100, 1]), reductions, seeds)
def test_nll_loss_with_weight_and_ignore_index(shape, weighted, ignore, reduction, seed):
    t, c = _targets(seed, shape, ignore)
    assume(not np.all(t == ignore))  # every sample ignored: 0/0, tested below
    w = np.random.default_rng(seed).uniform(0.2, 2.0, c) if weighted else None
    kwargs = dict(reduction=reduction, ignore_index=-100 if ignore is None else ignore)
    check_op(lambda x: F.nll_loss(x, t, cr.tensor(w) if weighted else None, **kwargs),
             [normal(seed, shape)],
             torch_fn=lambda x: TF.nll_loss(x, torch.tensor(t),
                                            torch.tensor(w) if weighted else None, **kwargs))


@given(score_shapes, st.booleans(), st.sampled_from([None, 2]), st.sampled_from([0.0, 0.1, 0.5]),
       reductions, seeds)
def test_cross_entropy_with_weight_ignore_index_and_label_smoothing(shape, weighted, ignore,
                                                                    smoothing, reduction, seed):
    t, c = _targets(seed, shape, ignore)
    assume(not np.all(t == ignore))  # every sample ignored: 0/0, tested below
    w = np.random.default_rng(seed).uniform(0.2, 2.0, c) if weighted else None
    kwargs = dict(reduction=reduction, ignore_index=-100 if ignore is None else ignore,
                  label_smoothing=smoothing)
    check_op(lambda x: F.cross_entropy(x, t, cr.tensor(w) if weighted else None, **kwargs),
             [normal(seed, shape)],
             torch_fn=lambda x: TF.cross_entropy(x, torch.tensor(t),
                                                 torch.tensor(w) if weighted else None, **kwargs))


@given(score_shapes, st.booleans(), st.sampled_from([0.0, 0.2]), reductions, seeds)
def test_cross_entropy_with_probability_targets_and_options(shape, weighted, smoothing,
                                                           reduction, seed):
    axis = 0 if len(shape) == 1 else 1
    c = shape[axis]
    probs = np.random.default_rng(seed).uniform(0.05, 1.0, shape)
    probs /= probs.sum(axis=axis, keepdims=True)
    w = np.random.default_rng(seed).uniform(0.2, 2.0, c) if weighted else None
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    check_op(lambda x, p: F.cross_entropy(x, p, cr.tensor(w) if weighted else None, **kwargs),
             [normal(seed, shape), probs],
             torch_fn=lambda x, p: TF.cross_entropy(x, p, torch.tensor(w) if weighted else None,
                                                    **kwargs))


def test_a_mean_over_only_ignored_samples_is_nan_as_torch():
    z, t = normal(0, (2, 3)), np.array([1, 1])
    ours = F.cross_entropy(cr.tensor(z), cr.tensor(t), ignore_index=1)
    assert np.isnan(ours.item())
    assert np.isnan(TF.cross_entropy(torch.tensor(z), torch.tensor(t), ignore_index=1).item())


def test_loss_modules_with_options_match_torch():
    rng = np.random.default_rng(0)
    z, c = rng.standard_normal((8, 3)), rng.integers(0, 3, 8)
    c[2] = 1
    w = np.array([0.3, 1.0, 2.0])
    y, t = rng.standard_normal((4, 5)) * 2, rng.standard_normal((4, 5))
    cases = [
        (nn.CrossEntropyLoss(cr.tensor(w), ignore_index=1, label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(torch.tensor(w), ignore_index=1, label_smoothing=0.1), z, c),
        (nn.NLLLoss(cr.tensor(w), reduction="sum"),
         torch.nn.NLLLoss(torch.tensor(w), reduction="sum"), z, c),
        (nn.L1Loss(), torch.nn.L1Loss(), y, t),
        (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), y, t),
        (nn.HuberLoss(delta=0.7), torch.nn.HuberLoss(delta=0.7), y, t),
        (nn.KLDivLoss(reduction="batchmean", log_target=True),
         torch.nn.KLDivLoss(reduction="batchmean", log_target=True), -np.abs(y), -np.abs(t)),
    ]
    for ours, theirs, inp, target in cases:
        got = ours(cr.tensor(inp), cr.tensor(target)).array
        expected = theirs(torch.tensor(inp), torch.tensor(target)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, err_msg=type(ours).__name__)


def test_a_weighted_loss_keeps_its_weight_in_the_state_dict_as_torch():
    assert list(nn.CrossEntropyLoss(cr.tensor([1.0, 2.0])).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_legacy_size_average_and_reduce_map_to_a_reduction():
    assert nn.L1Loss(size_average=False).reduction == "sum"
    assert nn.NLLLoss(reduce=False).reduction == "none"


def test_class_loss_errors_name_the_argument():
    z = cr.tensor(normal(0, (4, 3)))
    with pytest.raises(cr.ShapeError, match=r"cross_entropy: weight of shape \(2,\) must have "
                                            r"one entry per class \(3\)"):
        F.cross_entropy(z, cr.tensor([0, 1, 2, 0]), weight=cr.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"nll_loss: target holds class 3 but the input has 3 "
                                         r"classes \(0..2; ignore_index=-1\)"):
        F.nll_loss(z, cr.tensor([0, -1, 3, 0]), ignore_index=-1)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(z, cr.tensor([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(cr.ShapeError, match=r"huber_loss: input of shape \(4, 3\) and target of "
                                            r"shape \(4,\)"):
        F.huber_loss(z, cr.tensor(np.zeros(4)))


# -- vectors --------------------------------------------------------------------------------------
@given(shapes(min_dims=2, max_dims=3), st.sampled_from([2.0, 1.0, 3.0, float("inf")]), seeds)
def test_normalize(shape, p, seed):
    x = normal(seed, shape) if p != float("inf") else normal(seed, shape) + np.arange(
        shape[1]).reshape((1, -1) + (1,) * (len(shape) - 2))  # no ties for the max
    x = np.where(np.abs(x) < 0.05, 0.1, x)  # |x| has a kink at 0
    check_op(lambda x: F.normalize(x, p=p, dim=1), [x],
             torch_fn=lambda x: TF.normalize(x, p=p, dim=1))


@given(st.sampled_from([((4, 3), (4, 3), 1), ((2, 3, 4), (1, 3, 4), 1), ((5, 2), (5, 2), -1)]),
       seeds)
def test_cosine_similarity(shapes_dim, seed):
    s1, s2, dim = shapes_dim
    check_op(lambda a, b: F.cosine_similarity(a, b, dim=dim),
             [normal(seed, s1), normal(seed + 1, s2)],
             torch_fn=lambda a, b: TF.cosine_similarity(a, b, dim=dim))
