"""Bad input gets a clear error that names what was wrong: the op, the shapes, the class, the
argument. ``detect_anomaly`` names the op whose forward or backward made NaN or inf.
"""

import re

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def shape_error(*fragments):
    """``pytest.raises(ShapeError)`` whose message contains every fragment, in order."""
    return pytest.raises(cr.ShapeError, match=".*".join(map(re.escape, fragments)))


def test_shape_error_is_a_value_error():
    assert issubclass(cr.ShapeError, ValueError)


# -- shapes that do not fit -----------------------------------------------------------------------
def test_add_of_shapes_that_do_not_broadcast():
    with shape_error("Add", "(2, 3)", "(4, 3)"):
        cr.ones(2, 3) + cr.ones(4, 3)


def test_matmul_of_inner_sizes_that_differ():
    with shape_error("MatMul", "(2, 3)", "(4, 3)"):
        cr.ones(2, 3) @ cr.ones(4, 3)
    with shape_error("MatMul", "(3,)", "(4,)"):
        cr.matmul(cr.ones(3), cr.ones(4))


def test_linear_with_the_wrong_number_of_features():
    with shape_error("linear", "(2, 3)", "(2, 4)"):
        F.linear(cr.ones(2, 3), cr.ones(2, 4))
    with shape_error("linear", "bias", "(3,)", "out_features=2"):
        F.linear(cr.ones(2, 3), cr.ones(2, 3), cr.ones(3))


@pytest.mark.parametrize("loss", [
    F.sse, F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits,
    F.cross_entropy,
])
def test_losses_refuse_input_and_target_of_different_shapes(loss):
    name = loss.__name__
    with shape_error(name, "(2, 3)", "(4, 3)"):
        loss(cr.full((2, 3), 0.5), cr.full((4, 3), 0.5))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_class_index_targets_of_the_wrong_shape(loss):
    with shape_error(loss.__name__, "(2, 3)", "(2,)", "(3,)"):
        loss(cr.ones(2, 3), np.array([0, 1, 2]))


def test_concatenate_and_stack_name_the_input_shapes():
    with shape_error("Concatenate", "(2, 3), (2, 2)"):
        cr.concatenate([cr.ones(2, 3), cr.ones(2, 2)], axis=0)
    with shape_error("Stack", "(2, 3), (4, 3)"):
        cr.stack([cr.ones(2, 3), cr.ones(4, 3)])


@pytest.mark.parametrize("join", [cr.cat, cr.stack])
def test_cat_and_stack_want_a_sequence_of_tensors_not_a_tensor(join):
    x = cr.ones(2, 3)
    with pytest.raises(TypeError, match=r"(cat|stack): .*a list or tuple of tensors, not a Tensor"):
        join(x)  # would otherwise join the rows of x without a word
    with pytest.raises(TypeError, match=r"(cat|stack): element 1 is of type int, not a tensor"):
        join([x, 3])


def test_where_wants_a_boolean_condition_as_torch():
    x = cr.tensor([0.0, 0.3, -2.0])
    with pytest.raises(TypeError, match="where: the condition must be boolean .* float32"):
        cr.where(x, x, -x)  # not "x > 0": torch refuses it too
    assert cr.where(x > 0, x, -x).tolist() == torch.where(torch.tensor(x.array) > 0,
                                                          torch.tensor(x.array),
                                                          -torch.tensor(x.array)).tolist()


@pytest.mark.parametrize("shape", [(0,), (2, 3)])
def test_the_truth_value_of_a_tensor_names_its_shape(shape):
    message = rf"truth value of a tensor of shape {re.escape(str(shape))} \({np.prod(shape)} "
    with pytest.raises(ValueError, match=message + r"elements\) is ambiguous"):
        bool(cr.zeros(shape))


def test_iterating_a_0d_tensor_says_so_as_torch():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(cr.tensor(1.0))


def test_concatenate_of_0d_tensors_says_there_is_no_dim_to_join():
    with shape_error("cat: a 0-d tensor", "stack"):
        cr.cat([cr.tensor(1.0), cr.tensor(2.0)])


@pytest.mark.parametrize("change, error, message", [
    (lambda x: x.__iadd__(cr.ones(2, 3)), cr.ShapeError, r"\+=: .*\(3,\) .*\(2, 3\)"),
    (lambda x: x.long().__iadd__(1.5), TypeError, r"\+=: .*int64 tensor .*float64"),
    (lambda x: x.long().__itruediv__(2), TypeError, r"/=: .*int64 tensor .*float64"),
])
def test_in_place_arithmetic_that_cannot_keep_the_shape_or_dtype_says_so(change, error, message):
    with pytest.raises(error, match=message):
        change(cr.ones(3))


def test_reshape_to_a_different_size():
    with shape_error("Reshape", "(2, 3)"):
        cr.ones(2, 3).reshape(5)


def test_backward_with_a_gradient_of_the_wrong_shape():
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 2.0
    with shape_error("backward", "(3,)", "(2,)"):
        y.backward(np.ones(3))


# -- gradients that cannot exist ------------------------------------------------------------------
def test_requires_grad_on_an_integer_tensor():
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        cr.tensor([1, 2], requires_grad=True)


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (cr.tensor([1.0]) * 2.0).sum().backward()


def test_backward_on_a_result_computed_inside_no_grad():
    x = cr.tensor(1.0, requires_grad=True)
    with cr.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_backward_on_a_non_scalar_without_a_gradient():
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"gradient argument.*\(2,\)"):
        y.backward()


# -- targets and values out of range --------------------------------------------------------------
@pytest.mark.parametrize("bad", [3, -1, 7])
def test_cross_entropy_with_an_out_of_range_class_names_the_class(bad):
    with pytest.raises(IndexError, match=f"class {bad} .*3 classes"):
        F.cross_entropy(cr.ones(2, 3), np.array([0, bad]))


def test_nll_loss_with_an_out_of_range_class_names_the_class():
    with pytest.raises(IndexError, match="class 4"):
        F.nll_loss(cr.ones(2, 3), np.array([4, 0]))


def test_class_index_targets_must_be_integers():
    with pytest.raises(TypeError, match="integers"):
        F.nll_loss(cr.ones(2, 3), np.array([0.0, 1.0]))


@pytest.mark.parametrize("logits, labels", [(cr.ones(2, 3), [0.0, 2.0]),
                                            (cr.ones(2, 3, 4), np.zeros((2, 4)))])
def test_cross_entropy_with_class_indices_stored_as_floats_says_so(logits, labels):
    # not "input and target must have the same shape": these are indices, not probabilities
    with pytest.raises(TypeError, match="class-index targets must be integers, got dtype float"):
        F.cross_entropy(logits, labels)
    with pytest.raises(TypeError, match="integers"):
        nn.CrossEntropyLoss()(logits, cr.tensor(labels))


@pytest.mark.parametrize("value", [1.5, -0.5])
def test_binary_cross_entropy_outside_zero_one(value):
    p = cr.tensor([0.5, value])
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\[0, 1\]") as info:
        F.binary_cross_entropy(p, cr.tensor([1.0, 0.0]))
    assert not isinstance(info.value, cr.ShapeError)


def test_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction.*'avg'"):
        F.mse_loss(cr.ones(2), cr.ones(2), reduction="avg")


def test_a_reduction_axis_out_of_range():
    with pytest.raises(IndexError, match=r"sum: dim 3 is out of range .* 2 dimension"):
        cr.ones(2, 3).sum(axis=3)
    with pytest.raises(IndexError, match=r"max: dim -3 is out of range .* 2 dimension"):
        cr.ones(2, 3).max(axis=-3)
    with pytest.raises(TypeError, match=r"mean: dim must be an integer, got 0.5"):
        cr.ones(2, 3).mean(axis=(0, 0.5))


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dim", [0, -1])
def test_a_0d_tensor_reduces_over_its_one_dim_as_in_torch(name, dim):
    x = cr.tensor(2.0, requires_grad=True)
    y = getattr(x, name)(axis=dim)
    y.backward()
    expected = getattr(torch.tensor(2.0), name)(dim)
    assert y.item() == (expected if name in ("sum", "mean") else expected.values).item()
    assert x.grad.item() == 1.0


# -- detect_anomaly -------------------------------------------------------------------------------
def test_detect_anomaly_names_the_op_whose_forward_makes_nan():
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match="Log.*NaN.*forward"):
        x.log()


def test_detect_anomaly_names_the_op_whose_backward_makes_inf():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt().sum()  # √0 is fine; its slope 1/(2√0) is not
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match="Sqrt.*inf.*backward"):
        y.backward()


def test_without_detect_anomaly_nan_passes_silently_and_the_mode_is_restored():
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    with cr.detect_anomaly():
        pass
    assert np.isnan(x.log().array[1])


def test_a_tensor_of_strings_or_ragged_lists_is_refused_by_name():
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        cr.tensor("abc")
    with pytest.raises(ValueError, match="rectangular"):
        cr.tensor([[1, 2], [3]])


def test_linear_layer_sizes_must_be_integers_and_inputs_numbers():
    from chainrule import nn

    with pytest.raises(TypeError, match="in_features must be an integer"):
        nn.Linear(2.5, 3)
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        nn.Linear(3, 2)("abc")
    assert nn.Linear(3, 2)([[1.0, 2.0, 3.0]]).shape == (1, 2)  # a list is fine


@pytest.mark.parametrize("call, method", [
    (lambda x: x.transpose(0, 4), "transpose"),
    (lambda x: x.transpose(-4, 1), "transpose"),
    (lambda x: x.flatten(3), "flatten"),
    (lambda x: x.flatten(0, -4), "flatten"),
    (lambda x: x.squeeze(3), "squeeze"),
    (lambda x: x.unsqueeze(4), "unsqueeze"),
    (lambda x: x.unsqueeze(-5), "unsqueeze"),
    (lambda x: x.size(3), "size"),
    (lambda x: x.size(-4), "size"),
])
def test_a_dim_out_of_range_is_an_index_error_not_a_wrap_around(call, method):
    x = cr.ones(2, 3, 1)
    with pytest.raises(IndexError, match=rf"{method}: dim -?\d+ is out of range .* 3 dim"):
        call(x)


def test_flatten_refuses_a_start_after_the_end():
    with pytest.raises(IndexError, match="flatten: start_dim 2 comes after end_dim 0"):
        cr.ones(2, 3, 4).flatten(2, 0)


def test_a_dim_must_be_an_integer():
    with pytest.raises(TypeError, match="unsqueeze: dim must be an integer, got 1.5"):
        cr.ones(2, 3).unsqueeze(1.5)


@pytest.mark.parametrize("call, message", [
    (lambda: cr.ones(2, 3).argmax(dim=5), "argmax: dim 5 is out of range"),
    (lambda: cr.ones(2, 3).argmin(dim=-3), "argmin: dim -3 is out of range"),
    (lambda: cr.cat([cr.ones(2, 3), cr.ones(2, 3)], dim=2), "cat: dim 2 is out of range"),
    (lambda: cr.stack([cr.ones(2, 3), cr.ones(2, 3)], dim=3), "stack: dim 3 is out of range"),
])
def test_joining_and_arg_reductions_name_a_dim_out_of_range(call, message):
    with pytest.raises(IndexError, match=message):
        call()


@pytest.mark.parametrize("call, error, message", [
    (lambda: cr.ones(2, 3).mean(dim=0.5), TypeError, "axis .dim. must be an integer .* 0.5"),
    (lambda: cr.zeros(2.5), TypeError, "zeros: sizes must be integers, got 2.5"),
    (lambda: cr.ones((2, "3")), TypeError, r"ones: sizes must be integers, got \(2, '3'\)"),
    (lambda: cr.randn(-1, 2), ValueError, r"randn: sizes must not be negative, got \(-1, 2\)"),
    (lambda: cr.rand(2, True), TypeError, "rand: sizes must be integers"),
])
def test_bad_sizes_and_axes_say_which_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
