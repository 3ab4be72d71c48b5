"""The default mode trains as TF Playground does: its update rule written out in NumPy, node by
node and link by link as nn.ts does it, gives the session's weights, step after step."""

import numpy as np
import pytest

from chainrule.playground.session import Session


def tf_playground_train(weights, biases, X, labels, batch_size, lr, regularization, rate,
                        epochs=1):
    """TF Playground's rule, per example: forward, backprop accumulating dE/dw and dE/db, and
    every ``batch_size`` examples each weight moves by −lr · (accumulated / count), then its
    regularisation step −lr·rate·R'(w before the step); an L1 step across zero leaves 0 (dead).
    The example counter restarts each epoch while the sums do not, so a short last batch joins
    the next epoch's first. Hidden activations and the output are tanh; the error is
    ½(out − label)²."""
    W = [w.copy() for w in weights]  # W[l][j, i]: from node i to node j, as nn.Linear
    b = [v.copy() for v in biases]
    acc_w = [np.zeros_like(w) for w in W]
    acc_b = [np.zeros_like(v) for v in b]
    count = 0
    dead = [np.zeros(w.shape, bool) for w in W]
    for n, (x, label) in [item for _ in range(epochs) for item in enumerate(zip(X, labels))]:
        outputs, totals = [x], []
        for w, v in zip(W, b):
            total = np.array([sum(w[j, i] * outputs[-1][i] for i in range(w.shape[1])) + v[j]
                              for j in range(w.shape[0])])
            totals.append(total)
            outputs.append(np.tanh(total))
        output_der = np.array([outputs[-1][0] - label])  # d½(o − t)²/do
        for l in range(len(W) - 1, -1, -1):
            input_der = output_der * (1 - np.tanh(totals[l]) ** 2)  # tanh'(total)
            acc_b[l] += input_der
            for j in range(W[l].shape[0]):
                for i in range(W[l].shape[1]):
                    acc_w[l][j, i] += input_der[j] * outputs[l][i]
            output_der = np.array([sum(W[l][j, i] * input_der[j] for j in range(W[l].shape[0]))
                                   for i in range(W[l].shape[1])])
        count += 1
        if (n + 1) % batch_size == 0:
            for l in range(len(W)):
                b[l] -= lr * acc_b[l] / count
                for j in range(W[l].shape[0]):
                    for i in range(W[l].shape[1]):
                        if dead[l][j, i]:
                            continue
                        w_old = W[l][j, i]
                        der = {"none": 0.0, "L1": np.sign(w_old), "L2": w_old}[regularization]
                        stepped = w_old - lr * acc_w[l][j, i] / count
                        new = stepped - lr * rate * der
                        if regularization == "L1" and stepped * new < 0:
                            W[l][j, i], dead[l][j, i] = 0.0, True
                        else:
                            W[l][j, i] = new
                acc_w[l][:] = 0
                acc_b[l][:] = 0
            count = 0
    return W, b


@pytest.mark.parametrize("regularization, rate", [("none", 0.0), ("L2", 0.03), ("L1", 0.3)])
def test_default_mode_updates_equal_tf_playgrounds_rule(regularization, rate):
    state = {"dataset": "xor", "noise": 10, "seed": 3, "networkShape": [3, 2],
             "features": ["x1", "x2", "x1x2"], "batchSize": 5, "learningRate": 0.1,
             "regularization": regularization, "regularizationRate": rate}
    s = Session(state)
    assert s.mode == "mse"
    weights = [m.weight.array.copy() for m in s.linears]
    biases = [m.bias.array.copy() for m in s.linears]
    # TF's initialisation: weights in U(−0.5, 0.5), biases 0.1
    assert all(np.abs(w).max() <= 0.5 for w in weights)
    assert all((v == 0.1).all() for v in biases)
    labels = np.where(s.points.y_train == 1, 1.0, -1.0)
    s.train(epochs=1)  # 250 points: 50 batches of 5
    W, b = tf_playground_train(weights, biases, s.x_train, labels, 5, 0.1, regularization, rate)
    for l, m in enumerate(s.linears):
        np.testing.assert_allclose(m.weight.array, W[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(m.bias.array, b[l], rtol=1e-10, atol=1e-12)
    if regularization == "L1":
        assert any((m.weight.array == 0).any() for m in s.linears)  # links died, as in TF


def test_default_mode_loss_is_tf_playgrounds_half_squared_error():
    s = Session({"seed": 5})
    out = s.predict(s.x_test)[:, 0]
    labels = np.where(s.points.y_test == 1, 1.0, -1.0)
    assert s.metrics()["testLoss"] == pytest.approx(np.mean(0.5 * (out - labels) ** 2), rel=1e-12)


def test_a_short_last_batch_joins_the_next_epochs_first_as_in_tf_playground():
    s = Session({"dataset": "circle", "numSamples": 100, "percTrainData": 50, "seed": 8,
                 "batchSize": 7, "learningRate": 0.3})  # 50 points: 7 batches of 7, then 1
    weights = [m.weight.array.copy() for m in s.linears]
    biases = [m.bias.array.copy() for m in s.linears]
    labels = np.where(s.points.y_train == 1, 1.0, -1.0)
    s.train(epochs=3)
    W, b = tf_playground_train(weights, biases, s.x_train, labels, 7, 0.3, "none", 0.0, epochs=3)
    for l, m in enumerate(s.linears):
        np.testing.assert_allclose(m.weight.array, W[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(m.bias.array, b[l], rtol=1e-10, atol=1e-12)
