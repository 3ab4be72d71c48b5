"""torch's in-place methods (fill_, add_, sub_, mul_, div_, clamp_, copy_, uniform_, normal_):
the values and dtypes torch gives, ``self`` returned, and chainrule's rule for in-place changes
(the one ``+=`` and ``zero_()`` follow): refused on a tensor that requires grad, or from one,
unless inside ``no_grad``."""

import numpy as np
import pytest
import torch

import chainrule as cr

X = np.array([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]])
Y = np.array([[0.5, 4.0, -2.0], [1.0, 2.0, 8.0]])

CHANGES = [
    ("add_", lambda y: (y,), {}), ("add_", lambda y: (y,), {"alpha": -2.5}),
    ("add_", lambda y: (1.5,), {}), ("sub_", lambda y: (y,), {}),
    ("sub_", lambda y: (y,), {"alpha": 3}), ("mul_", lambda y: (y,), {}),
    ("mul_", lambda y: (0.5,), {}), ("div_", lambda y: (y,), {}), ("div_", lambda y: (4,), {}),
    ("clamp_", lambda y: (-0.5, 1.0), {}), ("clamp_", lambda y: (), {"min": 0.3}),
    ("clamp_", lambda y: (), {"max": 0.3}), ("clamp_", lambda y: (2.0, 1.0), {}),
    ("clamp_", lambda y: (y[0], y[1]), {}), ("clip_", lambda y: (0.0, 1.0), {}),
    ("fill_", lambda y: (2.5,), {}), ("fill_", lambda y: (y[0, 0],), {}),
    ("copy_", lambda y: (y,), {}), ("copy_", lambda y: (y[1],), {}),
]


@pytest.mark.parametrize("name, args, kwargs", CHANGES)
def test_in_place_methods_give_torch_s_values_and_return_self(name, args, kwargs):
    ours, theirs = cr.tensor(X), torch.tensor(X)
    our_args = args(cr.tensor(Y))
    their_args = args(torch.tensor(Y))
    out = getattr(ours, name)(*our_args, **kwargs)
    getattr(theirs, name)(*their_args, **kwargs)
    assert out is ours
    np.testing.assert_array_equal(ours.array, theirs.numpy())
    assert ours.dtype == np.float64


def test_in_place_methods_broadcast_the_operand_into_self_and_say_when_it_does_not_fit():
    x = cr.tensor(X)
    x.add_(cr.tensor([1.0, 2.0, 3.0])).mul_(np.array([[2.0], [3.0]]))
    np.testing.assert_array_equal(x.array, (X + [1.0, 2.0, 3.0]) * [[2.0], [3.0]])
    for name in ("add_", "sub_", "mul_", "div_", "copy_"):
        with pytest.raises(cr.ShapeError, match=f"{name}: .*shape"):
            getattr(cr.ones(3), name)(cr.ones(2, 3))
    with pytest.raises(cr.ShapeError, match="copy_: a source of shape .1, 3."):
        cr.ones(3).copy_(cr.ones(1, 3))  # torch too: the source may not add dims
    with pytest.raises(cr.ShapeError, match="clamp_: .*shape"):
        cr.ones(3).clamp_(cr.zeros(2, 3))


def test_in_place_methods_keep_the_dtype_as_torch_does():
    ints = np.array([1, -2, 3])
    for name, arg in (("add_", 2), ("sub_", 1), ("mul_", 3), ("fill_", 2.7), ("fill_", -2.7),
                      ("copy_", np.array([1.7, -2.7, 3.0])), ("clamp_", 0)):
        ours, theirs = cr.tensor(ints), torch.tensor(ints)
        getattr(ours, name)(cr.tensor(arg) if isinstance(arg, np.ndarray) else arg)
        getattr(theirs, name)(torch.tensor(arg) if isinstance(arg, np.ndarray) else arg)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), name
    x = cr.ones(3)  # float32 stays float32 with a float64 operand, as in torch
    assert x.add_(cr.tensor(np.ones(3))).dtype == np.float32 and x.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("name, arg", [("add_", 1.5), ("sub_", 0.5), ("mul_", 0.5),
                                       ("div_", 2), ("clamp_", 1.5)])
def test_a_result_an_integer_tensor_cannot_hold_is_refused_by_name_as_torch(name, arg):
    x = cr.tensor([1, 2, 3])
    with pytest.raises(TypeError, match=f"{name}: the result cannot be stored in this int64"):
        getattr(x, name)(arg)
    assert x.tolist() == [1, 2, 3]  # left as it was
    with pytest.raises(RuntimeError):
        getattr(torch.tensor([1, 2, 3]), name)(arg)


def test_fill_takes_a_number_or_a_0d_tensor_and_says_what_else_was_given():
    assert cr.zeros(2).fill_(cr.tensor(3.0)).tolist() == [3.0, 3.0]
    with pytest.raises(cr.ShapeError, match="fill_: the value must be a number or a 0-d"):
        cr.zeros(3).fill_(cr.ones(3))
    with pytest.raises(TypeError, match="fill_: nan cannot be stored in this int64"):
        cr.zeros(3, dtype=cr.int64).fill_(float("nan"))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp_ needs min or max"):
        cr.ones(3).clamp_()


# -- chainrule's rule for in-place changes --------------------------------------------------------
ALL_CHANGES = [("add_", (1.0,)), ("sub_", (1.0,)), ("mul_", (2.0,)), ("div_", (2.0,)),
               ("clamp_", (0.0, 1.0)), ("fill_", (0.5,)), ("copy_", (np.zeros(2),)),
               ("uniform_", ()), ("normal_", ())]


@pytest.mark.parametrize("name, args", ALL_CHANGES)
def test_in_place_change_of_a_tensor_that_requires_grad_is_refused_outside_no_grad(name, args):
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    y = w * w  # saved w: changing it now would change the gradient without a word
    for target in (w, y):  # a leaf, and an op's output
        with pytest.raises(RuntimeError, match=f"{name}: in-place change .*no_grad"):
            getattr(target, name)(*args)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.array, [2.0, 4.0])
    with cr.no_grad():
        assert getattr(w, name)(*args) is w  # as weights are initialised and updated
        getattr(y, name)(*args)
    assert w.is_leaf and w.requires_grad


@pytest.mark.parametrize("name, symbol", [
    ("add_", "add_"), ("sub_", "sub_"), ("mul_", "mul_"), ("div_", "div_"), ("copy_", "copy_"),
    ("clamp_", "clamp_"), ("__iadd__", r"\+="), ("__itruediv__", "/="),
])
def test_an_operand_that_requires_grad_is_refused_outside_no_grad(name, symbol):
    """torch would record the change; chainrule records none, so the gradient would be lost."""
    x, w = cr.ones(2), cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{symbol}: an operand requires grad"):
        getattr(x, name)(w)
    assert x.tolist() == [1.0, 1.0]
    with cr.no_grad():
        getattr(x, name)(w)
    with pytest.raises(RuntimeError, match="fill_: an operand requires grad"):
        x.fill_(cr.tensor(1.0, requires_grad=True))


# -- random fills ---------------------------------------------------------------------------------
def test_uniform_and_normal_draw_from_chainrule_s_seeded_generator():
    cr.manual_seed(7)
    first = (cr.zeros(1000).uniform_(-2, 3).tolist(), cr.zeros(4).normal_(1, 2).tolist())
    cr.manual_seed(7)
    second = (cr.zeros(1000).uniform_(-2, 3).tolist(), cr.zeros(4).normal_(1, 2).tolist())
    assert first == second
    cr.manual_seed(7)
    w = cr.zeros(1000)
    cr.nn.init.uniform_(w, -2, 3)  # the same draws as nn.init's
    assert w.tolist() == first[0]
    assert -2 <= min(first[0]) and max(first[0]) < 3


def test_uniform_and_normal_have_the_asked_for_distribution_and_keep_the_dtype():
    cr.manual_seed(0)
    u = cr.zeros(20000).uniform_(1.0, 3.0)
    n = cr.zeros(20000, dtype=cr.float64).normal_(mean=-1.0, std=0.5)
    assert u.dtype == np.float32 and n.dtype == np.float64
    assert abs(u.mean().item() - 2.0) < 0.02 and abs(u.array.var() - 4 / 12) < 0.02
    assert abs(n.mean().item() + 1.0) < 0.02 and abs(n.array.std() - 0.5) < 0.02
    assert cr.zeros(3).uniform_(from_=2, to=2).tolist() == [2.0, 2.0, 2.0]


def test_uniform_and_normal_take_a_numpy_generator():
    a = cr.zeros(5).normal_(generator=np.random.default_rng(3))
    b = cr.zeros(5).normal_(generator=np.random.default_rng(3))
    assert a.tolist() == b.tolist()
    with pytest.raises(TypeError, match="uniform_: generator must be a numpy.random.Generator"):
        cr.zeros(2).uniform_(generator=torch.Generator())


def test_random_fills_refuse_bad_arguments_by_name():
    with pytest.raises(TypeError, match="uniform_: only floating point tensors"):
        cr.zeros(3, dtype=cr.int64).uniform_()
    with pytest.raises(TypeError, match="normal_: only floating point tensors"):
        cr.zeros(3, dtype=cr.int64).normal_()
    with pytest.raises(ValueError, match=r"uniform_: from \(1\) must not be greater than to"):
        cr.zeros(3).uniform_(1, 0)
    with pytest.raises(ValueError, match="normal_: std must not be negative"):
        cr.zeros(3).normal_(0, -1)


def test_in_place_methods_on_a_view_change_the_viewed_tensor_as_torch():
    ours, theirs = cr.zeros(2, 3), torch.zeros(2, 3)
    for t in (ours, theirs):
        t[0].fill_(1.0)
        t[:, 1].add_(5.0)
        t.T.mul_(2.0)
        t[1, 1:].clamp_(max=3.0)
    np.testing.assert_array_equal(ours.array, theirs.numpy())
