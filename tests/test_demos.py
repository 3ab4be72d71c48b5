"""chainrule.demos: each demo writes a PNG, and the numbers behind it are right."""

import math

import numpy as np
import pytest

from chainrule.demos import DEMOS, activations, graph, losses, rules, run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_demo_writes_a_png_and_returns_its_story(name, tmp_path):
    text = DEMOS[name](str(tmp_path))
    pngs = sorted(tmp_path.glob("*.png"))
    assert pngs and all(p.read_bytes().startswith(PNG_MAGIC) for p in pngs)
    assert any(str(p) in text for p in pngs)


def test_registry_names_the_engine_demos():
    assert {"graph", "activations", "losses", "rules"} <= set(DEMOS)


def test_unknown_demo_lists_the_known_ones(tmp_path):
    with pytest.raises(KeyError, match="activations"):
        run("nope", str(tmp_path))


def test_graph_demo_add_mul_numbers():
    grads = {k: float(v) for k, v in graph.add_mul_example().leaf_gradients().items()}
    assert grads == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_graph_demo_neuron_as_gates_and_as_one_node_agree_with_the_notes():
    s = sigmoid(1.0)
    ddot = s * (1 - s)
    expected = {"w0": -ddot, "x0": 2 * ddot, "w1": -2 * ddot, "x1": -3 * ddot, "w2": ddot}
    for tr in (graph.sigmoid_gate_example(), graph.sigmoid_node_example()):
        got = {k: float(v) for k, v in tr.leaf_gradients().items()}
        assert got == pytest.approx(expected, rel=1e-5)


def test_engine_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    x = np.linspace(-4, 4, 81)
    _, dy = activations.activation_curve(activations.ACTIVATIONS["sigmoid"], x)
    assert dy.max() == pytest.approx(0.25)
    assert x[np.argmax(dy)] == pytest.approx(0.0)
    np.testing.assert_allclose(dy, sigmoid(x) * (1 - sigmoid(x)), rtol=1e-10)


def test_engine_tanh_derivative_is_one_minus_tanh_squared():
    x = np.linspace(-3, 3, 13)
    _, dy = activations.activation_curve(activations.ACTIVATIONS["tanh"], x)
    np.testing.assert_allclose(dy, 1 - np.tanh(x) ** 2, rtol=1e-10)


def test_step_passes_no_gradient_and_relu_passes_zero_or_one():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    _, dstep = activations.activation_curve(activations.ACTIVATIONS["step"], x)
    _, drelu = activations.activation_curve(activations.ACTIVATIONS["relu"], x)
    np.testing.assert_array_equal(dstep, 0.0)
    np.testing.assert_array_equal(drelu, [0.0, 0.0, 1.0, 1.0])


def test_leaky_relu_and_elu_derivatives_on_the_negative_side():
    x = np.array([-2.0, 1.0])
    _, dleaky = activations.activation_curve(activations.ACTIVATIONS["leaky_relu (slope 0.1)"], x)
    _, delu = activations.activation_curve(activations.ACTIVATIONS["elu (α = 1)"], x)
    np.testing.assert_allclose(dleaky, [0.1, 1.0])
    np.testing.assert_allclose(delu, [math.exp(-2.0), 1.0])


def test_softmax_jacobian_from_backward_is_diag_p_minus_p_pT():
    z = np.array([1.0, 2.0, 3.0])
    p, jac = activations.softmax_jacobian(z)
    e = np.exp(z)
    q = e / e.sum()
    np.testing.assert_allclose(p, q)
    np.testing.assert_allclose(jac, np.diag(q) - np.outer(q, q), atol=1e-12)


def test_cross_entropy_gradient_dwarfs_squared_error_when_wrong():
    p, se, ce, dse, dce = losses.sigmoid_losses(np.array([-4.0, 4.0]))
    q = sigmoid(np.array([-4.0, 4.0]))
    np.testing.assert_allclose(se, 0.5 * (q - 1) ** 2)
    np.testing.assert_allclose(ce, -np.log(q))
    np.testing.assert_allclose(dse, (q - 1) * q * (1 - q))
    np.testing.assert_allclose(dce, q - 1)
    assert abs(dce[0]) > 50 * abs(dse[0])


def test_class_losses_are_minus_log_p_and_half_sum_of_squares():
    ce, se = losses.class_losses((0.1, 0.2, 0.7), 0)
    assert ce == pytest.approx(-math.log(0.1))
    assert se == pytest.approx(0.5 * (0.9**2 + 0.2**2 + 0.7**2))


def test_rules_demo_and_or_learned_xor_not():
    for problem in ("AND", "OR"):
        assert all(acc == 1.0 for _, _, acc, _ in rules.learn(problem).values())
    assert all(acc <= 0.75 for _, _, acc, _ in rules.learn("XOR").values())


def test_rules_panels_label_each_pattern_with_the_answer_the_learner_gives():
    for problem in rules.TARGETS:
        for learner, (w, b, acc, _) in rules.learn(problem).items():
            # the labels are the outputs the accuracy in the title counts
            assert np.mean(rules.outputs(w, b) == rules.TARGETS[problem]) == acc, learner
    # why labels are needed: the perceptron's AND line passes exactly through (1, 0)
    w, b, _, _ = rules.learn("AND")["Perceptron"]
    assert np.any(rules.X @ w + b == 0)


def test_graph_figure_draws_the_three_circuits_with_no_empty_band():
    pytest.importorskip("matplotlib")
    fig = graph.graph_figure(graph.add_mul_example(), graph.sigmoid_gate_example(),
                             graph.sigmoid_node_example())
    assert len(fig.axes) == 3
    texts = [{t.get_text() for t in ax.texts} for ax in fig.axes]
    assert "Sigmoid" in texts[1] and "Exp" in texts[2] and "Sigmoid" not in texts[2]
    fig.tight_layout()
    fig.canvas.draw()
    filled = []
    for ax in fig.axes:  # equal-aspect drawings: how much of its cell each one fills
        drawn, cell = ax.get_position(), ax.get_subplotspec().get_position(fig)
        filled.append((drawn.width / cell.width, drawn.height / cell.height))
    assert min(filled[2]) > 0.8  # the neuron of gates fills its row (the old layout: 0.49)
    assert max(filled[0][1], filled[1][1]) > 0.8  # the top row is as tall as its tallest graph
