"""The backward pass: the chain rule on the CS231n circuits, gradient accumulation, graph
bookkeeping (retain_graph, retain_grad, no_grad), custom Functions, walking and observing the
graph, and the gradient check itself.
"""

import math

import numpy as np
import pytest
from helpers import compare_with_torch, normal, seeds
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd import leaves, observe_backward, register_backward_observer, walk

# On the CPU, then again on the CuPy double: see on_each_device in tests/conftest.py.
pytestmark = pytest.mark.usefixtures("on_each_device")


def leaf(value, dtype=cr.float64):
    return cr.tensor(value, dtype=dtype, requires_grad=True)


# -- the CS231n circuits --------------------------------------------------------------------------
def test_cs231n_add_then_multiply_circuit():
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    f = (x + y) * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)


def _neuron_from_primitives(w, x):
    """f(w, x) = 1 / (1 + e^−(w0·x0 + w1·x1 + w2)), one small gate per operation."""
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    return 1.0 / (1.0 + (-dot).exp())


class SigmoidNeuron(cr.Function):
    """The same neuron as one gate: its local gradient is σ(1 − σ) times the inputs."""

    @staticmethod
    def forward(ctx, w, x):
        s = 1.0 / (1.0 + np.exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))
        ctx.save_for_backward(w, x, s)
        return s

    @staticmethod
    def backward(ctx, g):
        w, x, s = ctx.saved_tensors
        local = s * (1 - s)
        return g * local * np.array([x[0], x[1], 1.0]), g * local * w[:2]


W, X = [2.0, -3.0, -3.0], [-1.0, -2.0]


def _sigma_prime():
    s = 1 / (1 + math.exp(-(W[0] * X[0] + W[1] * X[1] + W[2])))
    return s * (1 - s)


@pytest.mark.parametrize("build", [_neuron_from_primitives, SigmoidNeuron.apply],
                         ids=["primitives", "one_function"])
def test_cs231n_sigmoid_neuron_gradients(build):
    w, x = leaf(W), leaf(X)
    f = build(w, x)
    f.backward()
    # The values printed in the CS231n notes (to 3 decimals)...
    np.testing.assert_allclose(x.grad.array, [0.393, -0.590], atol=1e-3)
    np.testing.assert_allclose(w.grad.array, [-0.196, -0.393, 0.196], atol=1e-3)
    # ... and exactly: dσ/dw = σ(1 − σ)·(x0, x1, 1), dσ/dx = σ(1 − σ)·(w0, w1).
    ds = _sigma_prime()
    np.testing.assert_allclose(w.grad.array, ds * np.array([X[0], X[1], 1.0]), rtol=1e-12)
    np.testing.assert_allclose(x.grad.array, ds * np.array(W[:2]), rtol=1e-12)


def test_sigmoid_neuron_as_primitives_and_as_one_function_agree():
    w1, x1, w2, x2 = leaf(W), leaf(X), leaf(W), leaf(X)
    f1, f2 = _neuron_from_primitives(w1, x1), SigmoidNeuron.apply(w2, x2)
    f1.backward()
    f2.backward()
    np.testing.assert_allclose(f1.array, f2.array, rtol=1e-12)
    np.testing.assert_allclose(w1.grad.array, w2.grad.array, rtol=1e-12)
    np.testing.assert_allclose(x1.grad.array, x2.grad.array, rtol=1e-12)


# -- walking and observing the graph --------------------------------------------------------------
def test_walk_lists_nodes_from_output_to_leaves_with_inputs_and_output():
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    q = x + y
    f = q * z
    nodes = walk(f)
    assert [n.name for n in nodes] == ["Mul", "Add"]
    mul, add = nodes
    assert mul.output is f and add.output is q
    assert [id(t) for t in mul.inputs] == [id(q), id(z)]
    assert [id(t) for t in add.inputs] == [id(x), id(y)]
    assert mul.next_functions[0] is add and mul.next_functions[1] is None
    assert {id(t) for t in leaves(f)} == {id(x), id(y), id(z)}
    saved = mul.saved_values
    assert sorted(float(v) for v in saved.values()) == [-4.0, 3.0]  # Mul keeps q and z


def test_observe_backward_sees_each_gate_with_its_upstream_and_sent_gradients():
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    f = (x + y) * z
    with observe_backward() as steps:
        f.backward()
    assert [s.node.name for s in steps] == ["Mul", "Add"]
    mul, add = steps
    assert float(mul.grad_output) == 1.0  # df/df
    assert [float(g) for g in mul.grad_inputs] == [-4.0, 3.0]  # z·1 to q, q·1 to z
    assert float(add.grad_output) == -4.0
    assert [float(g) for g in add.grad_inputs] == [-4.0, -4.0]  # + distributes


def test_observe_backward_on_the_sigmoid_neuron_follows_the_notes_step_by_step():
    w, x = leaf(W), leaf(X)
    f = _neuron_from_primitives(w, x)
    with observe_backward() as steps:
        f.backward()
    by_gate = {}
    for s in steps:
        by_gate.setdefault(s.node.name, []).append(s)
    assert len(steps) == len(walk(f))
    # Going backwards through 1/(1 + e^−dot), with dot = 1 and each local gradient written out:
    dot = W[0] * X[0] + W[1] * X[1] + W[2]
    denominator = 1 + math.exp(-dot)
    (div,) = by_gate["Div"]
    assert float(div.grad_output) == 1.0
    d_den = -1 / denominator**2  # d(1/u)/du
    assert math.isclose(float(div.grad_inputs[1]), d_den, rel_tol=1e-12)
    (exp,) = by_gate["Exp"]
    assert math.isclose(float(exp.grad_output), d_den, rel_tol=1e-12)  # the +1 passes it on
    d_neg = d_den * math.exp(-dot)  # d(e^u)/du = e^u
    assert math.isclose(float(exp.grad_inputs[0]), d_neg, rel_tol=1e-12)
    (neg,) = by_gate["Neg"]
    assert math.isclose(float(neg.grad_inputs[0]), -d_neg, rel_tol=1e-12)
    assert math.isclose(-d_neg, _sigma_prime(), rel_tol=1e-12)
    assert math.isclose(-d_neg, 0.196612, rel_tol=1e-5)


def test_observed_gradients_are_reduced_to_each_inputs_shape():
    a, b = leaf(np.ones((2, 3))), leaf(np.ones(3))
    with observe_backward() as steps:
        (a + b).sum().backward()
    add = steps[-1]
    assert add.node.name == "Add"
    assert add.grad_output.shape == (2, 3)
    assert [g.shape for g in add.grad_inputs] == [(2, 3), (3,)]
    np.testing.assert_array_equal(add.grad_inputs[1], [2.0, 2.0, 2.0])


def test_a_registered_observer_runs_until_removed():
    seen = []
    handle = register_backward_observer(lambda step: seen.append(step.node.name))
    try:
        (leaf(2.0) * 3.0).backward()
    finally:
        handle.remove()
    (leaf(2.0) * 3.0).backward()
    assert seen == ["Mul"]


# -- custom Functions -----------------------------------------------------------------------------
class Cube(cr.Function):
    """y = x³;  dy/dx = 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


class WrongCube(Cube):
    """A deliberately wrong gradient (2x² instead of 3x²), to show the checks can fail."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x**2 * g


def test_custom_function_with_saved_arrays_backpropagates(rng):
    data = rng.standard_normal((2, 3))
    x = leaf(data)
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube"
    assert np.array_equal(y.grad_fn.saved_values["saved_0"], data)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, 3 * data**2, rtol=1e-12)
    compare_with_torch(Cube.apply, [data], torch_fn=lambda a: a**3)


def test_gradcheck_passes_a_correct_function(rng):
    result = cr.gradcheck(Cube.apply, [leaf(rng.standard_normal((2, 3)))])
    assert result
    assert result.passed


def test_gradcheck_fails_a_wrong_function_naming_the_input_and_element():
    x = leaf([[0.5, -1.0], [2.0, 0.1]])
    other = leaf([1.0, 1.0])
    with pytest.raises(cr.GradcheckError, match=r"input 1 at \(1, 0\)"):
        # the worst element of x³'s gradient error x² is where |x| is largest: (1, 0)
        cr.gradcheck(lambda o, a: o.sum() + WrongCube.apply(a), [other, x])
    result = cr.gradcheck(WrongCube.apply, [x], raise_exception=False)
    assert not result and result.input_index == 0 and result.element == (1, 0)


def test_gradcheck_of_a_scalar_function_reports_df_dx_itself():
    # no random weighting of a scalar output: the numbers shown are the gradient a learner checks
    result = cr.gradcheck(lambda a: (a * a).sum(), [leaf([3.0])])
    assert result.analytic == pytest.approx(6.0) and result.numeric == pytest.approx(6.0)


def test_the_torch_comparison_fails_a_wrong_function():
    with pytest.raises(AssertionError, match="gradient of input 0"):
        compare_with_torch(WrongCube.apply, [np.array([1.0, 2.0])], torch_fn=lambda a: a**3)


# -- accumulation ---------------------------------------------------------------------------------
def test_a_chain_of_100000_ops_backpropagates_without_recursion():
    x = leaf(0.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert y.item() == 100_000.0
    assert x.grad.item() == 1.0


def test_a_value_used_twice_gets_the_sum_of_both_gradients():
    x = leaf(3.0)
    h = x * 2.0  # used by both terms below
    y = h * h + h  # dy/dh = 2h + 1 = 13, dh/dx = 2
    y.backward()
    assert x.grad.item() == 26.0


def test_repeated_indices_accumulate():
    x = leaf([10.0, 20.0, 30.0])
    (x[[0, 1, 0]] * cr.tensor([1.0, 2.0, 4.0], dtype=cr.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [5.0, 2.0, 0.0])


def test_leaf_grad_accumulates_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [2.0 + 3.0, 4.0 + 3.0])


def test_two_leaves_never_share_a_grad_buffer():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.array += 100.0
    np.testing.assert_array_equal(b.grad.array, [1.0, 1.0])


def test_two_leaves_fed_by_one_broadcast_gradient_do_not_share_it():
    a, b = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0]])
    y = a + b
    y.backward(np.ones((1, 2)))
    a.grad.array[0, 0] = 7.0
    assert b.grad.array[0, 0] == 1.0


def test_a_gradient_passed_through_a_reshape_is_not_aliased():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    upstream = np.ones((2, 2))
    x.reshape(2, 2).backward(upstream)
    upstream[...] = 5.0
    np.testing.assert_array_equal(x.grad.array, np.ones(4))
    x.grad.array[0] = 9.0
    assert (upstream == 5.0).all()


def test_backward_on_a_leaf_copies_the_given_gradient():
    x = leaf([1.0, 2.0])
    upstream = np.array([1.0, 1.0])
    x.backward(upstream)
    upstream[0] = 5.0
    np.testing.assert_array_equal(x.grad.array, [1.0, 1.0])


def test_a_retained_intermediate_grad_and_a_leaf_grad_are_separate_buffers():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    h.retain_grad()
    (h + 0.0).sum().backward()
    h.grad.array[0] = 9.0
    np.testing.assert_array_equal(x.grad.array, [1.0, 1.0])

def test_a_node_keeps_its_constant_arguments_after_backward():
    x = leaf([1.0, 2.0])
    f = (x + 1e-9).sum(0)
    add, total = walk(f)[::-1]
    f.backward()  # frees what the nodes saved for backward
    assert add.constants == {1: 1e-9}  # exactly what was passed, not recovered from the output
    assert total.constants == {1: 0, 2: False}


def test_a_node_called_with_tensors_only_has_no_constants():
    x, y = leaf(1.0), leaf(2.0)
    assert walk(x * y)[0].constants == {}


# -- graph bookkeeping ----------------------------------------------------------------------------
def test_retain_graph_allows_a_second_backward():
    x = leaf(2.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0


def test_a_second_backward_without_retain_graph_raises_a_clear_error():
    x = leaf(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_grad_fills_an_intermediate_grad():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.array, 2 * np.array([3.0, 6.0]))
    assert h.retains_grad
    assert (x * 1.0).grad is None  # intermediates keep no grad unless asked


def test_no_grad_builds_no_graph():
    x = leaf([1.0, 2.0])
    with cr.no_grad():
        y = x * 2.0 + 1.0
    assert y.grad_fn is None and not y.requires_grad
    assert cr.is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = leaf([1.0, 2.0])
    with cr.no_grad():
        with cr.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert y.requires_grad and y.grad_fn is not None
    assert z.grad_fn is None


def test_no_grad_as_a_decorator():
    @cr.no_grad()
    def double(t):
        return t * 2.0

    y = double(leaf([1.0]))
    assert y.grad_fn is None and not y.requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators_without_parentheses():
    @cr.no_grad
    def frozen(t):
        return t * 2.0

    @cr.enable_grad
    def recorded(t):
        return t * 2.0

    x = leaf([1.0])
    assert frozen(x).grad_fn is None
    with cr.no_grad():
        assert recorded(x).grad_fn is not None


def test_set_grad_enabled_switches_recording():
    x = leaf(1.0)
    with cr.set_grad_enabled(False):
        assert (x * 2.0).grad_fn is None
    with cr.set_grad_enabled(True):
        assert (x * 2.0).grad_fn is not None


def test_set_grad_enabled_called_as_a_function_switches_at_once():
    x = leaf(1.0)
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
        assert (x * 2.0).grad_fn is None
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()


def test_set_grad_enabled_as_a_block_restores_the_mode_before_it():
    with cr.no_grad():
        with cr.set_grad_enabled(True):
            assert cr.is_grad_enabled()
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_switches_only_inside_the_function():
    @cr.set_grad_enabled(False)
    def frozen(t):
        return t * 2.0

    assert cr.is_grad_enabled()
    assert frozen(leaf(1.0)).grad_fn is None
    assert cr.is_grad_enabled()


def test_inputs_that_do_not_require_grad_get_none():
    x, c = leaf([1.0, 2.0]), cr.tensor([3.0, 4.0], dtype=cr.float64)
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad.array, [3.0, 4.0])


def test_detach_cuts_the_graph():
    x = leaf(3.0)
    y = x * x
    z = y.detach() * x  # d/dx treats y as the constant 9
    z.backward()
    assert x.grad.item() == 9.0


# -- random graphs --------------------------------------------------------------------------------
UNARY = {
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "scale": lambda v: v * 0.7 - 0.1,
    "square": lambda v: v * v,
}
BINARY = {
    "add": lambda u, v: u + v,
    "sub": lambda u, v: u - v,
    "mul": lambda u, v: u * v,
    "div": lambda u, v: u / (v * v + 1.0),
}
steps_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)), st.integers(0, 99),
              st.integers(0, 99)),
    min_size=1, max_size=12,
)


@given(steps_strategy, seeds)
def test_random_graphs_with_branches_and_broadcasting_match_torch(program, seed):
    """Each step applies an op to earlier values (so values are reused along many paths); the
    output sums every value, so every path carries gradient back to the two leaves."""

    def run(x, b):
        values = [x, b]
        for op, i, j in program:
            u, v = values[i % len(values)], values[j % len(values)]
            values.append(UNARY[op](u) if op in UNARY else BINARY[op](u, v))
        return sum(v.sum() for v in values)

    compare_with_torch(run, [normal(seed, (3, 4)), normal(seed + 1, (4,))])


class _Scale(cr.Function):
    """y = k·x with k passed by keyword; backward names a gradient for k as well."""

    extra = None

    @staticmethod
    def forward(ctx, x, k=2.0):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, _Scale.extra


def test_a_none_gradient_for_a_keyword_argument_is_ignored():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    _Scale.extra = None
    _Scale.apply(x, k=3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3.0, 3.0])


def test_a_real_gradient_for_no_input_is_an_error_naming_the_op():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    _Scale.extra = np.ones(2)
    try:
        with pytest.raises(RuntimeError, match="_Scale.backward returned 2 gradients for 1 input"):
            _Scale.apply(x, k=3.0).sum().backward()
    finally:
        _Scale.extra = None


class _WrongShape(cr.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        return np.ones(5)


def test_a_gradient_that_cannot_take_its_input_s_shape_is_an_error_naming_the_op():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(cr.ShapeError, match=r"_WrongShape.backward .* shape \(5,\) .* \(2,\)"):
        _WrongShape.apply(x).sum().backward()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_methods_backpropagate_like_torch(name):
    x = np.random.default_rng(0).normal(size=(3, 4))
    compare_with_torch(lambda a: getattr(a, name)(1), [x])
