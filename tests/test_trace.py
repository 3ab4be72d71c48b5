"""chainrule.trace: the backward pass as a CS231n worksheet."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import trace
from chainrule.autograd import engine
from chainrule.nn import functional as F


def scalars(*values):
    return [cr.tensor(v, requires_grad=True) for v in values]


def add_mul():
    x, y, z = scalars(-2.0, 5.0, -4.0)
    return trace.trace(lambda: (x + y) * z, names={"x": x, "y": y, "z": z})


def test_cs231n_example_gradients_are_minus4_minus4_3():
    grads = add_mul().leaf_gradients()
    assert {k: float(v) for k, v in grads.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_steps_are_in_backward_order_with_upstream_local_and_sent():
    mul, add = add_mul().steps
    assert (mul.op, add.op) == ("Mul", "Add")
    assert float(mul.upstream) == 1.0
    # Mul's local gradients are the other input: dq·z/dq = z = -4, d/dz = q = 3
    assert [float(g) for g in mul.local_grads] == [-4.0, 3.0]
    assert float(add.upstream) == -4.0
    assert [float(g) for g in add.local_grads] == [1.0, 1.0]
    assert [float(g) for g in add.sent] == [-4.0, -4.0]


def test_chain_rule_line_shows_the_product():
    add = add_mul().steps[1]
    assert add.chain_rule(0) == "df/dx = df/dq · dq/dx = -4 · 1 = -4"


def test_intermediates_are_named_q_and_output_f():
    mul, add = add_mul().steps
    assert add.output_name == "q" and mul.output_name == "f"
    assert add.input_names == ("x", "y") and mul.input_names == ("q", "z")


def test_render_shows_forward_backward_and_leaves():
    text = add_mul().render()
    assert "q = x + y = -2 + 5 = 3" in text
    assert "f = q · z = 3 · -4 = -12" in text
    assert "df/dz = df/df · df/dz = 1 · 3 = 3" in text
    assert "gradients at the leaves" in text


def test_sigmoid_gate_gives_the_cs231n_numbers():
    w0, x0, w1, x1, w2 = scalars(2.0, -1.0, -3.0, -2.0, -3.0)
    tr = trace.trace(lambda: 1 / (1 + cr.exp(-(w0 * x0 + w1 * x1 + w2))),
                     names={"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2})
    s = 1 / (1 + math.exp(-1.0))  # w·x + b = 2·-1 + -3·-2 - 3 = 1
    ddot = s * (1 - s)
    expected = {"w0": -1 * ddot, "x0": 2 * ddot, "w1": -2 * ddot, "x1": -3 * ddot, "w2": ddot}
    got = {k: float(v) for k, v in tr.leaf_gradients().items()}
    assert got == pytest.approx(expected, rel=1e-5)
    assert float(tr.steps[0].output) == pytest.approx(s, rel=1e-6)


def test_sigmoid_node_local_gradient_is_s_times_one_minus_s():
    (a,) = scalars(1.0)
    tr = trace.trace(lambda: F.sigmoid(a))
    s = 1 / (1 + math.exp(-1.0))
    assert float(tr.steps[0].local_grads[0]) == pytest.approx(s * (1 - s), rel=1e-6)


def test_constant_operand_is_shown_by_value():
    (a,) = scalars(3.0)
    tr = trace.trace(lambda: 1 + a * 2, names={"a": a})
    add, mul = tr.steps
    assert add.input_names[0] == "1"
    assert mul.input_names[1] == "2"
    assert "q = a · 2 = 3 · 2 = 6" in tr.render()


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_constant_added_to_a_non_finite_value_is_shown(value):
    (a,) = scalars(value)
    tr = trace.trace(lambda: a + 1, names={"a": a})
    (add,) = tr.steps
    assert add.input_names[1] == "1"
    assert f"f = a + 1 = {value} + 1 = {value}" in tr.render()


def test_a_constant_lost_to_float32_rounding_is_shown_as_given():
    (x,) = scalars(1e8)  # 1e8 + 1 rounds to 1e8 in float32: out − x would say 0
    tr = trace.trace(lambda: x + 1, names={"x": x})
    assert "f = x + 1 = 1e+08 + 1 = 1e+08" in tr.render()
    assert float(tr.steps[0].inputs[1]) == 1.0


def test_a_broadcast_constant_is_shown_as_the_number_given():
    v = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tr = trace.trace(lambda: (v - 1).sum(), names={"v": v})
    assert "q = v - 1 = [1, 2, 3] - 1 = [0, 1, 2]" in tr.render()


@pytest.mark.parametrize("build, expression", [
    (lambda a: a.maximum(0), "q = maximum(a, 0) = maximum([-1, 2], 0) = [0, 2]"),
    (lambda a: a.minimum(0.5), "q = minimum(a, 0.5) = minimum([-1, 2], 0.5) = [-1, 0.5]"),
    (lambda a: a.clip(None, 1), "q = clip(a, None, 1) = clip([-1, 2], None, 1) = [-1, 1]"),
    (lambda a: a.clip(0), "q = clip(a, 0, None) = clip([-1, 2], 0, None) = [0, 2]"),
    (lambda a: cr.where(a.array > 0, a, 0.5),
     "q = where([False, True], a, 0.5) = where([False, True], [-1, 2], 0.5) = [0.5, 2]"),
])
def test_numbers_given_to_other_ops_are_shown(build, expression):
    a = cr.tensor([-1.0, 2.0], requires_grad=True)
    assert expression in trace.trace(lambda: build(a).sum(), names={"a": a}).render()


def test_settings_such_as_an_axis_are_not_shown_as_operands():
    a = cr.tensor([[1.0, 2.0]], requires_grad=True)
    assert "f = sum(a) = sum([[1, 2]]) = 3" in trace.trace(lambda: a.sum(), names={"a": a}).render()


def test_a_negative_base_of_a_power_is_written_in_parentheses():
    (a,) = scalars(-3.0)
    tr = trace.trace(lambda: a ** 2, names={"a": a})
    assert "f = a ** 2 = (-3) ** 2 = 9" in tr.render()  # -3 ** 2 would read as -(3²) = -9


def test_gradients_from_two_paths_are_listed_and_added():
    (x,) = scalars(3.0)
    tr = trace.trace(lambda: x * x, names={"x": x})
    assert [float(g) for g in tr.contributions(x)] == [3.0, 3.0]
    assert float(tr.gradient(x)) == 6.0
    assert "3 + 3 = 6  (2 paths add)" in tr.render()


def test_intermediate_gradient_is_available_though_engine_drops_it():
    x, y, z = scalars(-2.0, 5.0, -4.0)
    with trace.Trace() as tr:
        q = x + y
        f = q * z
        f.backward()
    assert q.grad is None
    assert float(tr.gradient(q)) == -4.0


def test_user_name_function_labels_a_tensor():
    (a,) = scalars(2.0)
    trace.name(a, "weight")
    tr = trace.trace(lambda: a * a)
    assert tr.steps[0].input_names == ("weight", "weight")


def test_broadcast_gradient_is_summed_back_and_said_so():
    a = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    tr = trace.trace(lambda: a + b, names={"a": a, "b": b}, gradient=g)
    step = tr.steps[0]
    np.testing.assert_array_equal(step.sent[1], g.sum(axis=0))
    assert "summed over the broadcast axes" in step.chain_rule(1)


def test_matmul_has_no_elementwise_local_gradient_but_sends_the_vjp():
    a = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = cr.tensor([[0.5], [-1.0]], requires_grad=True)
    g = np.array([[1.0], [2.0]])
    tr = trace.trace(lambda: a @ b, gradient=g)
    step = tr.steps[0]
    assert not step.elementwise and step.local_grads == (None, None)
    np.testing.assert_allclose(step.sent[0], g @ b.array.T)
    np.testing.assert_allclose(step.sent[1], a.array.T @ g)
    assert "Jacobian of MatMul" in step.chain_rule(0)


def test_a_slice_sends_each_upstream_gradient_back_to_its_place():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = cr.tensor([1.0, 10.0], requires_grad=True)
    tr = trace.trace(lambda: (x[:2] * w).sum(), names={"x": x, "w": w})
    text = tr.render()  # shapes (2,) upstream and (3,) local: no elementwise product exists
    assert "df/dx = df/dq · dq/dx = [1, 10] · [1, 1, 0] = [1, 10, 0]  (each" in text


@pytest.mark.parametrize("build", [
    lambda x: (x.sum(axis=1) * cr.tensor([1.0, 2.0])).sum(),
    lambda x: (x.reshape(3, 2) * cr.tensor([1.0, 10.0])).sum(),
    lambda x: (x.permute(1, 0) * cr.tensor([1.0, 10.0])).sum(),
    lambda x: (cr.stack([x, cr.ones(2, 3)]) * cr.tensor([1.0, 10.0, 100.0])).sum(),
    lambda x: (x.flip(1) * cr.tensor([1.0, 10.0, 100.0])).sum(),
    lambda x: (x.roll(1, 1) * cr.tensor([1.0, 10.0, 100.0])).sum(),
    lambda x: (x.repeat(1, 2) * cr.arange(6.0)).sum(),
    lambda x: (x.index_select(1, cr.tensor([2, 0, 2])) * cr.tensor([1.0, 10.0, 100.0])).sum(),
    lambda x: (x.gather(1, cr.tensor([[2, 2], [0, 1]])) * cr.tensor([1.0, 10.0])).sum(),
    lambda x: (x.sort(1).values * cr.tensor([1.0, 10.0, 100.0])).sum(),
    lambda x: (x.amax(1) * cr.tensor([1.0, 2.0])).sum(),
    lambda x: (x.prod(1) * cr.tensor([1.0, 2.0])).sum(),
    lambda x: (x.logsumexp(1) * cr.tensor([1.0, 2.0])).sum(),
])
def test_ops_that_move_elements_print_gradients_that_match_the_engine(build):
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    tr = trace.trace(lambda: build(x), names={"x": x})
    tr.render()
    step = tr.steps[-1]
    line = step.chain_rule(step.input_names.index("x"))
    assert "summed over the broadcast axes" not in line
    assert line.split(" = ")[-1].split("  (")[0] == trace._fmt(x.grad.array)


def test_the_rule_is_the_whole_first_paragraph_of_the_op_docstring():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tr = trace.trace(lambda: x[0], names={"x": x})
    # GetItem's rule wraps onto a second line; cut after the first it ended '..., and an element'
    assert tr.steps[0].rule.endswith("collects the sum of its gradients.")


def test_two_backward_passes_in_one_trace_get_a_worksheet_each():
    (x,) = scalars(2.0)
    with trace.Trace(names={"x": x}) as tr:
        a = x * 3
        a.backward()
        b = x * x
        b.backward()
    text = tr.render()
    first, second = text.split("backward pass 2 of 2")
    # each pass has its own output and sums only its own paths: 3 for x·3, 2 + 2 for x·x
    assert "df/dx = 3\n" in first + "\n" and "2 + 2" not in first
    assert "3 + 2" not in second and "paths add" in second and "= 4" in second
    assert [s.root_name for s in tr.steps] == [tr.name_of(a), tr.name_of(b)]
    assert tr.gradient(b) == 1.0


def test_big_tensors_are_summarised_by_shape_and_norm():
    w = cr.tensor(np.ones((10, 10)), requires_grad=True)
    text = trace.trace(lambda: (w * 2).sum()).render()
    assert "<shape (10, 10), norm 10>" in text  # ‖ones(10, 10)‖ = √100


def test_trace_does_not_change_the_gradients():
    x1, y1, z1 = scalars(-2.0, 5.0, -4.0)
    ((x1 + y1) * z1).backward()
    x2, y2, z2 = scalars(-2.0, 5.0, -4.0)
    trace.trace(lambda: (x2 + y2) * z2)
    assert [t.grad.item() for t in (x2, y2, z2)] == [t.grad.item() for t in (x1, y1, z1)]


def test_observer_is_removed_after_the_block():
    before = list(engine._observers)
    tr = add_mul()
    assert engine._observers == before
    x, y = scalars(1.0, 2.0)
    (x * y).backward()
    assert len(tr.steps) == 2


def test_fn_returning_a_non_tensor_is_a_clear_error():
    with pytest.raises(TypeError, match="must return a tensor"):
        trace.trace(lambda: 3.0)


def test_a_tensor_instead_of_a_function_is_a_clear_error():
    x, y = scalars(1.0, 2.0)
    with pytest.raises(TypeError, match="fn must be a function .* got a Tensor"):
        trace.trace(x * y)


def test_fn_returning_a_constant_tensor_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        trace.trace(lambda: cr.tensor(1.0) * 2)


def test_empty_trace_says_so():
    with trace.Trace() as tr:
        pass
    assert "empty trace" in tr.render()


class _SigmoidGate(cr.Function):
    """The notes' one-node sigmoid gate, written by a user."""

    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * s * (1 - s)


def test_a_user_defined_function_is_traced_with_its_local_gradient():
    w, x = scalars(2.0, -1.0)
    tr = trace.trace(lambda: _SigmoidGate.apply(w * x + 3.0), names={"w": w, "x": x})
    s = 1 / (1 + math.exp(-1.0))
    gate = next(step for step in tr.steps if step.op == "_SigmoidGate")
    assert float(gate.local_grads[0]) == pytest.approx(s * (1 - s), rel=1e-6)
    assert float(tr.leaf_gradients()["w"]) == pytest.approx(-s * (1 - s), rel=1e-6)
    assert "_SigmoidGate" in str(tr)


def test_a_transpose_of_a_square_matrix_is_not_printed_as_an_elementwise_product():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tr = trace.trace(lambda: (x.T * cr.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum(),
                     names={"x": x})
    tr.render()
    step = tr.steps[-1]
    line = step.chain_rule(step.input_names.index("x"))
    # upstream [[1, 10], [100, 1000]] goes back transposed: it is not upstream · ones
    assert "(each element of x gets the upstream gradient" in line
    assert line.split(" = ")[-1].split("  (")[0] == trace._fmt(x.grad.array)


@pytest.mark.parametrize("op, local", [("sin", np.cos), ("cos", lambda v: -np.sin(v)),
                                       ("log1p", lambda v: 1 / (1 + v)), ("expm1", np.exp)])
def test_ops_added_after_the_name_lists_show_their_local_gradients(op, local):
    """sin, cos, log1p and expm1 were missing from trace's hand-kept list of elementwise ops;
    each op now declares it on its class."""
    v = np.array([0.1, 0.5, 0.9])
    x = cr.tensor(v, requires_grad=True)
    step = trace.trace(lambda: getattr(x, op)().sum(), names={"x": x}).steps[-1]
    assert step.op.lower() == op and step.elementwise
    np.testing.assert_allclose(step.local_grads[0], local(v), rtol=1e-12)


def _seconds_to_trace_a_chain(n):
    """Best of three: trace a chain of 2n nodes (each step y·w then tanh, one leaf per step),
    print its worksheet and ask for every leaf's gradient."""
    import time

    ws = [cr.tensor(1.0, requires_grad=True) for _ in range(n)]
    x = cr.tensor(0.5, requires_grad=True)

    def chain():
        y = x
        for w in ws:
            y = (y * w).tanh()
        return y

    import gc

    best = math.inf
    for _ in range(3):
        gc.collect()
        gc.disable()  # a collection landing in one run but not the other is noise, not growth
        try:
            start = time.perf_counter()
            tr = trace.trace(chain)
            text = str(tr)
            grads = tr.leaf_gradients()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    assert len(tr.steps) == 2 * n and len(grads) == n + 1 and "gradients at the leaves" in text
    return best


def test_tracing_grows_linearly_with_the_number_of_nodes():
    # 4x the nodes should cost about 4x the time; the quadratic steps this replaced made it
    # 16x and more (benchmarks/trace_growth.py: 24.7x from 500 to 2,000 nodes). The bound 10
    # leaves room for a busy machine (up to 8.2x seen at a load average of 9 on 2 cores).
    small, large = _seconds_to_trace_a_chain(500), _seconds_to_trace_a_chain(2000)
    assert large / small < 10, f"2,000-step chain took {large / small:.1f}x the 500-step one"
