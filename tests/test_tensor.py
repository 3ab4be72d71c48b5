"""``Tensor`` itself: how data becomes a tensor, which dtype it gets (torch's rules), which dtype
ops and gradients keep, and the ways of leaving the graph.
"""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F


# -- making tensors -------------------------------------------------------------------------------
def test_python_floats_become_float32():
    assert cr.tensor(1.5).dtype == np.float32
    assert cr.tensor([1.0, 2.0]).dtype == np.float32
    assert cr.tensor([[1, 2.5]]).dtype == np.float32


def test_python_ints_become_int64_and_bools_bool():
    assert cr.tensor(3).dtype == np.int64
    assert cr.tensor([1, 2]).dtype == np.int64
    assert cr.tensor([True, False]).dtype == np.bool_


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32, np.int64])
def test_numpy_arrays_keep_their_dtype(dtype):
    assert cr.tensor(np.zeros(3, dtype=dtype)).dtype == dtype
    assert cr.from_numpy(np.zeros(3, dtype=dtype)).dtype == dtype


def test_an_explicit_dtype_wins():
    assert cr.tensor(1.5, dtype=cr.float64).dtype == np.float64
    assert cr.tensor(np.zeros(2, dtype=np.float64), dtype=cr.float32).dtype == np.float32


def test_tensor_copies_its_data_but_from_numpy_shares_it():
    a = np.zeros(3)
    copied, shared = cr.tensor(a), cr.from_numpy(a)
    a[0] = 7.0
    assert copied.array[0] == 0.0
    assert shared.array[0] == 7.0


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # torch's
def test_np_array_of_a_tensor_is_a_copy_and_np_asarray_shares_as_with_torch():
    for lib in (cr, torch):
        t = lib.tensor([1.0, 2.0])
        copied, float64, shared = np.array(t), np.array(t, dtype=np.float64), np.asarray(t)
        copied[0] = float64[0] = 7.0
        assert t.tolist() == [1.0, 2.0]
        shared[1] = 9.0
        assert t.tolist() == [1.0, 9.0]

def test_a_tensor_made_from_a_tensor_is_an_independent_leaf():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor(x)
    assert y.is_leaf and not y.requires_grad
    y.array[0] = 5.0
    assert x.array[0] == 1.0


def test_shape_and_size_information():
    x = cr.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.numel() == 24
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and len(x) == 2


def test_constructors_default_to_float32():
    for t in (cr.zeros(2), cr.ones(2), cr.full((2,), 3.0), cr.randn(2), cr.rand(2),
              cr.arange(0.0, 1.0, 0.5)):
        assert t.dtype == np.float32
    assert cr.arange(3).dtype == np.int64


@pytest.mark.parametrize("fill_value", [3, 3.0, True, np.float64(0.5), np.int32(2)])
def test_full_takes_its_dtype_from_the_fill_value_as_in_torch(fill_value):
    ours, theirs = cr.full((2, 3), fill_value), torch.full((2, 3), fill_value)
    assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist()
    assert cr.full((2,), 3, dtype=cr.float64).dtype == np.float64

@pytest.mark.parametrize("name", ["zeros_like", "ones_like"])
def test_zeros_like_and_ones_like_keep_dtype_and_take_requires_grad_as_in_torch(name):
    for data, kwargs in (([1, 2], {}), ([1.0, 2.0], {"requires_grad": True}),
                         ([1, 2], {"dtype": cr.float64})):
        ours = getattr(cr, name)(cr.tensor(data), **kwargs)
        if "dtype" in kwargs:
            kwargs = {"dtype": torch.float64}
        theirs = getattr(torch, name)(torch.tensor(data), **kwargs)
        assert ours.dtype == theirs.numpy(force=True).dtype and ours.tolist() == theirs.tolist()
        assert ours.requires_grad == theirs.requires_grad and ours.is_leaf

def test_manual_seed_makes_randn_repeatable():
    cr.manual_seed(42)
    a = cr.randn(5)
    cr.manual_seed(42)
    np.testing.assert_array_equal(a.array, cr.randn(5).array)


# -- dtypes through ops and gradients -------------------------------------------------------------
def _float32_cases():
    """(name, function of two float32 tensors of shape (3, 4) and (4,)) pairs."""
    t = np.array([0, 3, 1])
    return {
        "arithmetic with python numbers": lambda x, b: (2.0 * x - 1.5) / 3.0 + x**2 - (-x),
        "broadcast arithmetic": lambda x, b: x * b + x / (b * b + 1.0),
        "exp log sqrt abs": lambda x, b: (x.exp() + 1.0).log() + (x * x + 1.0).sqrt() + x.abs(),
        "clip maximum minimum where": lambda x, b: (
            x.clip(-0.5, 0.5) + cr.maximum(x, b) + cr.minimum(x, 0.0) + cr.where(x.array > 0, x, b)
        ),
        "reductions": lambda x, b: x.sum(axis=0) + x.mean(axis=0) + x.max(axis=0) + x.min(),
        "shapes and indexing": lambda x, b: (
            x.T.reshape(3, 4) + x.permute(1, 0).transpose(0, 1)[[0, 0, 2]]
            + cr.concatenate([x[:, :2], x[:, 2:]], axis=1) + cr.stack([x, x]).sum(axis=0)
        ),
        "matmul": lambda x, b: x @ b + (x @ x.T).sum(),
        "activations": lambda x, b: (
            F.sigmoid(x) + F.tanh(x) + F.relu(x) + F.leaky_relu(x) + F.elu(x)
            + F.softmax(x) + F.log_softmax(x, 0) + F.step(x)
        ),
        "linear and dropout": lambda x, b: F.dropout(
            F.linear(x, x, b[:3]), 0.5, generator=np.random.default_rng(0)),
        "losses": lambda x, b: (
            F.sse(x, x * 0.5) + F.mse_loss(x, np.zeros((3, 4), np.float32))
            + F.cross_entropy(x, t) + F.cross_entropy(x, F.softmax(x).detach())
            + F.nll_loss(F.log_softmax(x), t)
            + F.binary_cross_entropy(F.sigmoid(x), np.ones((3, 4), np.float32))
            + F.binary_cross_entropy_with_logits(x, np.ones((3, 4), np.float32), pos_weight=2.0)
        ),
    }


@pytest.mark.parametrize("case", list(_float32_cases()))
def test_float32_ops_stay_float32_including_gradients(case, rng):
    fn = _float32_cases()[case]
    x = cr.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = cr.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    out = fn(x, b)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    if b.grad is not None:
        assert b.grad.dtype == np.float32


@pytest.mark.parametrize("case", list(_float32_cases()))
def test_float64_stays_float64_end_to_end(case, rng):
    fn = _float32_cases()[case]
    x = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = cr.tensor(rng.standard_normal(4), requires_grad=True)
    out = fn(x, b)
    assert out.dtype == np.float64
    out.sum().backward()
    assert x.grad.dtype == np.float64


def test_ops_accept_python_numbers_and_numpy_arrays_as_operands():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    a = np.array([10.0, 20.0])
    y = 1 + x * 2 - a / x + a @ x + 2.0**x + np.float64(3.0) * x
    assert isinstance(y, cr.Tensor) and y.requires_grad
    y.sum().backward()
    # a @ x is a scalar added to both elements of y, so it counts twice in the sum
    expected = 2 + a / x.array**2 + 2 * a + np.log(2.0) * 2.0**x.array + 3.0
    np.testing.assert_allclose(x.grad.array, expected, rtol=1e-12)


def test_numpy_scalars_do_not_promote_float32_like_python_numbers():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x / np.sqrt(2.0) + np.float64(1.0) * x - x ** np.float64(2.0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_a_float64_array_operand_promotes_as_in_torch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * np.array([1.0, 2.0])  # a float64 tensor in torch: float32 * float64 -> float64
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32  # each gradient has its own input's dtype


_ZERO_D_CASES = {  # (first, second, op): a 0-d float64 tensor against tensors with dims
    "f32 * 0-d f64": (np.ones(3, np.float32), np.float64(2.0), lambda a, b: a * b),
    "0-d f64 - f32": (np.float64(2.0), np.ones((2, 3), np.float32), lambda a, b: a - b),
    "f16 + 0-d f64": (np.ones(3, np.float16), np.float64(2.0), lambda a, b: a + b),
    "int + 0-d f64": (np.arange(3), np.float64(2.0), lambda a, b: a / b),
    "0-d f64 ** 0-d f32": (np.float64(2.0), np.float32(3.0), lambda a, b: a**b),
    "f32 max 0-d f64": (np.ones(3, np.float32), np.float64(2.0), cr.maximum),
}


@pytest.mark.parametrize("case", list(_ZERO_D_CASES))
def test_a_0d_float64_tensor_does_not_widen_a_float_tensor_with_dims_as_in_torch(case):
    first, second, op = _ZERO_D_CASES[case]
    ours = op(cr.tensor(np.array(first)), cr.tensor(np.array(second)))
    torch_op = torch.maximum if op is cr.maximum else op
    theirs = torch_op(torch.tensor(np.array(first)), torch.tensor(np.array(second)))
    assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)


def test_a_0d_float64_tensor_gets_its_gradient_in_float64():
    x, scale = cr.tensor([1.0, 2.0], requires_grad=True), cr.tensor(np.float64(3.0),
                                                                     requires_grad=True)
    y = x * scale
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    assert scale.grad.item() == 3.0


def test_cast_to_another_float_dtype_casts_the_gradient_back():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3.0
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.array, [3.0, 3.0])


def test_to_a_device_as_torch_code_writes_it():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.to(device="cpu") is x
    for y in (x.to("cpu", cr.float64), x.to(dtype=cr.float64), x.to(cr.float64)):
        expected = torch.tensor([1.0, 2.0]).to("cpu", torch.float64)
        assert y.dtype == expected.numpy().dtype and y.grad_fn is not None
    with pytest.raises(ValueError, match="runs on 'cpu' and 'cuda' .* not 'mps'"):
        x.to("mps")


def test_detach_cpu_numpy_as_torch_code_writes_it():
    out = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    assert out.cpu() is out
    np.testing.assert_array_equal(out.detach().cpu().numpy(),
                                  (torch.tensor([1.0, 2.0]) * 2).detach().cpu().numpy())


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_cast_to_a_non_float_dtype_leaves_the_graph_as_in_torch(dtype):
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    y = x.to(dtype)
    expected = torch.tensor([1.5, 2.5], requires_grad=True).to(getattr(torch, np.dtype(dtype).name))
    assert y.requires_grad == expected.requires_grad and y.grad_fn is None
    assert y.tolist() == expected.tolist()
    (y.to(cr.float32) * x).sum().backward()  # only the product's x carries a gradient
    np.testing.assert_array_equal(x.grad.array, y.to(cr.float32).array)


# -- leaving the graph ----------------------------------------------------------------------------
def test_detach_shares_data_and_requires_no_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2.0).detach()
    assert d.grad_fn is None and not d.requires_grad
    x2 = x.detach()
    x2.array[0] = 9.0
    assert x.array[0] == 9.0


def test_numpy_refuses_a_tensor_that_requires_grad():
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy() is x.array


def test_item_tolist_and_float():
    assert cr.tensor([[2.5]]).item() == 2.5
    assert cr.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert float(cr.tensor(0.5)) == 0.5
    with pytest.raises(ValueError, match="one element"):
        cr.tensor([1.0, 2.0]).item()


def test_a_0d_tensor_formats_like_its_number_as_in_torch():
    loss = cr.tensor(0.123456, requires_grad=True) * 2
    assert f"loss {loss:.3f}" == f"loss {torch.tensor(0.123456) * 2:.3f}" == "loss 0.247"
    assert f"{cr.tensor(7):>4d}" == f"{torch.tensor(7):>4d}"
    assert f"{cr.tensor([1.5])}" == str(cr.tensor([1.5]))
    with pytest.raises(TypeError, match="format"):
        f"{cr.tensor([1.5, 2.0]):.2f}"

def test_an_integer_tensor_of_one_element_is_an_index_as_in_torch():
    items = ["a", "b", "c"]
    for lib in (cr, torch):
        assert items[lib.tensor(1)] == "b" and items[lib.tensor([2])] == "c"
        assert list(range(lib.tensor(3))) == [0, 1, 2]
        for bad in (lib.tensor(1.0), lib.tensor([0, 1])):
            with pytest.raises(TypeError, match="only integer tensors of a single element"):
                items[bad]
    rows = np.arange(6).reshape(3, 2)  # NumPy still reads a many-element tensor as an array
    np.testing.assert_array_equal(rows[cr.tensor([2, 0])], rows[[2, 0]])

def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and mask.grad_fn is None and not mask.requires_grad
    assert mask.tolist() == [False, True, True]


@pytest.mark.parametrize("combine", [
    lambda t: (t > 0.8) & (t < 2.5), lambda t: (t < 0.8) | (t > 2.5),
    lambda t: (t > 0.8) ^ (t > 1.5), lambda t: ~(t > 1.5), lambda t: True & (t > 1.5),
    lambda t: False | (t > 1.5), lambda t: ~(t > 1.5).long() & 6,
])
def test_masks_combine_with_and_or_xor_not_as_in_torch(combine):
    x = np.array([0.5, 1.0, 2.0, 3.0])
    ours, theirs = combine(cr.tensor(x)), combine(torch.tensor(x))
    assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist()


def test_and_or_not_of_float_tensors_is_refused_by_name():
    with pytest.raises(TypeError, match="&: .*float32"):
        cr.ones(2) & cr.ones(2)
    with pytest.raises(TypeError, match="~: .*float32"):
        ~cr.ones(2)


def test_in_place_change_of_a_tensor_that_requires_grad_is_refused_outside_no_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.5
    with cr.no_grad():
        w -= 0.5
    np.testing.assert_array_equal(w.array, [0.5, 1.5])
    assert w.is_leaf and w.requires_grad


def test_zero_of_a_tensor_that_requires_grad_is_refused_outside_no_grad_as_in_torch():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    y = w * w  # saved w for backward: zeroing it now would change y's gradient silently
    with pytest.raises(RuntimeError, match="no_grad"):
        w.zero_()
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.array, [2.0, 4.0])
    with cr.no_grad():
        w.zero_()
    np.testing.assert_array_equal(w.array, [0.0, 0.0])
    w.grad.zero_()  # a gradient requires no grad: zeroing it is what optimizers do


def test_repr_shows_the_grad_fn_name():
    y = cr.tensor([1.0], requires_grad=True) * 2.0
    assert "grad_fn=<Mul>" in repr(y)


def test_integers_with_python_floats_give_float32_as_in_torch():
    ints = cr.tensor([1, 2, 3])
    half = ints * 0.5
    assert half.dtype == np.float32 and half.tolist() == [0.5, 1.0, 1.5]
    assert ints.mean().dtype == np.float32
    assert (ints + 1).dtype == np.int64
    assert (cr.tensor([1.0], dtype=cr.float64) * 0.5).dtype == np.float64
    assert cr.tensor([1.0]).to(cr.float64).dtype == np.float64


def test_torch_s_comparison_methods_and_as_shapes():
    pred = cr.tensor([[1], [2], [3]])
    target = cr.tensor([1, 5, 3])
    assert pred.eq(target.view_as(pred)).sum().item() == 2  # the MNIST example's accuracy line
    a, b = cr.tensor([1.0, 2.0, 3.0]), cr.tensor([2.0, 2.0, 2.0])
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        expected = getattr(torch.tensor(a.array), name)(torch.tensor(b.array)).numpy()
        np.testing.assert_array_equal(getattr(a, name)(b).array, expected)
    assert cr.ones(6).reshape_as(cr.ones(2, 3)).shape == (2, 3)
    assert cr.ones(1, 3).expand_as(cr.ones(4, 3)).shape == (4, 3)
