"""A user's ``autograd.Function`` as torch has it: the same class bodies run under torch and under
chainrule (``lib`` is the only name that differs), and give the same values and gradients."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import gradcheck


def functions(lib):
    """torch's tutorial-style custom Functions, written once for ``lib`` (torch or chainrule)."""

    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    class ScaledProduct(lib.autograd.Function):
        """x · y · alpha, alpha a plain number; computes only the gradients asked for."""

        computed = []

        @staticmethod
        def forward(ctx, x, y, alpha):
            ctx.save_for_backward(x, y)
            ctx.alpha = alpha
            return x * y * alpha

        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            grad_x = grad_y = None
            if ctx.needs_input_grad[0]:
                grad_x = grad_output * y * ctx.alpha
                ScaledProduct.computed.append("x")
            if ctx.needs_input_grad[1]:
                grad_y = grad_output * x * ctx.alpha
                ScaledProduct.computed.append("y")
            return grad_x, grad_y, None

    class SinCos(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * x.cos() - grad_cos * x.sin()

    class ReLUWithMask(lib.autograd.Function):
        """The ReLU and the mask of where it passed, a float tensor marked non-differentiable."""

        @staticmethod
        def forward(ctx, x):
            mask = (x > 0).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(mask)
            return x * mask, mask

        @staticmethod
        def backward(ctx, grad_out, grad_mask):
            (mask,) = ctx.saved_tensors
            assert float(grad_mask.abs().sum()) == 0.0  # zeros, as torch passes
            return grad_out * mask

    return MyReLU, LegendrePolynomial3, ScaledProduct, SinCos, ReLUWithMask


CR = dict(zip(["MyReLU", "Legendre", "ScaledProduct", "SinCos", "ReLUWithMask"],
              functions(cr), strict=True))
TORCH = dict(zip(CR, functions(torch), strict=True))


def pair(data, requires_grad=True):
    return (cr.tensor(data, requires_grad=requires_grad),
            torch.tensor(data, requires_grad=requires_grad))


def assert_same(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("name", ["MyReLU", "Legendre"])
def test_one_input_functions_match_torch(name):
    data = np.random.default_rng(0).standard_normal((3, 4))
    upstream = np.random.default_rng(1).standard_normal((3, 4))
    x, tx = pair(data)
    y, ty = CR[name].apply(x), TORCH[name].apply(tx)
    assert_same(y, ty)
    assert y.grad_fn.name == name or y.grad_fn.name == "LegendrePolynomial3"
    y.backward(cr.tensor(upstream))
    ty.backward(torch.tensor(upstream))
    assert_same(x.grad, tx.grad)


@pytest.mark.parametrize("name", ["MyReLU", "Legendre", "SinCos"])
def test_functions_pass_gradcheck(name):
    data = np.random.default_rng(2).standard_normal((2, 3)) + 0.05  # no element at ReLU's kink
    fn = CR[name].apply
    if name == "SinCos":
        def fn(x):
            s, c = CR["SinCos"].apply(x)
            return s * 2 + c * c
    assert gradcheck(fn, [cr.tensor(data, requires_grad=True)])


def test_the_tutorial_legendre_fit_matches_torch_step_by_step():
    """torch's "Defining new autograd Functions" example: y = a + b·P3(c + d·x), plain SGD."""
    x_data = np.linspace(-np.pi, np.pi, 200)
    y_data = np.sin(x_data)
    histories = []
    for lib in (cr, torch):
        P3 = (CR if lib is cr else TORCH)["Legendre"].apply
        x, y = lib.tensor(x_data), lib.tensor(y_data)
        a, b, c, d = (lib.tensor(v, dtype=lib.float64, requires_grad=True)
                      for v in (0.0, -1.0, 0.0, 0.3))
        losses = []
        for _ in range(30):
            y_pred = a + b * P3(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with lib.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        histories.append((losses, [p.item() for p in (a, b, c, d)]))
    np.testing.assert_allclose(histories[0][0], histories[1][0], rtol=1e-10)
    np.testing.assert_allclose(histories[0][1], histories[1][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("wants", [(True, True), (True, False), (False, True)])
def test_a_non_tensor_argument_and_needs_input_grad_skip_work_as_torch(wants):
    rng = np.random.default_rng(3)
    xd, yd = rng.standard_normal(5), rng.standard_normal(5)
    (x, tx), (y, ty) = pair(xd, wants[0]), pair(yd, wants[1])
    computed = []
    for fn, a, b in ((CR["ScaledProduct"], x, y), (TORCH["ScaledProduct"], tx, ty)):
        fn.computed.clear()
        fn.apply(a, b, 2.5).sum().backward()
        computed.append(sorted(fn.computed))
    assert computed[0] == computed[1] == [n for n, w in zip("xy", wants, strict=True) if w]
    for ours, theirs in ((x, tx), (y, ty)):
        assert (ours.grad is None) == (theirs.grad is None)
        if ours.grad is not None:
            assert_same(ours.grad, theirs.grad)


@pytest.mark.parametrize("use", ["both", "sin only", "cos only"])
def test_several_outputs_get_one_gradient_each_zeros_when_unused(use):
    data = np.random.default_rng(4).standard_normal((2, 3))
    grads = []
    for lib, fn in ((cr, CR["SinCos"]), (torch, TORCH["SinCos"])):
        x = lib.tensor(data, requires_grad=True)
        s, c = fn.apply(x)
        loss = {"both": (s * c).sum(), "sin only": s.sum(), "cos only": (c**2).sum()}[use]
        loss.backward()
        grads.append(x.grad.detach().numpy())
        values = (s.detach().numpy(), c.detach().numpy())
        np.testing.assert_allclose(values, (np.sin(data), np.cos(data)), rtol=1e-12)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_a_marked_output_does_not_require_grad_and_gets_zeros():
    data = np.array([-1.0, 0.5, 2.0, -0.3])
    x, tx = pair(data)
    (y, mask), (ty, tmask) = CR["ReLUWithMask"].apply(x), TORCH["ReLUWithMask"].apply(tx)
    assert (y.requires_grad, mask.requires_grad) == (ty.requires_grad, tmask.requires_grad)
    assert_same(mask, tmask)
    (y * 3).sum().backward()
    (ty * 3).sum().backward()
    assert_same(x.grad, tx.grad)


class Recorder(cr.autograd.Function):
    """Records what forward and backward see: grad mode and the types of their arguments."""

    seen = {}

    @staticmethod
    def forward(ctx, x):
        inner = x * 2
        Recorder.seen["forward"] = (cr.is_grad_enabled(), type(x), inner.grad_fn)
        ctx.save_for_backward(x)
        return inner

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        out = g * 2 * x.exp() / x.exp()  # x requires grad: this would record, were grad on
        Recorder.seen["backward"] = (cr.is_grad_enabled(), type(g), out.grad_fn)
        return out


def test_forward_and_backward_get_tensors_and_record_no_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    Recorder.apply(x).sum().backward()
    assert Recorder.seen["forward"] == (False, cr.Tensor, None)
    assert Recorder.seen["backward"] == (False, cr.Tensor, None)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    assert cr.is_grad_enabled()  # switched back on after each


def test_apply_without_grad_makes_no_node():
    y = CR["MyReLU"].apply(cr.tensor([-1.0, 1.0]))
    assert y.grad_fn is None and not y.requires_grad
    with cr.no_grad():
        z = CR["MyReLU"].apply(cr.tensor([-1.0, 1.0], requires_grad=True))
    assert z.grad_fn is None


def test_gradients_of_gradients_are_refused_by_name():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        CR["MyReLU"].apply(x).sum().backward(create_graph=True)


class ReturnsADict(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return {"y": x}

    @staticmethod
    def backward(ctx, g):
        return g


class GradientAsString(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return "oops"


def test_wrong_return_types_are_named():
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="ReturnsADict.forward returned a dict"):
        ReturnsADict.apply(x)
    with pytest.raises(TypeError, match="GradientAsString.backward returned a str"):
        GradientAsString.apply(x).sum().backward()
