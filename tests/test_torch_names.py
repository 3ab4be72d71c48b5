"""torch's top-level names (issue 12): dtypes, the default dtype, Size, type(), inference_mode,
is_tensor, numel, as_tensor, the *_like constructors, einsum, isnan/isinf/isfinite,
masked_fill, unbind and //, each against torch itself."""

import inspect

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.errors import ShapeError, UnsupportedError
from tests.helpers import check_op, compare_with_torch

DTYPE_NAMES = ["float", "double", "half", "long", "int", "short", "bool", "uint8", "int8",
               "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.fixture
def default_float64():
    """float64 as the default dtype in both libraries, restored afterwards."""
    cr.set_default_dtype(cr.float64)
    torch.set_default_dtype(torch.float64)
    yield
    cr.set_default_dtype(cr.float32)
    torch.set_default_dtype(torch.float32)


# -- dtypes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_name_means_torchs_dtype(name):
    theirs = torch.empty(0, dtype=getattr(torch, name)).numpy().dtype
    assert np.dtype(getattr(cr, name)) == theirs
    assert cr.zeros(2, dtype=getattr(cr, name)).dtype == theirs
    assert cr.tensor([1, 0], dtype=getattr(cr, name)).dtype == theirs


def test_tensor_with_dtype_long_as_in_a_tutorial():
    y = cr.tensor([0.0, 2.0, 1.0], dtype=cr.long)
    assert y.dtype == cr.int64 and y.tolist() == [0, 2, 1]


@pytest.mark.parametrize("name", ["bfloat16", "complex64", "complex128", "cfloat", "qint8"])
def test_a_dtype_chainrule_lacks_is_refused_by_name(name):
    with pytest.raises(UnsupportedError, match=f"no dtype {name}"):
        getattr(cr, name)
    assert not hasattr(cr, name)  # an AttributeError too, so probes answer "no"


def test_an_unknown_name_is_still_an_attribute_error():
    # named in one line (tests/test_missing_names.py), and an AttributeError for hasattr probes
    with pytest.raises(AttributeError, match=r"^chainrule\.no_such_thing: chainrule does not "):
        cr.no_such_thing  # noqa: B018


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "uint8", "int8", "int16",
                                  "int32", "int64", "bool"])
def test_type_names_the_tensor_type_as_torch(name):
    theirs = torch.zeros(2, dtype=getattr(torch, name)).type()
    assert cr.zeros(2, dtype=getattr(cr, name)).type() == theirs.replace("torch.", "chainrule.")


def test_type_converts_to_a_dtype_or_a_type_name():
    x = cr.tensor([1.5, -2.5])
    assert x.type(cr.float64).dtype == np.float64
    assert x.type("torch.LongTensor").tolist() == torch.tensor([1.5, -2.5]).type(
        "torch.LongTensor").tolist()
    assert x.type("chainrule.DoubleTensor").dtype == np.float64
    assert x.type(cr.float32) is x
    with pytest.raises(ValueError, match="unknown tensor type 'torch.FancyTensor'"):
        x.type("torch.FancyTensor")


def test_type_conversion_keeps_the_gradient_path():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x.type(cr.float64) * 3).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


def test_short_byte_char_as_torch():
    t = torch.tensor([1.7, -2.2, 300.0])
    x = cr.tensor([1.7, -2.2, 300.0])
    for method in ("short", "char", "long", "int"):
        ours, theirs = getattr(x, method)(), getattr(t, method)()
        assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist(), method
    assert x[:2].abs().byte().tolist() == t[:2].abs().byte().tolist()


# -- the default dtype ----------------------------------------------------------------------------
def test_default_dtype_starts_as_float32():
    assert cr.get_default_dtype() is cr.float32
    assert np.dtype(cr.get_default_dtype()) == torch.empty(0).numpy().dtype


FACTORIES = [
    ("tensor of floats", lambda m: m.tensor([1.0, 2.0])),
    ("tensor of a float", lambda m: m.tensor(2.5)),
    ("tensor of ints", lambda m: m.tensor([1, 2])),
    ("zeros", lambda m: m.zeros(2, 3)),
    ("ones", lambda m: m.ones((2,))),
    ("empty", lambda m: m.empty(2)),
    ("rand", lambda m: m.rand(2)),
    ("randn", lambda m: m.randn(2, 2)),
    ("full of a float", lambda m: m.full((2,), 1.5)),
    ("full of an int", lambda m: m.full((2,), 3)),
    ("arange of ints", lambda m: m.arange(3)),
    ("arange of floats", lambda m: m.arange(0, 1, 0.25)),
    ("linspace", lambda m: m.linspace(0, 1, 5)),
    ("eye", lambda m: m.eye(2)),
    ("int tensor times a float", lambda m: m.tensor([1, 2]) * 0.5),
    ("int tensor over an int", lambda m: m.tensor([1, 2]) / 2),
    ("float32 tensor times a float", lambda m: m.zeros(2, dtype=m.float32) * 0.5),
    ("Linear's weight", lambda m: m.nn.Linear(2, 3).weight),
    ("Conv2d's weight", lambda m: m.nn.Conv2d(1, 2, 3).weight),
    ("BatchNorm1d's running mean", lambda m: m.nn.BatchNorm1d(3).running_mean),
    ("LayerNorm's weight", lambda m: m.nn.LayerNorm(3).weight),
    ("Embedding's weight", lambda m: m.nn.Embedding(4, 3).weight),
]


def _dtype_of(t):
    return t.detach().numpy().dtype if isinstance(t, torch.Tensor) else np.dtype(t.dtype)


@pytest.mark.parametrize("what, make", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_dtype_follows_torch_with_the_default_float32(what, make):
    assert _dtype_of(make(cr)) == _dtype_of(make(torch)), what


@pytest.mark.parametrize("what, make", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_dtype_follows_torch_with_the_default_float64(what, make, default_float64):
    assert cr.get_default_dtype() is cr.float64
    assert _dtype_of(make(cr)) == _dtype_of(make(torch)), what


def test_a_model_trains_in_float64_after_set_default_dtype(default_float64):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = nn.MSELoss()(model(cr.randn(5, 3)), cr.zeros(5, 1))
    loss.backward()
    assert loss.dtype == np.float64
    assert all(p.grad.dtype == np.float64 for p in model.parameters())


def test_set_default_dtype_takes_float32_or_float64_only():
    with pytest.raises(TypeError, match="only float32 or float64.*got int64"):
        cr.set_default_dtype(cr.long)
    with pytest.raises(TypeError, match="not a dtype"):
        cr.set_default_dtype("float 32")
    assert cr.get_default_dtype() is cr.float32


# -- Size -----------------------------------------------------------------------------------------
def test_size_is_a_tuple_as_torch_size():
    x = cr.zeros(2, 3)
    assert x.shape == (2, 3) and x.size() == (2, 3) and isinstance(x.shape, tuple)
    assert isinstance(x.shape, cr.Size) and isinstance(x.size(), cr.Size)
    assert repr(x.shape) == repr(torch.zeros(2, 3).shape).replace("torch", "chainrule")
    assert x.shape.numel() == torch.zeros(2, 3).shape.numel() == 6
    assert x.shape[1:] == (3,) and isinstance(x.shape[1:], cr.Size)
    assert x.size(1) == 3 and x.shape[-1] == 3
    assert cr.Size([4, 5]) == torch.Size([4, 5])
    assert cr.zeros(cr.Size([2, 2])).shape == (2, 2)


# -- inference_mode -------------------------------------------------------------------------------
def test_inference_mode_records_no_graph_as_a_block_and_a_decorator():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.inference_mode():
        assert not (w * 2).requires_grad and not cr.is_grad_enabled()
    assert (w * 2).requires_grad and cr.is_grad_enabled()

    @cr.inference_mode
    def bare(x):
        return x * 2

    @cr.inference_mode()
    def called(x):
        return x * 2

    @cr.inference_mode(False)
    def off(x):
        return x * 2

    assert not bare(w).requires_grad and not called(w).requires_grad
    assert off(w).requires_grad and cr.is_grad_enabled()
    with cr.inference_mode(False):
        assert (w * 2).requires_grad


# -- small torch functions ------------------------------------------------------------------------
def test_is_tensor_and_numel():
    assert cr.is_tensor(cr.zeros(2)) and not cr.is_tensor(np.zeros(2))
    assert not cr.is_tensor([1.0])
    assert cr.numel(cr.zeros(2, 3, 4)) == torch.numel(torch.zeros(2, 3, 4)) == 24


def test_as_tensor_shares_memory_with_an_array_of_its_dtype():
    a = np.arange(4.0)
    t = cr.as_tensor(a)
    a[0] = 10.0
    assert t.dtype == torch.as_tensor(a).dtype.__str__().replace("torch.", "") == "float64"
    assert t[0].item() == 10.0
    copied = cr.as_tensor(a, dtype=cr.float32)
    a[1] = 20.0
    assert copied.dtype == np.float32 and copied[1].item() == 1.0
    x = cr.zeros(2)
    assert cr.as_tensor(x) is x
    assert cr.as_tensor([1.0, 2.0]).dtype == torch.as_tensor([1.0, 2.0]).numpy().dtype
    assert cr.as_tensor([1, 2]).dtype == np.int64


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_like_constructors_keep_shape_and_dtype(name, dtype):
    ours = getattr(cr, name)(cr.zeros(2, 3, dtype=getattr(cr, dtype)))
    theirs = getattr(torch, name)(torch.zeros(2, 3, dtype=getattr(torch, dtype)))
    assert ours.shape == theirs.shape and ours.dtype == theirs.numpy().dtype
    ours = getattr(cr, name)(cr.zeros(2), dtype=cr.float64, requires_grad=True)
    assert ours.dtype == np.float64 and ours.requires_grad


def test_full_like_as_torch():
    for like, value in ((torch.zeros(2), 3), (torch.zeros(2, dtype=torch.long), 3.7),
                        (torch.zeros(3, dtype=torch.float64), -1.5)):
        ours = cr.full_like(cr.tensor(like.numpy()), value)
        theirs = torch.full_like(like, value)
        assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist()


def test_random_like_refuses_an_integer_tensor():
    with pytest.raises(TypeError, match="randn_like: .*floating point dtype, got int64"):
        cr.randn_like(cr.tensor([1, 2]))


def test_rand_like_is_seeded():
    cr.manual_seed(3)
    a = cr.rand_like(cr.zeros(4))
    cr.manual_seed(3)
    assert cr.rand_like(cr.zeros(4)).tolist() == a.tolist()
    assert ((a.array >= 0) & (a.array < 1)).all()


# -- einsum ---------------------------------------------------------------------------------------
EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("...ij,...jk", [(1, 2, 3), (4, 3, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(3,), (3,)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("bii->bi", [(2, 3, 3)]),
    ("bi,bi->b", [(4, 3), (4, 3)]),
    ("ij,kj,k->i", [(2, 3), (4, 3), (4,)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_torch_and_finite_differences(equation, shapes):
    rng = np.random.default_rng(len(equation))
    arrays = [rng.standard_normal(s) for s in shapes]
    check_op(lambda *xs: cr.einsum(equation, *xs), arrays,
             torch_fn=lambda *xs: torch.einsum(equation, *xs))


def test_einsum_takes_its_operands_as_a_list():
    a, b = np.ones((2, 3)), np.ones((3, 2))
    compare_with_torch(lambda a, b: cr.einsum("ij,jk->ik", [a, b]), [a, b],
                       torch_fn=lambda a, b: torch.einsum("ij,jk->ik", [a, b]))


def test_einsum_keeps_float32():
    out = cr.einsum("ij,jk->ik", cr.ones(2, 3), cr.ones(3, 2))
    assert out.dtype == np.float32


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", [(2, 3)], "names 2 operand"),
    ("ijk->i", [(2, 3)], r"subscripts 'ijk' for an operand of shape \(2, 3\)"),
    ("ij,jk->ik", [(2, 3), (4, 2)], r"einsum 'ij,jk->ik' cannot take operands of shapes "
                                    r"\(2, 3\), \(4, 2\)"),
])
def test_einsum_bad_input_names_the_equation_and_shapes(equation, shapes, message):
    with pytest.raises(ValueError, match=message):
        cr.einsum(equation, *[cr.ones(s) for s in shapes])


def test_einsum_needs_the_equation_first():
    with pytest.raises(TypeError, match="equation string"):
        cr.einsum(cr.ones(2), "i->")


# -- isnan, isinf, isfinite -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_finiteness_tests_as_torch(name):
    values = [1.0, np.nan, np.inf, -np.inf, 0.0]
    ours, theirs = cr.tensor(values), torch.tensor(values)
    assert getattr(cr, name)(ours).tolist() == getattr(torch, name)(theirs).tolist()
    assert getattr(ours, name)().tolist() == getattr(theirs, name)().tolist()
    assert getattr(ours, name)().dtype == np.bool_
    ints = [1, 2]
    assert getattr(cr.tensor(ints), name)().tolist() == getattr(torch.tensor(ints), name)().tolist()


# -- masked_fill ----------------------------------------------------------------------------------
def test_masked_fill_matches_torch_and_finite_differences():
    rng = np.random.default_rng(0)
    x, mask = rng.standard_normal((3, 4)), rng.random((3, 4)) > 0.5
    check_op(lambda x, m: x.masked_fill(m, -1.5), [x, mask])
    check_op(lambda x, m: cr.masked_fill(x, m, 0.25), [x, mask],
             torch_fn=lambda x, m: torch.masked_fill(x, m, 0.25))


def test_masked_fill_broadcasts_the_mask_and_takes_a_tensor_value():
    rng = np.random.default_rng(1)
    x, mask, value = rng.standard_normal((3, 4)), rng.random(4) > 0.5, np.array(0.7)
    compare_with_torch(lambda x, m, v: x.masked_fill(m, v), [x, mask, value])


def test_masked_fill_keeps_the_dtype_as_torch():
    ours = cr.tensor([1, 2, 3]).masked_fill(cr.tensor([True, False, True]), 2.7)
    theirs = torch.tensor([1, 2, 3]).masked_fill(torch.tensor([True, False, True]), 2.7)
    assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist()


def test_masked_fill_in_place_as_torch():
    ours, theirs = cr.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = ours.masked_fill_(cr.tensor([False, True]), 0.0)
    theirs.masked_fill_(torch.tensor([False, True]), 0.0)
    assert out is ours and ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match="in-place"):
        cr.zeros(2, requires_grad=True).masked_fill_(cr.tensor([True, False]), 1.0)


def test_masked_fill_bad_input_is_named():
    x = cr.zeros(2, 3)
    with pytest.raises(TypeError, match="masked_fill: the mask must be a boolean tensor"):
        x.masked_fill(cr.ones(2, 3), 0.0)
    with pytest.raises(ShapeError, match=r"mask of shape \(2, 2\) cannot be broadcast to the "
                                         r"tensor's shape \(2, 3\)"):
        x.masked_fill(cr.ones(2, 2, dtype=cr.bool), 0.0)
    with pytest.raises(ShapeError, match="number or a 0-d tensor"):
        x.masked_fill(cr.ones(2, 3, dtype=cr.bool), cr.zeros(3))


# -- unbind ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_matches_torch_and_finite_differences(dim):
    x = np.random.default_rng(2).standard_normal((3, 2, 2))

    def weighted_sum(unbind):
        return lambda x: sum((i + 1) * piece for i, piece in enumerate(unbind(x, dim)))

    check_op(weighted_sum(cr.unbind), [x], torch_fn=weighted_sum(torch.unbind))
    ours, theirs = cr.tensor(x).unbind(dim), torch.tensor(x).unbind(dim)
    assert len(ours) == len(theirs) and all(o.shape == t.shape for o, t in zip(ours, theirs))


def test_unbind_of_a_0d_tensor_is_refused():
    with pytest.raises(ShapeError, match="unbind: a 0-d tensor"):
        cr.tensor(1.0).unbind()


# -- floor division -------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ([7, -7, 6], 2), ([7.5, -7.5, 0.5], 2.0), ([7, -7], [2, -3]), ([7.0, -1.0, 0.0], 0.0),
    ([7, -7], 2.5), ([1.5, -2.5], [0.5, 2.0]),
])
def test_floor_divide_as_torch(a, b):
    ta = torch.tensor(a)
    tb = torch.tensor(b) if isinstance(b, list) else b
    ca = cr.tensor(a)
    cb = cr.tensor(b) if isinstance(b, list) else b
    for ours, theirs in ((ca // cb, ta // tb), (cr.floor_divide(ca, cb),
                                                torch.floor_divide(ta, tb)),
                         (ca.floor_divide(cb), ta.floor_divide(tb))):
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_reflected_floor_divide_as_torch():
    ours, theirs = 7 // cr.tensor([2, -2]), 7 // torch.tensor([2, -2])
    assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist()
    assert (7.0 // cr.tensor([2.0, -3.0])).tolist() == (7.0 // torch.tensor([2.0, -3.0])).tolist()


def test_floor_divide_has_no_gradient_as_torch():
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    y = x // 2
    assert y.requires_grad == (torch.tensor([1.5, -2.5], requires_grad=True) // 2).requires_grad
    with pytest.raises(RuntimeError, match="floor_divide .* has no derivative"):
        y.sum().backward()


def test_integer_floor_division_by_zero_is_an_error():
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        cr.tensor([1, 2]) // 0
    with pytest.raises(RuntimeError):  # torch: "ZeroDivisionError"
        torch.tensor([1, 2]) // 0


# -- the losses' signatures -----------------------------------------------------------------------
LOSSES = ["MSELoss", "BCELoss", "BCEWithLogitsLoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
          "KLDivLoss", "NLLLoss", "CrossEntropyLoss"]


@pytest.mark.parametrize("name", LOSSES)
def test_loss_takes_torchs_arguments_in_torchs_order(name):
    ours = list(inspect.signature(getattr(nn, name)).parameters)
    theirs = list(inspect.signature(getattr(torch.nn, name)).parameters)
    assert ours == theirs


@pytest.mark.parametrize("name", ["mse_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "l1_loss",
                                  "smooth_l1_loss", "huber_loss", "kl_div", "nll_loss",
                                  "cross_entropy"])
def test_loss_function_takes_torchs_leading_arguments_in_order(name):
    ours = list(inspect.signature(getattr(nn.functional, name)).parameters)
    theirs = list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
    assert ours == theirs[:len(ours)]
    assert "reduction" in ours


def test_deprecated_flags_still_reduce_as_torch():
    y, t = np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.0, 2.0])
    for args in ((False,), (None, False), (True, True)):
        with pytest.warns(UserWarning):
            theirs = torch.nn.MSELoss(*args)(torch.tensor(y), torch.tensor(t))
        ours = nn.MSELoss(*args)(cr.tensor(y), cr.tensor(t))
        np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("weight_shape", [(3,), (2, 3), (1, 3)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_losses_take_a_weight_as_torch(weight_shape, reduction):
    rng = np.random.default_rng(3)
    z, t = rng.standard_normal((2, 3)), (rng.random((2, 3)) > 0.5) * 1.0
    w = rng.random(weight_shape) + 0.5
    p = 1 / (1 + np.exp(-z))
    compare_with_torch(lambda z, t, w: nn.BCEWithLogitsLoss(w, reduction=reduction)(z, t),
                       [z, t, w], grad=[True, False, False],
                       torch_fn=lambda z, t, w: torch.nn.BCEWithLogitsLoss(
                           w, reduction=reduction)(z, t))
    compare_with_torch(lambda p, t, w: nn.BCELoss(w, reduction=reduction)(p, t),
                       [p, t, w], grad=[True, False, False],
                       torch_fn=lambda p, t, w: torch.nn.BCELoss(w, reduction=reduction)(p, t))


def test_bce_weight_is_a_buffer_and_checked():
    loss = nn.BCELoss(cr.tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == list(torch.nn.BCELoss(torch.tensor([1.0, 2.0])).state_dict())
    with pytest.raises(ShapeError, match=r"weight of shape \(2,\) cannot be broadcast to the "
                                         r"input's shape \(2, 3\)"):
        loss(cr.full((2, 3), 0.5), cr.ones(2, 3))


# -- more names the idioms found missing ----------------------------------------------------------
POSITIVE_OPS = [
    ("reciprocal", lambda m: lambda x: m.reciprocal(x)),
    ("rsqrt", lambda m: lambda x: m.rsqrt(x)),
    ("log2", lambda m: lambda x: m.log2(x)),
    ("log10", lambda m: lambda x: m.log10(x)),
    ("clamp_min", lambda m: lambda x: m.clamp_min(x, 1.0)),
    ("clamp_max", lambda m: lambda x: x.clamp_max(1.0)),
    ("tril", lambda m: lambda x: m.tril(x)),
    ("triu -1", lambda m: lambda x: x.triu(-1)),
    ("triu batched", lambda m: lambda x: m.triu(x.reshape(2, 2, 3), 1)),
    ("masked_select", lambda m: lambda x: x.masked_select(x > 1.0) * 2),
    ("hstack", lambda m: lambda x: m.hstack([x, x * 2])),
    ("vstack", lambda m: lambda x: m.vstack([x[0], x])),
    ("add alpha", lambda m: lambda x: m.add(x, x, alpha=3)),
    ("sub mul div neg", lambda m: lambda x: m.neg(m.div(m.mul(m.sub(x, 1), x), x + 1))),
]


@pytest.mark.parametrize("name, fn", POSITIVE_OPS, ids=[n for n, _ in POSITIVE_OPS])
def test_new_composition_matches_torch_and_finite_differences(name, fn):
    x = np.random.default_rng(4).uniform(0.5, 2.0, (4, 3))
    check_op(fn(cr), [x], torch_fn=fn(torch))


@pytest.mark.parametrize("name", ["round", "floor", "ceil"])
def test_rounding_has_a_zero_gradient_as_torch(name):
    x = np.array([[-1.5, -0.4, 0.5], [1.5, 2.5, 2.7]])
    compare_with_torch(lambda x: getattr(x, name)() * x, [x])
    assert getattr(cr, name)(cr.tensor(x)).tolist() == getattr(torch, name)(
        torch.tensor(x)).tolist()


def test_logical_and_counting_names_as_torch():
    x = np.array([[0.0, 2.0, -1.0], [3.0, 0.0, 0.0]])
    c, t = cr.tensor(x), torch.tensor(x)
    for name in ("any", "all", "count_nonzero"):
        for dim in (None, 0, 1, -1):
            args = () if dim is None else (dim,)
            ours, theirs = getattr(cr, name)(c, *args), getattr(torch, name)(t, *args)
            assert ours.dtype == theirs.numpy().dtype and ours.tolist() == theirs.tolist()
    assert cr.nonzero(c).tolist() == torch.nonzero(t).tolist()
    assert [w.tolist() for w in cr.where(c > 0)] == [w.tolist() for w in torch.where(t > 0)]
    assert cr.logical_xor(c > 0, c < 3).tolist() == torch.logical_xor(t > 0, t < 3).tolist()
    values, inverse, counts = cr.unique(cr.tensor([3, 1, 3, 2]), return_inverse=True,
                                        return_counts=True)
    theirs = torch.unique(torch.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    assert [values.tolist(), inverse.tolist(), counts.tolist()] == [a.tolist() for a in theirs]
    assert cr.bincount(cr.tensor([1, 1, 3]), minlength=5).tolist() == torch.bincount(
        torch.tensor([1, 1, 3]), minlength=5).tolist()


def test_new_names_bad_input_is_named():
    with pytest.raises(ShapeError, match="tril: needs a matrix"):
        cr.tril(cr.ones(3))
    with pytest.raises(ValueError, match="bincount: needs a 1-d tensor of non-negative integers"):
        cr.bincount(cr.tensor([1, -1]))
    with pytest.raises(TypeError, match="where: give both a and b"):
        cr.where(cr.ones(2) > 0, cr.ones(2))
    with pytest.raises(ShapeError, match="masked_select: a mask of shape"):
        cr.ones(2, 3).masked_select(cr.ones(3, 3, dtype=cr.bool))


def test_repr_names_the_dtype_unless_it_is_the_default(default_float64):
    for make in (lambda m: m.tensor([1.5]), lambda m: m.tensor([1.5], dtype=m.float32)):
        ours, theirs = repr(make(cr)), repr(make(torch))
        assert ("dtype=" in ours) == ("dtype=" in theirs), (ours, theirs)
        assert theirs.endswith("dtype=torch.float32)") == ours.endswith("dtype=float32)")
