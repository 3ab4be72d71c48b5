"""chainrule.rules: Hebb's rule, the delta rule, the perceptron and Adaline."""

import numpy as np
import pytest

from chainrule.rules import Adaline, Perceptron, delta_rule, hebb_rule, train_hebb

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND, OR, XOR = np.array([0, 0, 0, 1.0]), np.array([0, 1, 1, 1.0]), np.array([0, 1, 1, 0.0])


def test_hebb_rule_is_gamma_times_both_activities():
    assert hebb_rule(0.5, -2.0, gamma=0.1) == pytest.approx(-0.1)


def test_hebb_rule_on_vectors_is_the_outer_product():
    dw = hebb_rule([1.0, 0.0, 2.0], [3.0, -1.0], gamma=0.5)
    np.testing.assert_allclose(dw, [[1.5, -0.5], [0.0, 0.0], [3.0, -1.0]])


@pytest.mark.parametrize("y_i, y_j", [([2.0], [1.0, 3.0]), ([1.0, 3.0], [2.0]), ([2.0], [5.0])])
def test_hebb_rule_keeps_the_i_j_layout_when_a_side_has_one_neuron(y_i, y_j):
    dw = hebb_rule(y_i, y_j, gamma=0.5)
    assert dw.shape == (len(y_i), len(y_j))
    for i, j in np.ndindex(dw.shape):
        assert dw[i, j] == 0.5 * y_i[i] * y_j[j]


def test_delta_rule_is_eta_times_error_times_input():
    np.testing.assert_allclose(delta_rule([1.0, 0.0, -2.0], t=1.0, y=0.25, eta=0.2),
                               [0.15, 0.0, -0.3])


def test_train_hebb_on_bipolar_and_sums_x_times_t():
    # w = Σ t·x over (1,1)→1, (1,−1)→−1, (−1,1)→−1, (−1,−1)→−1; b = Σ t
    w, b = train_hebb(2 * X[::-1] - 1, 2 * AND[::-1] - 1)
    np.testing.assert_allclose(w, [2.0, 2.0])
    assert b == -2.0


def test_train_hebb_weights_cancel_on_xor():
    w, b = train_hebb(2 * X - 1, 2 * XOR - 1)
    np.testing.assert_allclose(w, [0.0, 0.0])
    assert b == 0.0


@pytest.mark.parametrize("targets", [AND, OR], ids=["AND", "OR"])
def test_perceptron_learns_linearly_separable_functions(targets):
    p = Perceptron(2, eta=0.1)
    mistakes = p.fit(X, targets, epochs=50)
    assert mistakes[-1] == 0
    assert p.accuracy(X, targets) == 1.0


def test_perceptron_cannot_learn_xor():
    p = Perceptron(2, eta=0.1)
    mistakes = p.fit(X, XOR, epochs=50)
    assert len(mistakes) == 50 and min(mistakes) > 0
    assert p.accuracy(X, XOR) <= 0.75


def test_perceptron_changes_weights_only_on_mistakes():
    p = Perceptron(2)
    p.weights[:] = [1.0, 1.0]
    p.bias = -1.5
    p.fit(X, AND, epochs=1)  # already right on every pattern
    np.testing.assert_array_equal(p.weights, [1.0, 1.0])
    assert p.bias == -1.5


def test_adaline_learns_and_with_falling_error():
    a = Adaline(2, eta=0.05)
    losses = a.fit(X, AND, epochs=100)
    assert losses[-1] < losses[0]
    assert a.accuracy(X, AND) == 1.0


def test_adaline_cannot_learn_xor():
    a = Adaline(2, eta=0.05)
    a.fit(X, XOR, epochs=100)
    assert a.accuracy(X, XOR) <= 0.75


def test_wrong_number_of_inputs_is_a_clear_error():
    with pytest.raises(ValueError, match="Perceptron: expected 2 inputs per pattern, got 3"):
        Perceptron(2).predict(np.ones((4, 3)))


def test_targets_must_match_patterns():
    with pytest.raises(ValueError, match="4 input patterns but 3 targets"):
        Adaline(2).fit(X, [0, 1, 1])
