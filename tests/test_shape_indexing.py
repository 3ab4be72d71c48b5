"""torch's shape and indexing names: repeat, split, chunk, flip, roll, narrow, gather,
index_select, mT, outer, bmm, contiguous, and the dtype and new-tensor ones: is_floating_point,
type_as, new_zeros, new_ones, new_full, new_tensor, detach_. Each op is checked by finite
differences and against PyTorch (values, shapes and every gradient, float64), on shapes drawn by
hypothesis and on the edge cases (empty pieces, dims of size 1, negative dims); bad arguments get
an error that names the method.
"""

import re

import numpy as np
import pytest
import torch
from device_double import active
from helpers import check_op, compare_with_torch, normal, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


def joined(pieces, dim):
    """The pieces of a split weighted 1, 2, 3... and joined again: one output whose gradient
    tells each piece's gradient apart."""
    lib = cr if isinstance(pieces[0], cr.Tensor) else torch
    return lib.cat([p * (i + 1) for i, p in enumerate(pieces)], dim=dim)


def same_shapes(ours, theirs):
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]


# -- repeat ----------------------------------------------------------------------------------------
@given(shapes(max_dims=3, max_side=3), seeds, st.data())
def test_repeat_matches_torch(shape, seed, data):
    extra = data.draw(st.integers(0 if shape else 1, 2))  # torch wants at least one count
    reps = tuple(data.draw(st.integers(1, 3)) for _ in range(len(shape) + extra))
    check_op(lambda a: a.repeat(*reps), [normal(seed, shape)])


@pytest.mark.parametrize("reps", [(2, 0, 1), (1, 1, 1), ((3, 1, 2),)])
def test_repeat_with_zero_ones_or_a_tuple_as_torch(reps, rng):
    check_op(lambda a: a.repeat(*reps), [rng.standard_normal((2, 1, 3))])


def test_repeat_accepts_the_repeats_keyword(rng):
    compare_with_torch(lambda a: a.repeat(repeats=(2, 2)), [rng.standard_normal(3)])


# -- split and chunk -------------------------------------------------------------------------------
@given(shapes(min_dims=1), st.integers(1, 5), seeds, st.data())
def test_split_into_pieces_of_a_size(shape, size, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_op(lambda a: joined(a.split(size, dim), dim), [normal(seed, shape)])
    x = normal(seed, shape)
    same_shapes(cr.split(cr.tensor(x), size, dim), torch.split(torch.tensor(x), size, dim))


@given(shapes(min_dims=1, max_side=5), seeds, st.data())
def test_split_into_a_list_of_sizes_some_empty(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))  # repeated cuts: empty
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
    check_op(lambda a: joined(a.split(sizes, dim), dim), [normal(seed, shape)])


def test_split_of_an_empty_dim_as_torch():
    x = np.zeros((0, 3))
    for size in (2, 0, [0, 0]):
        same_shapes(cr.tensor(x).split(size), torch.tensor(x).split(size))


@given(shapes(min_dims=1, max_side=6), st.integers(1, 7), seeds, st.data())
def test_chunk_matches_torch_even_with_fewer_pieces(shape, chunks, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_op(lambda a: joined(a.chunk(chunks, dim), dim), [normal(seed, shape)])
    x = normal(seed, shape)
    same_shapes(cr.chunk(cr.tensor(x), chunks, dim), torch.chunk(torch.tensor(x), chunks, dim))


def test_chunk_of_an_empty_dim_gives_that_many_empty_pieces_as_torch():
    x = np.zeros((0, 3))
    same_shapes(cr.tensor(x).chunk(3), torch.tensor(x).chunk(3))


# -- flip, roll, narrow ----------------------------------------------------------------------------
@given(shapes(min_dims=1), seeds, st.data())
def test_flip_matches_torch(shape, seed, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    dims = [d - ndim if data.draw(st.booleans()) else d for d in dims]  # some negative
    check_op(lambda a: a.flip(dims), [normal(seed, shape)])
    if dims:
        check_op(lambda a: a.flip(*dims), [normal(seed, shape)], torch_fn=lambda a: a.flip(dims))
    check_op(lambda a: cr.flip(a, dims), [normal(seed, shape)],
             torch_fn=lambda a: torch.flip(a, dims))


@given(shapes(min_dims=1), seeds, st.data())
def test_roll_along_dims_matches_torch(shape, seed, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=3))
    shifts = [data.draw(st.integers(-7, 7)) for _ in dims]  # a dim named twice adds its shifts
    check_op(lambda a: a.roll(shifts, dims), [normal(seed, shape)])
    check_op(lambda a: cr.roll(a, shifts, dims), [normal(seed, shape)],
             torch_fn=lambda a: torch.roll(a, shifts, dims))


@given(shapes(), st.integers(-9, 9), seeds)
def test_roll_without_dims_rolls_the_flattened_tensor(shape, shift, seed):
    check_op(lambda a: a.roll(shift), [normal(seed, shape)])


def test_roll_of_one_int_along_one_dim(rng):
    check_op(lambda a: a.roll(shifts=-1, dims=-1), [rng.standard_normal((2, 3))])


@given(shapes(min_dims=1, max_side=5), seeds, st.data())
def test_narrow_matches_torch(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    start = data.draw(st.integers(-n, n))
    length = data.draw(st.integers(0, n - start % n if start < 0 else n - start))
    check_op(lambda a: a.narrow(dim, start, length), [normal(seed, shape)])
    check_op(lambda a: cr.narrow(a, dim, start, length), [normal(seed, shape)],
             torch_fn=lambda a: torch.narrow(a, dim, start, length))


def test_narrow_takes_a_0d_integer_tensor_as_start(rng):
    x = rng.standard_normal((4, 2))
    np.testing.assert_array_equal(cr.tensor(x).narrow(0, cr.tensor(1), 2).array,
                                  torch.tensor(x).narrow(0, torch.tensor(1), 2).numpy())


# -- gather and index_select -----------------------------------------------------------------------
@given(shapes(min_dims=1, max_side=4), seeds, st.data())
def test_gather_matches_torch_with_repeats_and_a_smaller_index(shape, seed, data):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    rng = np.random.default_rng(seed)
    index_shape = [data.draw(st.integers(0, 5)) if d == dim % ndim else
                   data.draw(st.integers(0, n)) for d, n in enumerate(shape)]
    index = rng.integers(0, shape[dim], index_shape)
    check_op(lambda a: a.gather(dim, active.put(index)), [normal(seed, shape)],
             torch_fn=lambda a: a.gather(dim, torch.from_numpy(index)))
    check_op(lambda a: cr.gather(a, dim, active.put(index)), [normal(seed, shape)],
             torch_fn=lambda a: torch.gather(a, dim, torch.from_numpy(index)))


def test_gather_gradient_counts_repeated_picks():
    x = cr.tensor([[1.0, 2.0, 3.0]], dtype=cr.float64, requires_grad=True)
    x.gather(1, cr.tensor([[2, 2, 0, 2]])).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[1.0, 0.0, 3.0]])


def test_gather_of_a_0d_tensor_or_index_and_an_int32_index_as_torch():
    compare_with_torch(lambda a: a.gather(0, active.put(0)), [np.array(2.5)],
                       torch_fn=lambda a: a.gather(0, torch.tensor(0)))
    compare_with_torch(lambda a: a.gather(0, active.put([0])), [np.array(2.5)],
                       torch_fn=lambda a: a.gather(0, torch.tensor([0])))
    compare_with_torch(lambda a: a.gather(-1, active.put(2)), [np.array([1.0, 2.0, 3.0])],
                       torch_fn=lambda a: a.gather(-1, torch.tensor(2)))
    index = np.array([[1, 0]], dtype=np.int32)
    compare_with_torch(lambda a: a.gather(-1, active.put(index)), [np.ones((2, 3))],
                       torch_fn=lambda a: a.gather(-1, torch.from_numpy(index)))


@given(shapes(min_dims=1, max_side=4), st.lists(st.integers(0, 3), max_size=6), seeds, st.data())
def test_index_select_matches_torch(shape, picks, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index = np.array([p % shape[dim] for p in picks], dtype=np.int64)
    check_op(lambda a: a.index_select(dim, active.put(index)), [normal(seed, shape)],
             torch_fn=lambda a: a.index_select(dim, torch.from_numpy(index)))
    check_op(lambda a: cr.index_select(a, dim, active.put(index)), [normal(seed, shape)],
             torch_fn=lambda a: torch.index_select(a, dim, torch.from_numpy(index)))


@pytest.mark.parametrize("shape, index", [((2, 3), np.array(1)), ((), np.array([0])),
                                          ((), np.array(0)),
                                          ((3, 2), np.array([2, 0], dtype=np.int32))])
def test_index_select_with_a_0d_index_or_tensor_as_torch(shape, index, rng):
    x = rng.standard_normal(shape)
    compare_with_torch(lambda a: a.index_select(0, active.put(index)), [x],
                       torch_fn=lambda a: a.index_select(0, torch.from_numpy(index)))


# -- matrices: mT, outer, bmm, contiguous ---------------------------------------------------------
@given(shapes(min_dims=2, max_dims=4), seeds)
def test_mT_transposes_the_last_two_dims(shape, seed):
    check_op(lambda a: a.mT, [normal(seed, shape)])


@given(st.integers(0, 4), st.integers(0, 4), seeds)
def test_outer_matches_torch(n, m, seed):
    check_op(lambda a, b: a.outer(b), [normal(seed, n), normal(seed + 1, m)])
    check_op(lambda a, b: cr.outer(a, b), [normal(seed, n), normal(seed + 1, m)],
             torch_fn=lambda a, b: torch.outer(a, b))


def test_outer_of_an_integer_and_a_float_vector_is_float32_as_torch():
    ours = cr.tensor([1, 2]).outer(cr.tensor([0.5, 1.0, 2.0]))
    theirs = torch.tensor([1, 2]).outer(torch.tensor([0.5, 1.0, 2.0]))
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    np.testing.assert_array_equal(ours.array, theirs.numpy())


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.integers(1, 3), seeds)
def test_bmm_matches_torch(b, n, k, m, seed):
    inputs = [normal(seed, (b, n, k)), normal(seed + 1, (b, k, m))]
    check_op(lambda x, y: x.bmm(y), inputs)
    check_op(lambda x, y: cr.bmm(x, y), inputs, torch_fn=lambda x, y: torch.bmm(x, y))


def test_contiguous_returns_the_tensor_itself():
    x = cr.ones(2, 3, requires_grad=True)
    assert x.contiguous() is x
    assert x.T.contiguous().shape == (3, 2)


# -- dtype and new tensors: is_floating_point, type_as, new_*, detach_ ---------------------------
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64,
               np.int32: torch.int32, np.bool_: torch.bool, np.float16: torch.float16}


def same_as_torch(ours, theirs):
    assert ours.dtype == theirs.numpy().dtype, f"dtype {ours.dtype} != {theirs.dtype}"
    np.testing.assert_array_equal(ours.array, theirs.numpy())
    assert ours.requires_grad == theirs.requires_grad and ours.is_leaf


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64, np.int32,
                                   np.bool_])
def test_is_floating_point_as_torch(dtype):
    ours, theirs = cr.zeros(2, dtype=dtype), torch.zeros(2, dtype=TORCH_DTYPE[dtype])
    assert ours.is_floating_point() == theirs.is_floating_point()
    assert cr.is_floating_point(ours) == torch.is_floating_point(theirs)


@pytest.mark.parametrize("source, target", [(np.int64, np.float64), (np.float64, np.float32),
                                            (np.float32, np.int64), (np.float32, np.float32)])
def test_type_as_takes_the_other_tensor_s_dtype(source, target):
    x = np.array([1.5, -2.0, 3.0])
    ours = cr.tensor(x.astype(source)).type_as(cr.zeros(1, dtype=target))
    theirs = torch.tensor(x.astype(source)).type_as(torch.zeros(1, dtype=TORCH_DTYPE[target]))
    same_as_torch(ours, theirs)


def test_type_as_passes_the_gradient_back_in_the_source_dtype(rng):
    compare_with_torch(lambda a: a.type_as(cr.zeros(1, dtype=cr.float32)).double() * 2,
                       [rng.standard_normal(3)],
                       torch_fn=lambda a: a.type_as(torch.zeros(1)).double() * 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("make", [
    lambda x, lib: x.new_zeros(2, 3), lambda x, lib: x.new_zeros((0, 2)),
    lambda x, lib: x.new_ones([3]), lambda x, lib: x.new_ones(2, dtype=lib.float64),
    lambda x, lib: x.new_full((2, 2), 1.5), lambda x, lib: x.new_full([3], 7, dtype=lib.int32),
    lambda x, lib: x.new_tensor([1, 2, 3]), lambda x, lib: x.new_tensor([[0.5, 2.5]]),
    lambda x, lib: x.new_tensor(np.array([1.25, 2.0])),
    lambda x, lib: x.new_tensor([1.0, 2.0], dtype=lib.float64),
])
def test_new_tensors_take_this_tensor_s_dtype_as_torch(make, dtype):
    ours = make(cr.zeros(1, dtype=dtype), cr)
    theirs = make(torch.zeros(1, dtype=TORCH_DTYPE[dtype]), torch)
    same_as_torch(ours, theirs)


def test_new_tensors_may_require_grad_and_copy_their_data():
    x = cr.zeros(2, dtype=cr.float64)
    assert x.new_ones(2, requires_grad=True).requires_grad
    assert x.new_full((1,), 2.0, requires_grad=True).requires_grad
    data = np.array([1.0, 2.0])
    copy = x.new_tensor(data, requires_grad=True)
    data[0] = 5.0
    assert copy.tolist() == [1.0, 2.0] and copy.requires_grad and copy.is_leaf


def test_detach_in_place_makes_a_leaf_that_needs_no_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (y * y).sum().backward()  # truncated BPTT: detach_ after the backward through y
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    x.grad = None
    z = y * 3 + x
    assert z.requires_grad
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]  # nothing flows through y


def test_detach_in_place_of_a_live_graph_is_refused_not_silently_wrong():
    # torch keeps w = y * 3's path to x after y.detach_(); chainrule's engine would cut it,
    # so it refuses rather than give x a wrong gradient
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    w = y * 3
    with pytest.raises(RuntimeError, match="detach_: this tensor's graph has not been through"):
        y.detach_()
    assert y.grad_fn is not None
    w.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    assert cr.tensor([1.0]).detach_().is_leaf  # a leaf has nothing to cut


# -- bad arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.repeat(2), cr.ShapeError, "repeat: 1 repeat count"),
    (lambda x: x.repeat(2, -1), ValueError, "repeat: counts must be non-negative"),
    (lambda x: x.repeat(), TypeError, "repeat: give the repeat counts"),
    (lambda x: x.split(0), ValueError, "split: split_size must be positive"),
    (lambda x: x.split([1, 2]), ValueError, "split: the sizes [1, 2] add up to 3, but dim 0"),
    (lambda x: x.split(1, dim=2), IndexError, "split: dim 2 is out of range"),
    (lambda x: x.chunk(0), ValueError, "chunk: chunks must be a positive integer"),
    (lambda x: x.flip(0, -2), ValueError, "flip: a dim appears more than once"),
    (lambda x: x.flip(3), IndexError, "flip: dim 3 is out of range"),
    (lambda x: x.flip(), TypeError, "flip: give the dims to flip"),
    (lambda x: x.roll((1, 2), 0), ValueError, "roll: 2 shift(s) (1, 2) for 1 dim"),
    (lambda x: x.roll((1, 2)), ValueError, "roll: without dims there must be one shift"),
    (lambda x: x.roll(1, -3), IndexError, "roll: dim -3 is out of range"),
    (lambda x: x.roll(1.5, 0), TypeError, "roll: shifts must be integers, got (1.5,)"),
    (lambda x: x.narrow(1, 2, 2), ValueError, "narrow: start 2 + length 2 exceeds the size 3"),
    (lambda x: x.narrow(0, -3, 1), IndexError, "narrow: start -3 is out of range"),
    (lambda x: x.narrow(0, 0, -1), ValueError, "narrow: length must be non-negative"),
    (lambda x: x.narrow(0, 0.5, 1), TypeError, "narrow: start and length must be integers"),
    (lambda x: x.gather(1, cr.tensor([[0.0]])), TypeError, "gather: index must be an int64"),
    (lambda x: x.gather(1, [[0]]), TypeError, "gather: index must be a tensor, not list"),
    (lambda x: x.gather(1, cr.tensor([0])), cr.ShapeError, "gather: the index has 1 dims"),
    (lambda x: x.gather(1, cr.tensor([[3]])), IndexError, "gather: index 3 is out of range"),
    (lambda x: x.gather(1, cr.tensor([[-1]])), IndexError, "gather: index -1 is out of range"),
    (lambda x: x.gather(0, cr.tensor([[0, 0, 0, 0]])), cr.ShapeError,
     "gather: the index of shape (1, 4) is larger than the tensor of shape (2, 3) at dim 1"),
    (lambda x: x.gather(0, cr.tensor([[0]]), sparse_grad=True), NotImplementedError,
     "gather: chainrule has no sparse tensors"),
    (lambda x: x.index_select(0, cr.tensor([2])), IndexError, "index_select: index 2 is out of"),
    (lambda x: x.index_select(0, cr.tensor([-1])), IndexError, "index_select: index -1 is out"),
    (lambda x: x.index_select(0, cr.tensor([[0]])), cr.ShapeError,
     "index_select: the index must be a vector"),
    (lambda x: x.index_select(0, cr.tensor([True])), TypeError, "index_select: index must be"),
    (lambda x: x.index_select(2, cr.tensor([0])), IndexError, "index_select: dim 2 is out"),
    (lambda x: x[0].mT, cr.ShapeError, "mT: needs a matrix or a batch of matrices, got a 1-d"),
    (lambda x: x.outer(cr.ones(2)), cr.ShapeError, "outer expects 1-d tensors"),
    (lambda x: x.bmm(x), cr.ShapeError, "bmm expects 3-d tensors, got shapes (2, 3), (2, 3)"),
    (lambda x: x[None].bmm(cr.ones(2, 3, 1)), cr.ShapeError,
     "bmm: shapes (1, 2, 3) and (2, 3, 1) do not fit"),
    (lambda x: x[None].bmm(cr.ones(1, 2, 1)), cr.ShapeError,
     "bmm: shapes (1, 2, 3) and (1, 2, 1) do not fit"),
    (lambda x: x[None].bmm(cr.ones(1, 3, 1, dtype=cr.float64)), TypeError,
     "bmm: both tensors must have the same dtype, got float32 and float64"),
    (lambda x: x.new_zeros(2, -1), ValueError, "new_zeros: sizes must not be negative"),
    (lambda x: x.new_ones(2.0), TypeError, "new_ones: sizes must be integers"),
    (lambda x: x.new_full(2, 1.0), TypeError, "new_full: size must be a tuple of ints"),
    (lambda x: x.new_tensor([1, 2], requires_grad=True, dtype=cr.int64), RuntimeError,
     "only floating point tensors can require gradients"),
])
def test_bad_arguments_name_the_method_and_the_problem(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(cr.ones(2, 3))


@pytest.mark.parametrize("call", [lambda x: x.split(1), lambda x: x.chunk(1),
                                  lambda x: x.narrow(0, 0, 1), lambda x: x.flip(0),
                                  lambda x: x.roll(1, 0)])
def test_a_0d_tensor_has_no_dim_to_split_narrow_flip_or_roll(call):
    with pytest.raises((cr.ShapeError, IndexError), match="0-d tensor has no dim"):
        call(cr.tensor(1.0))
