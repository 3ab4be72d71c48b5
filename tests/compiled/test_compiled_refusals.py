"""What a compiled step cannot capture is refused by name, before any weight changes."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.autograd import Function
from chainrule.compiled import CaptureError

X = np.ones((4, 3), np.float32)
Y = np.zeros((4, 1), np.float32)


class BranchesOnData(nn.Module):
    """Python control flow on a tensor's value: what jax.jit refuses too."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 1), nn.Linear(3, 1)

    def forward(self, x):
        return self.a(x) if x.sum() > 0 else self.b(x)


class ReadsItem(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 1)

    def forward(self, x):
        scale = float(x.abs().max().item())
        return self.a(x) / scale


class Cube(Function, elementwise=True, moves_elements=False, number_operands=False, infix=None):
    """y = x³, a user's op: nobody has said its forward depends only on its inputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


class CubeLayer(nn.Module):
    def __init__(self, op):
        super().__init__()
        self.a, self.op = nn.Linear(3, 1), op

    def forward(self, x):
        return self.op.apply(self.a(x))


def weights(model):
    return [p.array.copy() for p in model.parameters()]


def assert_refused(model, match, optimizer=None):
    before = weights(model)
    step = cr.compile(model, nn.MSELoss(), optimizer or optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(CaptureError, match=match):
        step(X, Y)
    for a, b in zip(before, weights(model)):
        np.testing.assert_array_equal(a, b)


def test_python_control_flow_on_a_tensor_value_is_refused_by_name():
    assert_refused(BranchesOnData(), r"cannot capture Tensor.__bool__.*data-dependent Python "
                                     r"control flow")


def test_reading_item_is_refused_by_name():
    assert_refused(ReadsItem(), r"cannot capture Tensor.item\(\)")


def test_batch_norm_is_refused_by_name():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    assert_refused(model, r"cannot capture the op BatchNorm: .*batch statistics")


def test_an_op_defined_outside_chainrule_is_refused_unless_it_says_it_can_be_replayed():
    assert_refused(CubeLayer(Cube), r"cannot capture the op Cube: it is defined outside "
                                    r"chainrule.*capturable = True")

    class ReplayableCube(Cube, elementwise=True, moves_elements=False, number_operands=False,
                         infix=None):
        capturable = True

    model = CubeLayer(ReplayableCube)
    eager = CubeLayer(ReplayableCube)
    eager.load_state_dict(model.state_dict())
    step = cr.compile(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1))
    eager_opt = optim.SGD(eager.parameters(), lr=0.1)
    for _ in range(3):
        step(X, Y)
        eager_opt.zero_grad()
        nn.MSELoss()(eager(cr.tensor(X)), cr.tensor(Y)).backward()
        eager_opt.step()
    for p, q in zip(model.parameters(), eager.parameters()):
        np.testing.assert_array_equal(p.array, q.array)


def test_a_parameter_the_optimizer_does_not_hold_is_refused_by_name():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    only_last = optim.SGD(model[2].parameters(), lr=0.1)
    assert_refused(model, r"an input of Linear requires grad but the optimizer does not hold it",
                   optimizer=only_last)


def test_a_loss_that_is_not_one_number_is_refused():
    model = nn.Linear(3, 1)
    step = cr.compile(model, nn.MSELoss(reduction="none"), optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(CaptureError, match=r"the loss must be one number, it has shape \(4, 1\)"):
        step(X, Y)


def test_reading_values_outside_a_capture_still_works():
    model = BranchesOnData()
    assert model(cr.tensor(X)).shape == (4, 1)  # eager: the branch runs as Python
    assert cr.tensor([2.0]).item() == 2.0
