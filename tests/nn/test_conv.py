"""Convolution, pooling, padding and channel dropout: each op gradchecked in float64 and compared
with torch (values and gradients) over strides, paddings, dilations, groups and shapes; the
layers compared with torch's from the same weights; bad arguments named in the error."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_op, compare_with_torch, normal, seeds
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

conv_settings = st.fixed_dictionaries({
    "kernel": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "stride": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "padding": st.tuples(st.integers(0, 2), st.integers(0, 2)),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "groups": st.sampled_from([1, 2]),
    "bias": st.booleans(),
    "n": st.integers(1, 2),
})


@given(conv_settings, seeds)
def test_conv2d_matches_torch_and_finite_differences(s, seed):
    g = s["groups"]
    x = normal(seed, (s["n"], 2 * g, 5, 5))  # room for a 3-wide kernel dilated by 2
    w = normal(seed + 1, (2 * g, 2) + s["kernel"])
    args = dict(stride=s["stride"], padding=s["padding"], dilation=s["dilation"], groups=g)
    if s["bias"]:
        check_op(lambda x, w, b: F.conv2d(x, w, b, **args), [x, w, normal(seed + 2, 2 * g)],
                 torch_fn=lambda x, w, b: TF.conv2d(x, w, b, **args))
    else:
        check_op(lambda x, w: F.conv2d(x, w, **args), [x, w],
                 torch_fn=lambda x, w: TF.conv2d(x, w, **args))


@pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning")
@pytest.mark.parametrize("kernel,dilation", [((3, 3), (1, 1)), ((2, 4), (1, 1)), ((3, 2), (2, 3))])
def test_conv2d_same_padding_matches_torch_also_when_the_total_is_odd(kernel, dilation):
    x, w = normal(0, (2, 3, 7, 6)), normal(1, (4, 3) + kernel)
    check_op(lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation), [x, w],
             torch_fn=lambda x, w: TF.conv2d(x, w, padding="same", dilation=dilation))


def test_conv2d_valid_padding_and_an_unbatched_image():
    x, w = normal(0, (3, 5, 5)), normal(1, (2, 3, 3, 3))
    out = compare_with_torch(lambda x, w: F.conv2d(x, w, padding="valid"), [x, w],
                             torch_fn=lambda x, w: TF.conv2d(x, w, padding="valid"))
    assert out.shape == (2, 3, 3)


def test_conv2d_is_one_node():
    x = cr.tensor(normal(0, (1, 1, 4, 4)), requires_grad=True)
    w = cr.tensor(normal(1, (2, 1, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, cr.tensor(np.zeros(2), requires_grad=True), padding=1)
    assert y.grad_fn.name == "Conv2d"
    assert all(n is None for n in y.grad_fn.next_functions)


def test_conv2d_keeps_float32():
    x = cr.tensor(normal(0, (1, 2, 5, 5)).astype(np.float32))
    assert nn.Conv2d(2, 3, 3)(x).dtype == np.float32


@pytest.mark.parametrize("kwargs", [
    dict(), dict(stride=2, padding=1), dict(padding="same", bias=False), dict(dilation=2),
    dict(groups=2, padding=(1, 0)), dict(padding=1, padding_mode="reflect"),
    dict(padding=2, padding_mode="replicate"), dict(padding=1, padding_mode="circular"),
])
def test_conv2d_layer_matches_torch_from_the_same_weights(kwargs):
    ours = nn.Conv2d(4, 6, 3, **kwargs).double()
    theirs = torch.nn.Conv2d(4, 6, 3, **kwargs).double()
    ours.load_state_dict(theirs.state_dict())
    x = normal(2, (2, 4, 7, 8))
    compare_with_torch(lambda x: ours(x), [x], torch_fn=lambda x: theirs(x))
    xt = torch.tensor(x)
    theirs(xt).sum().backward()
    ours(cr.tensor(x)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.array, theirs.weight.grad.numpy(), rtol=1e-9)
    if ours.bias is not None:
        np.testing.assert_allclose(ours.bias.grad.array, theirs.bias.grad.numpy(), rtol=1e-9)


def test_conv2d_layer_initialises_like_torch():
    layer = nn.Conv2d(3, 8, (5, 3))
    bound = 1 / np.sqrt(3 * 5 * 3)
    assert layer.weight.shape == (8, 3, 5, 3) and layer.bias.shape == (8,)
    assert np.abs(layer.weight.array).max() <= bound and np.abs(layer.bias.array).max() <= bound
    assert layer.kernel_size == (5, 3) and layer.stride == (1, 1) and layer.padding == (0, 0)


def test_conv2d_errors_name_the_op_and_the_shapes():
    w = cr.tensor(normal(0, (4, 3, 3, 3)))
    with pytest.raises(cr.ShapeError, match=r"conv2d: input of shape \(1, 2, 5, 5\) has 2 "
                                            r"channels.*\(4, 3, 3, 3\)"):
        F.conv2d(cr.tensor(normal(0, (1, 2, 5, 5))), w)
    with pytest.raises(cr.ShapeError, match=r"conv2d: expected an input of shape \(N, C, H, W\)"):
        F.conv2d(cr.tensor(normal(0, (5, 5))), w)
    with pytest.raises(cr.ShapeError, match=r"smaller than the kernel"):
        F.conv2d(cr.tensor(normal(0, (1, 3, 2, 2))), w)
    with pytest.raises(ValueError, match=r"conv2d: padding='same' needs stride 1"):
        F.conv2d(cr.tensor(normal(0, (1, 3, 5, 5))), w, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: stride must be at least 1"):
        F.conv2d(cr.tensor(normal(0, (1, 3, 5, 5))), w, stride=0)
    with pytest.raises(ValueError, match=r"Conv2d: in_channels=3 and out_channels=4 must both be "
                                         r"divisible by groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)


# -- pooling --------------------------------------------------------------------------------------
pool_settings = st.fixed_dictionaries({
    "kernel": st.tuples(st.integers(1, 3), st.integers(2, 3)),
    "stride": st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 2))),
    "padding": st.tuples(st.integers(0, 1), st.integers(0, 1)),
    "ceil_mode": st.booleans(),
})


def _pool_args(s):
    kh, kw = s["kernel"]
    padding = (min(s["padding"][0], kh // 2), min(s["padding"][1], kw // 2))
    return dict(kernel_size=s["kernel"], stride=s["stride"], padding=padding,
                ceil_mode=s["ceil_mode"])


def _distinct(seed, shape):
    """Values with no ties, 0.1 apart, so finite differences never swap which pixel wins."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return ((rng.permutation(n) - n / 2) * 0.1).reshape(shape)


@given(pool_settings, st.tuples(st.integers(1, 2), st.integers(1, 2)), seeds)
def test_max_pool2d_matches_torch_and_finite_differences(s, dilation, seed):
    args = _pool_args(s)
    stride = args.pop("stride")
    check_op(lambda x: F.max_pool2d(x, stride=stride, dilation=dilation, **args),
             [_distinct(seed, (1, 2, 6, 5))],
             torch_fn=lambda x: TF.max_pool2d(x, stride=stride, dilation=dilation, **args),
             eps=1e-3)


def test_max_pool2d_sends_a_tie_to_the_first_maximum_as_torch():
    x = np.zeros((1, 1, 4, 4))
    compare_with_torch(lambda x: F.max_pool2d(x, 2), [x],
                       torch_fn=lambda x: TF.max_pool2d(x, 2))


@given(pool_settings, st.booleans(), st.sampled_from([None, 3]), seeds)
def test_avg_pool2d_matches_torch_and_finite_differences(s, count_include_pad, divisor, seed):
    args = _pool_args(s)
    stride = args.pop("stride")
    extra = dict(count_include_pad=count_include_pad, divisor_override=divisor)
    check_op(lambda x: F.avg_pool2d(x, stride=stride, **args, **extra),
             [normal(seed, (1, 2, 6, 5))],
             torch_fn=lambda x: TF.avg_pool2d(x, stride=stride, **args, **extra))


@pytest.mark.parametrize("layer,args", [("MaxPool2d", (2,)), ("MaxPool2d", (3, 2, 1)),
                                        ("AvgPool2d", (2,)), ("AvgPool2d", ((3, 2), 1, (1, 0)))])
def test_pool_layers_match_torch(layer, args):
    ours, theirs = getattr(nn, layer)(*args), getattr(torch.nn, layer)(*args)
    compare_with_torch(lambda x: ours(x), [_distinct(3, (2, 3, 8, 6))],
                       torch_fn=lambda x: theirs(x))


def test_pooling_errors_name_the_op():
    x = cr.tensor(normal(0, (1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(2, 2\) must be at most half"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(cr.ShapeError, match=r"avg_pool2d: input of shape \(1, 1, 4, 4\) is "
                                            r"smaller than the window \(5, 5\)"):
        F.avg_pool2d(x, 5)
    with pytest.raises(cr.ShapeError, match=r"max_pool2d: expected an input of shape"):
        F.max_pool2d(cr.tensor(normal(0, (4, 4))), 2)


# -- padding --------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("widths", [(1, 2), (0, 1, 2, 1), (2, 0, 1, 1)])
def test_pad_matches_torch_in_every_mode(mode, widths):
    # torch pads non-constant modes only for these input ranks
    x = normal(0, (3, 4, 5) if len(widths) == 2 else (2, 3, 4, 5))
    check_op(lambda x: F.pad(x, widths, mode=mode), [x],
             torch_fn=lambda x: TF.pad(x, widths, mode=mode))


def test_pad_constant_with_a_value_on_any_number_of_dims():
    check_op(lambda x: F.pad(x, (1, 1, 0, 2, 3, 0), value=-2.5), [normal(0, (2, 3, 4))],
             torch_fn=lambda x: TF.pad(x, (1, 1, 0, 2, 3, 0), value=-2.5))


def test_pad_errors():
    x = cr.tensor(normal(0, (1, 2, 3)))
    with pytest.raises(ValueError, match=r"pad: reflect padding of \(3, 0\) needs fewer than"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(cr.ShapeError, match=r"pad: the pad tuple \(1, 1, 1\)"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match=r"negative pads"):
        F.pad(x, (-1, 0))
    with pytest.raises(ValueError, match=r"pad: mode must be"):
        F.pad(x, (1, 0), mode="mirror")


# -- channel dropout ------------------------------------------------------------------------------
def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    cr.manual_seed(0)
    x = cr.tensor(np.ones((8, 16, 3, 3)), requires_grad=True)
    y = F.dropout2d(x, p=0.25)
    per_channel = y.array.reshape(8, 16, 9)
    assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))  # a channel is all or none
    assert set(np.unique(per_channel)) == {0.0, 1 / 0.75}
    assert 0.1 < (per_channel[..., 0] == 0).mean() < 0.4
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, y.array)  # dy/dx = mask/(1 − p)


def test_dropout2d_on_a_3d_input_drops_rows_as_torch_does_today():
    cr.manual_seed(1)
    y = F.dropout2d(cr.tensor(np.ones((6, 8, 5))), p=0.5).array
    assert np.all(y.min(axis=-1) == y.max(axis=-1))  # each (n, c) row is kept or dropped whole
    assert 0 < (y[..., 0] == 0).sum() < 48 and len({tuple(row) for row in y[..., 0]}) > 1


def test_dropout2d_layer_is_the_identity_in_eval_mode():
    layer = nn.Dropout2d(0.5, inplace=True)
    x = cr.tensor(normal(0, (2, 3, 4, 4)))
    assert layer.eval()(x) is x
    assert layer.train()(x).shape == x.shape


# -- the docstring's claim: the gradient of a convolution is a convolution ------------------------
def test_the_gradients_of_a_convolution_are_convolutions():
    """dL/dx is G convolved with the flipped filters (channels swapped, padded by k − 1 − p);
    dL/dW is x convolved with G (batch and channels swapped). Stride 1, as in the notes."""
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((2, 3, 6, 5)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((4, 3, 3, 2)), requires_grad=True)
    p = 1
    y = F.conv2d(x, w, padding=p)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    kh, kw = w.shape[2:]
    flipped = np.ascontiguousarray(w.array[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    full = (kw - 1 - p, kw - 1 - p, kh - 1 - p, kh - 1 - p)
    gx = F.conv2d(F.pad(cr.tensor(g), full), flipped)
    np.testing.assert_allclose(gx.array, x.grad.array, rtol=1e-10, atol=1e-12)
    x_padded = np.pad(x.array, ((0, 0), (0, 0), (p, p), (p, p)))
    gw = F.conv2d(x_padded.transpose(1, 0, 2, 3).copy(), g.transpose(1, 0, 2, 3).copy())
    np.testing.assert_allclose(gw.array.transpose(1, 0, 2, 3), w.grad.array, rtol=1e-10,
                               atol=1e-12)
